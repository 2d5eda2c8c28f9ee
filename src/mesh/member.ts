// What every role (bootstrap, daemon, requester) does to be a mesh member: load its peer key
// (and the swarm key), start libp2p, keep the node directory, and apply the first-hop request
// checks on every agent topic it subscribes to, so bad requests stop at the first peer.
import { TopicValidatorResult, type Message, type PeerId } from '@libp2p/interface'
import type { LoadedConfig } from '../config/load.js'
import { ConfigError } from '../config/load.js'
import { createMeshNode, type MeshNode, type MeshRole } from '../transport/mesh-node.js'
import { loadOrCreatePeerKey } from '../transport/peer-key.js'
import { agentTopic, DIRECT_REQUEST_PROTOCOL } from '../transport/topics.js'
import { readFrames } from '../transport/framing.js'
import { MAX_REQUEST_BYTES } from '../wire/limits.js'
import { BootstrapDialer } from '../transport/bootstrap-dialer.js'
import { Directory } from '../discovery/directory.js'
import { Membership, type MembershipOptions } from '../discovery/membership.js'
import { RequestGate, type GateVerdict } from '../security/request-gate.js'
import { PeerPenalties } from '../security/peer-penalties.js'
import { loadSwarmKey } from '../security/swarm-key.js'
import { GossipCounters } from '../transport/gossip-counters.js'
import type { Logger } from '../log.js'
import { dirname, join } from 'node:path'

export interface MemberOptions {
  role: MeshRole
  config: LoadedConfig
  log: Logger
  listen: string[]
  self?: MembershipOptions['self']
  /** called for every request that passed the gate on a subscribed agent topic */
  onRequest?: (verdict: GateVerdict & { verdict: 'accept' }, from: string) => void
  /** called for every request refused at the gate (for audit) */
  onRefused?: (verdict: Exclude<GateVerdict, { verdict: 'accept' }>, from: string) => void
}

export class MeshMember {
  readonly directory = new Directory()
  readonly gate = new RequestGate()
  readonly membership: Membership
  readonly gossipCounters: GossipCounters
  private readonly agentTopics = new Set<string>()
  private bootstrapDialer: BootstrapDialer | undefined

  private constructor (readonly node: MeshNode, private readonly options: MemberOptions, readonly penalties: PeerPenalties, gossipCounters: GossipCounters) {
    this.gossipCounters = gossipCounters
    this.membership = new Membership(node, this.directory, { collective: options.config.collective, self: options.self, log: options.log })
  }

  static async start (options: MemberOptions): Promise<MeshMember> {
    const { config } = options
    const keyPath = config.key ?? join(config.file === '' ? process.cwd() : dirname(config.file), `${options.role}.peer.key`)
    const privateKey = await loadOrCreatePeerKey(keyPath)
    const swarmKey = config.swarm_key !== undefined ? loadSwarmKey(config.swarm_key) : undefined
    const penalties = new PeerPenalties()
    const allowedPeers = config.allowed_peers !== undefined ? new Set(config.allowed_peers) : undefined
    const gossipCounters = new GossipCounters()
    let node: MeshNode
    try {
      node = await createMeshNode({
        role: options.role,
        privateKey,
        listen: options.listen,
        swarmKey,
        allowedPeers,
        isBanned: peer => penalties.isBanned(peer.toString()),
        appScore: peer => penalties.score(peer),
        counters: gossipCounters
      })
    } catch (err) {
      throw new ConfigError(`cannot set up the mesh peer: ${(err as Error).message}`)
    }
    const member = new MeshMember(node, options, penalties, gossipCounters)
    try {
      await node.start()
    } catch (err) {
      const message = (err as Error).message
      const hint = /EADDRINUSE|address already in use/i.test(message) ? ' (is another troupe process already listening there? change `listen`)' : ''
      throw new ConfigError(`cannot listen on ${options.listen.join(', ')}: ${message}${hint}`)
    }
    await member.membership.start()
    member.bootstrapDialer = new BootstrapDialer(node, config.bootstrap, msg => options.log.warn(msg))
    await member.bootstrapDialer.firstRound()
    member.bootstrapDialer.start()
    return member
  }

  /** Subscribes to an agent's request topic with the first-hop checks in front of it. */
  serveAgentTopic (agent: string): void {
    const topic = agentTopic(this.options.config.collective, agent)
    if (this.agentTopics.has(topic)) return
    this.agentTopics.add(topic)
    const pubsub = this.node.services.pubsub
    // The validator's verdict, handed to the message event for the same message object.
    const accepted = new WeakMap<Message, GateVerdict & { verdict: 'accept' }>()
    pubsub.topicValidators.set(topic, async (from, message) => {
      const verdict = this.gate.check(message.data)
      if (verdict.verdict === 'accept') {
        // Not to be relayed: served from here, and Ignore keeps gossipsub from forwarding it
        // (without penalizing the sender; later copies are still dropped as duplicates).
        if (verdict.body.relay === false) {
          this.options.onRequest?.(verdict, message.type === 'signed' ? message.from.toString() : '')
          return TopicValidatorResult.Ignore
        }
        accepted.set(message, verdict)
        return TopicValidatorResult.Accept
      }
      this.refused(verdict, from)
      return verdict.verdict === 'reject' ? TopicValidatorResult.Reject : TopicValidatorResult.Ignore
    })
    if (this.options.onRequest !== undefined) {
      const onRequest = this.options.onRequest
      pubsub.addEventListener('message', event => {
        if (event.detail.topic !== topic) return
        const verdict = accepted.get(event.detail)
        if (verdict === undefined) return
        accepted.delete(event.detail)
        onRequest(verdict, event.detail.type === 'signed' ? event.detail.from.toString() : '')
      })
    }
    pubsub.subscribe(topic)
  }

  /**
   * Accepts requests sent straight to this peer on DIRECT_REQUEST_PROTOCOL (small identity
   * selections skip the gossip), through the same gate as gossiped ones.
   */
  async serveDirectRequests (): Promise<void> {
    const onRequest = this.options.onRequest
    if (onRequest === undefined) return
    await this.node.handle(DIRECT_REQUEST_PROTOCOL, ({ stream, connection }) => {
      readFrames(stream, MAX_REQUEST_BYTES, bytes => {
        const verdict = this.gate.check(bytes)
        if (verdict.verdict === 'accept') onRequest(verdict, connection.remotePeer.toString())
        else this.refused(verdict, connection.remotePeer)
      }).catch(err => {
        this.refused({ verdict: 'reject', kind: 'size', reason: `unreadable direct request: ${(err as Error).message}` }, connection.remotePeer)
      })
    }, { maxInboundStreams: 64 })
  }

  private refused (verdict: Exclude<GateVerdict, { verdict: 'accept' }>, from: PeerId): void {
    const sender = from.toString()
    this.options.onRefused?.(verdict, sender)
    this.options.log.warn({ from: sender, reason: verdict.reason }, 'request refused at the gate')
    if (verdict.verdict === 'reject' && this.penalties.reject(sender)) {
      this.options.log.warn({ peer: sender }, 'peer keeps sending bad requests: disconnected and banned')
      void this.node.hangUp(from).catch(() => {})
    }
  }

  multiaddrs (): string[] {
    return this.node.getMultiaddrs().map(addr => addr.toString())
  }

  async stop (): Promise<void> {
    this.bootstrapDialer?.stop()
    await this.membership.stop()
    await this.node.stop()
  }
}
