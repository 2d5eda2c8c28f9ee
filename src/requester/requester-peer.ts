// The requester's mesh peer: knows the fleet from the directory, holds connections to the nodes
// so replies ride open streams, publishes signed requests and routes replies back by request id.
// It runs inside the long-lived requester agent (so CLI calls start warm) or, with
// `requester_idle: 0`, inside the CLI process itself.
import { setMaxListeners } from 'node:events'
import { peerIdFromString } from '@libp2p/peer-id'
import { TopicValidatorResult, type PeerId } from '@libp2p/interface'
import type { LoadedConfig } from '../config/load.js'
import type { Logger } from '../log.js'
import { MeshMember } from '../mesh/member.js'
import { acceptReplies } from '../transport/reply-channel.js'
import { agentTopic, undeliveredTopic } from '../transport/topics.js'
import type { Reply } from '../wire/reply.js'
import { decodeNotice, noticeSignedByItsPeer } from '../wire/undelivered.js'
import { connectionTo, isRelayedAddr, pathOf, type Path } from '../transport/connections.js'
import { DialBackoff, FLEET_DIAL_BACKOFF } from '../transport/dial-backoff.js'
import { DialQueue } from '../transport/dial-queue.js'
import { RequestChannels } from '../transport/request-channel.js'
import type { NodeRef } from '../discovery/directory.js'
import type { Filter } from '../discovery/filter/types.js'
import { loadCredentials } from '../mesh/credentials.js'
import { defaultCallerKeyPath } from '../config/locate.js'
import { LogThrottle } from '../log-throttle.js'
import type { PeerConnection } from './socket-protocol.js'
import { coalesced } from '../coalesce.js'
import { reaskSilent } from './reask.js'
import { Answers } from './answers.js'

export interface ReplyEvent {
  reply: Reply
  /** peer id of the node that sent it (authenticated by noise, or by its gossip signature) */
  peer: string
  /**
   * How the reply came: over a direct connection, through a relay, or not at all: the node
   * acted and said so over the gossip mesh, but its reply could not reach this requester
   * (`reply.data` is then empty; status and statusmsg are the node's); or refused: the node
   * refused this requester's connection (admission), and the reply says why.
   */
  delivery: Path | 'undelivered' | 'refused'
}

export interface Outgoing {
  id: string
  topic: string
  bytes: Uint8Array
  /** peer ids that should answer; empty when the directory is not used (broadcast discovery) */
  expect: string[]
  timeoutMs: number
  /** send straight to the expected peers instead of gossiping (a request the mesh need not relay; small identity selections) */
  direct?: boolean
}

/** How long a publish waits for the expected nodes' subscriptions before sending to the rest directly. */
const SUBSCRIPTION_WAIT_MS = 250
/** Without expected nodes (broadcast) there is no one to send to directly: wait longer for a first subscriber. */
const BROADCAST_SUBSCRIPTION_WAIT_MS = 3000
const DIAL_CONCURRENCY = 32
/**
 * How long a fresh requester waits for its first connections to the fleet before it answers:
 * long enough for reachable nodes, never the dial timeout of one that drops packets (every
 * request would not be sent until then; each node gets the request on its own anyway).
 */
const READY_DIAL_WAIT_MS = 1000
/** The longest one direct delivery (connect, open a stream, write) may take. */
const DIRECT_SEND_MS = 5000

/**
 * One time limit for a whole fan-out: every dial and stream to every node listens to it, so past
 * ten nodes Node would print its listener-leak warning (on the operator's terminal when the
 * requester runs in the command's own process) for what is no leak.
 */
export function fanOutSignal (ms: number): AbortSignal {
  const signal = AbortSignal.timeout(ms)
  setMaxListeners(Infinity, signal)
  return signal
}
/**
 * How long the advertised addresses are reused. They change when a relay reservation is made or
 * lost, or reachability is decided: a command in that second names the previous ones, and a node
 * that cannot use them replies over the connection it has or sends a notice (reply-channel.ts).
 */
const ADVERTISED_TTL_MS = 1000
/** New nodes in the directory are dialled this long after the first change of a burst. */
const FLEET_DIAL_DELAY_MS = 100

