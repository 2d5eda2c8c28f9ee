// The bootstrap service: the first peer everyone dials (TCP 61613 by default) and a full mesh
// member, subscribed to every agent topic in use so it can relay gossip and check it at the
// first hop. It routes nothing that the mesh needs: with it down, requests and replies flow.
import type { LoadedConfig } from '../src/config/load.js'
import type { Logger } from '../src/log.js'
import { MeshMember } from '../src/mesh/member.js'
import { loadCredentials } from '../src/mesh/credentials.js'
import { AuthorizedKeyStore } from '../src/security/authorized-keys.js'
import { TopicValidatorResult } from '@libp2p/interface'
import { undeliveredTopic } from '../src/transport/topics.js'
import { decodeNotice, noticeSignedByItsPeer } from '../src/wire/undelivered.js'
import { LogThrottle } from '../src/log-throttle.js'
import { coalesced } from '../src/coalesce.js'

export const DEFAULT_BOOTSTRAP_LISTEN = ['/ip4/0.0.0.0/tcp/61613']
/** Agent topics a bootstrap subscribes to at most (a fleet has tens). */
export const MAX_FOLLOWED_AGENTS = 1024
/** A new agent in the directory is followed this long after the first change of a burst. */
const FOLLOW_AGENTS_DELAY_MS = 250

export class BootstrapService {
  private constructor (private readonly member: MeshMember, private readonly authorizedKeys: AuthorizedKeyStore) {}

  static async start (config: LoadedConfig, log: Logger): Promise<BootstrapService> {
    const credentials = loadCredentials(config, 'bootstrap', undefined, message => log.warn(message))
    if (credentials.verifier === undefined) log.warn('lab mode: no ca configured, so peers are admitted without proof of who they are (see docs/security.md)')
    else if (config.authorized_keys === undefined) log.warn('no authorized_keys configured: no requester can be admitted (only enrolled nodes)')
    // Requesters are admitted with a key listed here: it holds every caller key any node authorizes.
    const authorizedKeys = new AuthorizedKeyStore(config.authorized_keys, msg => log.warn(msg))
    authorizedKeys.start()
    const member = await MeshMember.start({
      role: 'bootstrap',
      config,
      log,
      credentials,
      callerName: key => authorizedKeys.callerName(key),
      listen: config.listen ?? DEFAULT_BOOTSTRAP_LISTEN
    })
    authorizedKeys.onReload(() => member.admission.recheck())
    const service = new BootstrapService(member, authorizedKeys)
    // Only enrolled nodes are listed, and each serves at most 256 agents; the cap is for a fleet
    // whose nodes invent agents (or a compromised one): past it, new topics are not followed.
    let warned = false
    const followAgents = (): void => {
      for (const node of member.directory.nodes()) {
        for (const agent of node.agents) {
          if (member.agentTopicCount >= MAX_FOLLOWED_AGENTS && !member.servesAgent(agent)) {
            if (!warned) log.warn({ limit: MAX_FOLLOWED_AGENTS }, 'more agents in the directory than the bootstrap follows; new agents are reached only through the requester\'s own delivery')
            warned = true
            continue
          }
          member.serveAgentTopic(agent)
        }
      }
    }
    // Once per burst of changes: each pass walks the whole directory.
    member.directory.onChange(coalesced(followAgents, FOLLOW_AGENTS_DELAY_MS))
    followAgents()
    // Nodes that cannot deliver a reply say so on this topic; the bootstrap carries it to the
    // requesters (a peer forwards only topics it is subscribed to).
    const pubsub = member.node.services.pubsub
    const notices = undeliveredTopic(config.collective)
    // Checked here, the first hop, as every gossip message is: a forged notice is rejected (and
    // its sender blamed) before an honest bootstrap could pass it on and be blamed for it.
    const refusals = new LogThrottle()
    pubsub.topicValidators.set(notices, async (from, message) => {
      let reason: string | undefined
      try {
        if (!noticeSignedByItsPeer(decodeNotice(message.data))) reason = 'not signed by the peer it names'
      } catch (err) {
        reason = (err as Error).message
      }
      if (reason === undefined) return TopicValidatorResult.Accept
      if (refusals.allow(from.toString())) log.warn({ from: from.toString(), reason }, 'undelivered notice refused')
      return TopicValidatorResult.Reject
    })
    pubsub.subscribe(notices)
    return service
  }

  multiaddrs (): string[] {
    return this.member.multiaddrs()
  }

  get peerId (): string {
    return this.member.node.peerId.toString()
  }

  async stop (): Promise<void> {
    this.authorizedKeys.stop()
    await this.member.stop()
  }
}