export class RequesterPeer {
  private readonly listeners = new Map<string, (event: ReplyEvent) => void>()
  private readonly dialing = new Map<string, Promise<void>>()
  /**
   * nodes the last dial did not reach (ahead of need, or a request's direct send), and when to try
   * each again; a node here with direct addresses only is one the mesh relays requests to
   */
  private readonly fleetDials: DialBackoff
  private fleetRetry: NodeJS.Timeout | undefined
  /** whether the first dials to the directory's nodes are over: the pool below once had nothing left to do (see hasPathTo) */
  private firstFleetDialsOver = false
  /** the connections ahead of need: one standing pool of dials, however often the directory changes */
  private readonly fleetQueue = new DialQueue(DIAL_CONCURRENCY, async peer => { await this.dialAhead(peer) })
  private readonly replyRefusals = new LogThrottle()
  private readonly requestChannels: RequestChannels

  /** Public for tests only (with a stand-in member); `start` builds the real one. */
  constructor (private readonly member: MeshMember, private readonly log: Logger, private readonly collective: string, fleetDialDelays = FLEET_DIAL_BACKOFF) {
    this.requestChannels = new RequestChannels(member.node)
    this.fleetDials = new DialBackoff(fleetDialDelays)
  }

  static async start (config: LoadedConfig, log: Logger): Promise<RequesterPeer> {
    // The caller key admits this peer to the mesh (the bootstrap and nodes list it in authorized_keys).
    const credentials = loadCredentials(config, 'requester', config.caller_key ?? defaultCallerKeyPath(), message => log.warn(message))
    const member = await MeshMember.start({ role: 'requester', config, log, credentials, listen: config.listen ?? ['/ip4/0.0.0.0/tcp/0'] })
    const peer = new RequesterPeer(member, log, config.collective)
    await acceptReplies(member.node, (_frame, from, path, reply) => peer.route(reply, from, path), log)
    peer.listenForNotices()
    // Once per burst of changes (each pass lists the whole directory); a publish dials what it
    // still lacks itself, so the delay costs no request its connections.
    member.directory.onChange(coalesced(() => { void peer.connectToFleet() }, FLEET_DIAL_DELAY_MS))
    return peer
  }

  /** Notices of nodes that acted but could not deliver their reply to this requester. */
  private listenForNotices (): void {
    const topic = undeliveredTopic(this.collective)
    const pubsub = this.member.node.services.pubsub
    const self = this.member.node.peerId.toString()
    pubsub.topicValidators.set(topic, async (_from, message) => {
      let notice
      try { notice = decodeNotice(message.data) } catch { return TopicValidatorResult.Reject }
      if (notice.requester !== self) return TopicValidatorResult.Ignore
      // Its signature authenticates the node: it may only speak for its own identity. The node
      // may not be connected to this requester (that is why it sends a notice): the directory's
      // entry for it (its enrollment checked, with a CA) says who it is.
      if (!noticeSignedByItsPeer(notice)) return TopicValidatorResult.Reject
      const peer = notice.peer
      if (this.member.directory.byPeerId(peer)?.identity !== notice.identity) return TopicValidatorResult.Ignore
      this.listeners.get(notice.id)?.({ reply: { v: 1, id: notice.id, identity: notice.identity, status: notice.status, statusmsg: notice.statusmsg, data: {} }, peer, delivery: 'undelivered' })
      return TopicValidatorResult.Ignore
    })
    pubsub.subscribe(topic)
  }

  /** Who the duplicate of this peer id is, if a bootstrap saw one (see src/mesh/session-guard.ts). */
  duplicateSeenAt (): string | undefined {
    return this.member.sessions.duplicateSeenAt
  }

  /** Waits until the directory has been learned from a peer (or maxWaitMs), then warms connections. */
  async ready (maxWaitMs: number): Promise<boolean> {
    // Refused by every bootstrap (the caller key is not authorized there): nothing will sync; say so now.
    const refused = (async (): Promise<false> => {
      const deadline = Date.now() + maxWaitMs
      while (Date.now() < deadline && !this.member.refusedByEveryBootstrap()) await new Promise(resolve => setTimeout(resolve, 50))
      return false
    })()
    const synced = await Promise.race([this.member.membership.synced(maxWaitMs), refused])
    let timer: NodeJS.Timeout | undefined
    await Promise.race([this.connectToFleet(), new Promise(resolve => { timer = setTimeout(resolve, READY_DIAL_WAIT_MS) })])
    clearTimeout(timer)
    return synced
  }

  whoami (): { peer: string, addrs: string[], warnings: string[] } {
    return { peer: this.member.node.peerId.toString(), addrs: this.advertisedAddrs(), warnings: this.warnings() }
  }

  private advertised: { addrs: string[], at: number } | undefined

  /**
   * The addresses nodes may reply to, as of at most ADVERTISED_TTL_MS ago: every command's hello
   * asks, and libp2p builds every multiaddr anew each time (a few percent of a request's CPU).
   */
  private advertisedAddrs (): string[] {
    const now = Date.now()
    if (this.advertised === undefined || now - this.advertised.at > ADVERTISED_TTL_MS) this.advertised = { addrs: this.member.advertisedAddrs(), at: now }
    return this.advertised.addrs
  }

  /** Lab mode, peers that refused this requester, identities claimed twice: said on every command. */
  private warnings (): string[] {
    const warnings: string[] = []
    if (this.member.labMode) warnings.push('lab mode: this config has no ca, so node identities are not checked (docs/security.md, "Lab mode")')
    const refusals = new Map<string, string[]>()
    // The nodes' refusals as this requester last heard them, connected or not: a node that
    // refused it may close the connection before the next command asks (the bootstraps' refusals
    // come below).
    for (const [peer, reason] of this.member.admission.refusals()) {
      const identity = this.member.directory.byPeerId(peer)?.identity
      if (identity !== undefined) refusals.set(reason, [...(refusals.get(reason) ?? []), identity])
    }
    for (const [peer, reason] of this.member.bootstrapRefusals()) refusals.set(reason, [...(refusals.get(reason) ?? []), `bootstrap ${peer}`])
    for (const [reason, peers] of refusals) warnings.push(`${[...new Set(peers)].join(', ')} refused this requester: ${reason}`)
    for (const conflict of this.member.directory.conflicts()) {
      warnings.push(`identity ${conflict.identity} is claimed by ${conflict.peers.length} peers (${conflict.peers.map(claim => claim.peer).join(', ')}): a certificate used on two hosts, or a node restarted with a new peer key (the older claim expires)`)
    }
    return warnings
  }

  directorySize (): number {
    return this.member.directory.nodes().length
  }

  select (filter: Filter, agent?: string): NodeRef[] {
    // A connection just opened may not carry gossip yet: a node whose subscription to the agent's
    // topic has not arrived (gossipsub forgets it when the connection goes) gets the request
    // directly instead (publish, below), over that connection or a new one.
    const subscribers = new Set(agent === undefined ? [] : this.member.node.services.pubsub.getSubscribers(agentTopic(this.collective, agent)).map(peer => peer.toString()))
    const connected = new Set(this.member.node.getConnections().filter(connection => connection.status === 'open').map(connection => connection.remotePeer.toString()))
    return this.member.directory.select(filter, agent, { gone: true }).map(ref => ref.gone === true ? ref : { ...ref, deliverable: subscribers.has(ref.peer) || connected.has(ref.peer) || this.hasPathTo(ref.peer) })
  }

  /**
   * Whether this requester can reach a node it holds no connection to without the mesh: through
   * the relayed address it advertises (a bootstrap's relay reaches it as the mesh would), or at
   * its direct addresses unless the last dial to them failed or the first is still under way.
   * Only the others need the mesh to relay a request, and one such node makes every node of the
   * fleet forward it (docs/design.md, "Delivery").
   */
  private hasPathTo (peer: string): boolean {
    const addrs = this.member.directory.byPeerId(peer)?.addrs ?? []
    if (addrs.some(addr => isRelayedAddr(addr))) return true
    // While the first dials to the fleet are under way, a node still being dialled is no path
    // yet: a fresh requester's first command went out while it still dialled the nodes of a fleet
    // that was starting (50 daemons on two cores); five dials timed out at 5 s, and the last of
    // those nodes acted 8.7 s after the publish, through a re-ask. Relayed, the request reaches
    // such a node through its mesh peers meanwhile. Not later: at scale a few nodes are always
    // being dialled again, and every request would be relayed.
    if (!this.firstFleetDialsOver && this.dialing.has(peer)) return false
    return addrs.length > 0 && this.fleetDials.ready(peer)
  }

  /** Open connections; one through a circuit relay has /p2p-circuit in its remote address. */
  connections (): PeerConnection[] {
    return this.member.node.getConnections().map(connection => {
      const addr = connection.remoteAddr.toString()
      return { peer: connection.remotePeer.toString(), addr, relayed: addr.includes('/p2p-circuit') }
    })
  }

  /** Applies and publishes a signed directory purge; a reason when it was refused here. */
  async purge (bytes: Uint8Array): Promise<{ error?: string, recipients: number }> {
    return await this.member.membership.purge(bytes)
  }

  /** Publishes a request and calls onReply for each reply until every expected node answered or the timeout passed. */
  async send (outgoing: Outgoing, onReply: (event: ReplyEvent) => void, signal?: AbortSignal): Promise<void> {
    let finish!: () => void
    const finished = new Promise<void>(resolve => { finish = resolve })
    const answers = new Answers(outgoing.expect, () => finish())
    this.listeners.set(outgoing.id, event => {
      if (answers.take(event)) onReply(event)
    })
    // The timeout bounds the whole send: publishing, direct deliveries and dials run beside it.
    const timer = setTimeout(finish, outgoing.timeoutMs)
    signal?.addEventListener('abort', finish)
    // Nodes whose first copy is still being sent directly: the re-ask leaves them be until it is out.
    const underway = new Set<string>()
    const deliver = outgoing.direct === true
      ? this.sendDirect(outgoing, underway)
      : this.publish(outgoing, Math.min(outgoing.expect.length > 0 ? SUBSCRIPTION_WAIT_MS : BROADCAST_SUBSCRIPTION_WAIT_MS, outgoing.timeoutMs / 2), underway)
    let failure: unknown
    deliver.catch(err => { failure = err; finish() })
    const stopReasking = outgoing.expect.length === 0
      ? () => {}
      : reaskSilent({ silent: () => answers.silent, underway: peer => underway.has(peer), lastHeardAt: () => answers.lastHeardAt, send: async peer => { await this.sendDirectTo(peer, outgoing) }, timeoutMs: outgoing.timeoutMs })
    try {
      // Refusals come as they are known; they never hold up the request to the other nodes.
      void this.reportRefusals(outgoing).catch(err => this.log.debug({ err: String(err) }, 'refusals not reported'))
      await finished
      if (failure !== undefined) throw failure
    } finally {
      stopReasking()
      clearTimeout(timer)
      this.listeners.delete(outgoing.id)
    }
  }

  private async publish (outgoing: Outgoing, maxWaitMs: number, underway: Set<string>): Promise<void> {
    const node = this.member.node
    const pubsub = node.services.pubsub
    // No waiting for dials: an expected node not connected yet gets the request on its own (below)
    // once its own connection is made. One host that drops packets held every publish for its
    // 5 s dial timeout (healthy replies came after 5 s), and `-I` on it alone took 10 s.
    // Flood-publish reaches every connected subscriber at once; wait (briefly) until the
    // subscriptions of the expected nodes we are connected to are known (a node we could not
    // reach is down, or reached by gossip), or at least one subscriber when none are expected.
    // Gossip does not run over relayed connections: nodes reached only through a relay get the
    // request directly, below.
    const connected = new Set(node.getConnections().filter(connection => connection.status === 'open' && pathOf(connection) === 'direct').map(connection => connection.remotePeer.toString()))
    const reachable = outgoing.expect.filter(peer => connected.has(peer))
    const deadline = Date.now() + maxWaitMs
    let subscribers = new Set<string>()
    while (true) {
      subscribers = new Set(pubsub.getSubscribers(outgoing.topic).map(peer => peer.toString()))
      const ready = reachable.length > 0 ? reachable.every(peer => subscribers.has(peer)) : subscribers.size > 0
      if (ready || Date.now() >= deadline) break
      await new Promise(resolve => setTimeout(resolve, 10))
    }
    const { recipients } = await pubsub.publish(outgoing.topic, outgoing.bytes)
    // An expected node that flood-publish did not reach itself (its subscription not seen yet, no
    // connection, or gossipsub's outbound stream to it not open yet: its subscription can arrive
    // first, and gossipsub then drops the copy without a word) would depend on the mesh, which a
    // node that just joined may not be part of yet: it gets the same signed bytes directly. Its
    // replay cache makes a second copy harmless.
    const sentTo = new Set(recipients.map(peer => peer.toString()))
    const unreached = outgoing.expect.filter(peer => !sentTo.has(peer))
    if (unreached.length > 0) void this.sendDirect({ ...outgoing, expect: unreached }, underway)
  }

  /**
   * The request to each expected node on its own stream, over the connection that exists (a
   * relayed one included) or a new one to its advertised addresses. Each node on its own: one
   * that cannot be reached stays missing without holding up the others.
   */
  private async sendDirect (outgoing: Outgoing, underway: Set<string>): Promise<void> {
    // One time limit for the whole fan-out, not a timer per node.
    const signal = this.directSendSignal(outgoing)
    await Promise.all(outgoing.expect.map(async peer => {
      underway.add(peer)
      try {
        await this.sendDirectTo(peer, outgoing, signal)
      } finally {
        underway.delete(peer)
      }
    }))
  }

  private directSendSignal (outgoing: Outgoing): AbortSignal {
    return fanOutSignal(Math.min(DIRECT_SEND_MS, outgoing.timeoutMs))
  }

  /** The request to one node directly; a failure is logged (the node stays silent, and is asked again). */
  private async sendDirectTo (peer: string, outgoing: Outgoing, signal = this.directSendSignal(outgoing)): Promise<void> {
    try {
      const connection = await connectionTo(this.member.node, this.peerIdOf(peer), this.member.directory.byPeerId(peer)?.addrs ?? [], signal)
      await this.requestChannels.send(connection, outgoing.bytes, signal)
    } catch (err) {
      // Remembered as a failed dial: the next selection lets the mesh relay to a node with no other path.
      this.fleetDials.failed(peer)
      this.log.debug({ peer, id: outgoing.id, err: String(err) }, 'direct request not delivered')
    }
  }

  /**
   * An expected node that refused this requester's connection (its authorized_keys lacks the
   * caller key) will not act and cannot answer: it is reported as refused, with its reason, not
   * left to look like a node that is down.
   */
  private async reportRefusals (outgoing: Outgoing): Promise<void> {
    await this.dialAll(outgoing.expect)
    await Promise.all(outgoing.expect.map(async peer => {
      const reason = await this.member.admission.refusalFrom(peer)
      const identity = this.member.directory.byPeerId(peer)?.identity
      if (reason === undefined || identity === undefined) return
      this.listeners.get(outgoing.id)?.({ peer, delivery: 'refused', reply: { v: 1, id: outgoing.id, identity, status: 1, statusmsg: `not authorized: ${identity} refused this requester's connection (${reason})`, data: {} } })
    }))
  }

  /** Peer ids decoded once per node, not on every request sent to it (a base58 decode and a multihash parse each). */
  private readonly peerIds = new Map<string, PeerId>()

  private peerIdOf (peer: string): PeerId {
    let id = this.peerIds.get(peer)
    if (id === undefined) {
      // Bounded by the fleet: cleared when it outgrows the directory (nodes that left for good).
      if (this.peerIds.size > 2 * this.member.directory.size + 1024) this.peerIds.clear()
      id = peerIdFromString(peer)
      this.peerIds.set(peer, id)
    }
    return id
  }

  /** Routes a reply to the send waiting for it; true when one was. */
  private route (reply: Reply | undefined, from: PeerId, path: Path): boolean {
    const peer = from.toString()
    if (reply === undefined) {
      if (this.replyRefusals.allow(peer)) this.log.warn({ peer }, 'reply refused: not a valid reply')
      return false
    }
    const vouched = this.vouchedIdentity(peer)
    if (vouched !== reply.identity) {
      if (this.replyRefusals.allow(peer)) this.log.warn({ peer, claimed: reply.identity, vouched }, 'reply refused: sender is not the node it claims to be')
      return false
    }
    const listener = this.listeners.get(reply.id)
    listener?.({ reply, peer, delivery: path })
    return listener !== undefined
  }

  /**
   * Who a peer is, as far as this requester can vouch for it: with a CA, the identity its
   * certificate proved on this very connection (admission); in lab mode, the identity its own
   * signed registration claims. A peer in neither answers in nobody's name, whatever the
   * discovery method.
   */
  private vouchedIdentity (peer: string): string | undefined {
    if (this.member.labMode) return this.member.directory.byPeerId(peer)?.identity
    const admitted = this.member.admission.whoIs(peer)
    return admitted?.kind === 'node' ? admitted.identity : undefined
  }

  /**
   * Opens connections to every node in the directory that we are not connected to, except those
   * a recent dial did not reach (they are tried again when their backoff is up, without waiting
   * for the directory to change; a request dials them at once). The dials go through one
   * standing pool (DialQueue), however often the directory changes; this resolves when the pool
   * has no more to do.
   */
  async connectToFleet (): Promise<void> {
    const peers = this.member.directory.nodes().map(node => node.peer)
    this.fleetQueue.add(this.dialWanted(peers, true))
    await this.fleetQueue.settled()
    if (peers.length > 0) this.firstFleetDialsOver = true
    if (this.member.node.status !== 'started') return
    const connected = this.connectedPeers()
    const dueIn = this.fleetDials.nextDueIn(peers.filter(peer => !connected.has(peer)))
    clearTimeout(this.fleetRetry)
    if (dueIn === undefined) return
    this.fleetRetry = setTimeout(() => { void this.connectToFleet() }, dueIn)
    this.fleetRetry.unref()
  }

  /** One of the pool's dials: the peer is checked again, as it may have waited its turn a while. */
  private async dialAhead (peer: string): Promise<void> {
    if (this.member.node.status !== 'started' || this.dialing.has(peer)) return
    if (this.member.node.getConnections(this.peerIdOf(peer)).length > 0 || !this.worthDialling(peer, true)) return
    await this.dialNode(peer)
  }

  /**
   * Connects to each of these peers we are not connected to, at once (a publish's own dials do
   * not wait behind the pool's). A dial already under way (the pool's, say) is awaited rather
   * than skipped: a publish must not go out before the connections it counts on exist.
   */
  private async dialAll (peers: string[]): Promise<void> {
    const wanted = this.dialWanted(peers, false)
    const inFlight = wanted.map(peer => this.dialing.get(peer)).filter((dial): dial is Promise<void> => dial !== undefined)
    const todo = wanted.filter(peer => !this.dialing.has(peer))
    const worker = async (): Promise<void> => {
      for (let peer = todo.shift(); peer !== undefined; peer = todo.shift()) {
        await (this.dialing.get(peer) ?? this.dialNode(peer))
      }
    }
    await Promise.all([...inFlight, ...Array.from({ length: Math.min(DIAL_CONCURRENCY, todo.length) }, worker)])
  }

  /**
   * Of these peers, those worth a dial: not connected, not this peer, and not a peer with recent
   * rejects (it failed admission here: a revoked node, until its entry expires; every directory
   * change would reopen a connection only to close it again). Ahead of need, also not one whose
   * last dial failed, until its backoff is up.
   */
  private dialWanted (peers: string[], ahead: boolean): string[] {
    const connected = this.connectedPeers()
    return peers.filter(peer => !connected.has(peer) && this.worthDialling(peer, ahead))
  }

  private worthDialling (peer: string, ahead: boolean): boolean {
    return peer !== this.member.node.peerId.toString() && this.member.penalties.score(peer) >= 0 && (!ahead || this.fleetDials.ready(peer))
  }

  /**
   * From the connections' own peer ids (each keeps its string): getPeers() rebuilt every peer id
   * from its string and encoded it again, on every call (a few percent of a request's CPU).
   */
  private connectedPeers (): Set<string> {
    return new Set(this.member.node.getConnections().map(connection => connection.remotePeer.toString()))
  }

  /** Dials one peer, known to `dialing` while it lasts; a failure starts (or lengthens) its backoff. */
  private async dialNode (peer: string): Promise<void> {
    const dial = (async () => {
      try {
        const connection = await connectionTo(this.member.node, peerIdFromString(peer), this.member.directory.byPeerId(peer)?.addrs ?? [], AbortSignal.timeout(5000))
        // Reached means admitted: a node too busy to send its hello in time is dropped at the
        // admission time-out, and is not reached either. Not awaited: a request waiting on
        // this dial (to report a refusal) must not wait for the verdict too.
        void this.member.admission.admittedOn(connection).then(admitted => {
          if (admitted) this.fleetDials.succeeded(peer)
          else this.fleetDials.failed(peer)
        })
      } catch (err) {
        this.fleetDials.failed(peer)
        this.log.debug({ peer, err: String(err) }, 'could not connect to node')
      } finally {
        this.dialing.delete(peer)
      }
    })()
    this.dialing.set(peer, dial)
    await dial
  }

  async stop (): Promise<void> {
    clearTimeout(this.fleetRetry)
    this.fleetQueue.clear()
    await this.member.stop()
  }
}
