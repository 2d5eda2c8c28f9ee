// What every role (bootstrap, daemon, requester) does to be a mesh member: load its peer key
// (and the swarm key), start libp2p, keep the node directory, and apply the first-hop request
// checks on every agent topic it subscribes to, so bad requests stop at the first peer.
import { TopicValidatorResult, type Message, type PeerId, type PrivateKey } from '@libp2p/interface'
import type { LoadedConfig } from '../config/load.js'
import { ConfigError } from '../config/load.js'
import { createMeshNode, type MeshNode, type MeshRole } from '../transport/mesh-node.js'
import { loadOrCreatePeerKey } from '../transport/peer-key.js'
import { agentTopic, DIRECT_REQUEST_PROTOCOL } from '../transport/topics.js'
import { FrameError, readFrames } from '../transport/framing.js'
import { MAX_REQUEST_BYTES } from '../wire/limits.js'
import { BootstrapDialer } from '../transport/bootstrap-dialer.js'
import { Directory } from '../discovery/directory.js'
import { Membership, registrationRefreshFor, type MembershipOptions } from '../discovery/membership.js'
import { RequestGate, type GateVerdict } from '../security/request-gate.js'
import { ReplayCache } from '../security/replay.js'
import { PeerPenalties } from '../security/peer-penalties.js'
import { loadSwarmKey } from '../security/swarm-key.js'
import { GossipCounters } from '../transport/gossip-counters.js'
import type { Logger } from '../log.js'
import { dirname, join } from 'node:path'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { MeshCredentials } from './credentials.js'
import { AdmissionGate } from '../transport/admission-gate.js'
import { AdmissionPolicy, helloFor } from '../security/admission-policy.js'
import { registrationCheck } from '../security/registration-check.js'
import { peerSigner } from '../security/peer-signature.js'
import { LogThrottle } from '../log-throttle.js'
import { createHash } from 'node:crypto'
import { homedir } from 'node:os'
import { DialPolicy } from '../transport/dial-policy.js'
import { Reachability, serveReachProbes } from '../transport/reachability.js'
import { SessionGuard, serveSessions } from './session-guard.js'

/** Relays a daemon or requester holds a reservation on at once (more are listed, fewer used). */
const RELAY_RESERVATIONS = 2

export interface MemberOptions {
  role: MeshRole
  config: LoadedConfig
  log: Logger
  listen: string[]
  /** the CA, this node's certificate, the requester's caller key (see loadCredentials) */
  credentials: MeshCredentials
  /** the caller name of an authorized key; peers that hold one are admitted as requesters */
  callerName?: (key: string) => string | undefined
  self?: MembershipOptions['self']
  /**
   * called for every request that passed the gate on a subscribed agent topic, and for every
   * well-signed request from a caller this peer does not authorize ('stranger': to be refused);
   * `from` is the peer that handed it to this one (the author is the caller key that signed it)
   */
  onRequest?: (verdict: Extract<GateVerdict, { verdict: 'accept' | 'stranger' }>, from: string) => void
  /**
   * called for requests refused at the gate (for audit); a few a minute per sending peer, with
   * the number held back since the last (a peer cannot make a node write at wire speed)
   */
  onRefused?: (verdict: Exclude<GateVerdict, { verdict: 'accept' | 'stranger' }>, from: string, suppressed: number) => void
  /** where accepted request ids are kept across restarts (daemons) */
  replayJournal?: string
}

/** Where a role's libp2p key lives: `key`, else beside the config file (a requester's: per user, below). */
export function peerKeyPath (config: LoadedConfig, role: MemberOptions['role']): string {
  if (config.key !== undefined) return config.key
  // A requester's is per user and per client config, in the user's ~/.troupe: two configs in one
  // directory, or two operators sharing /etc/troupe/client.yaml, were otherwise one peer id.
  if (role === 'requester') return join(homedir(), '.troupe', 'peer', `requester-${createHash('sha256').update(config.file).digest('hex').slice(0, 12)}.key`)
  return join(config.file === '' ? process.cwd() : dirname(config.file), `${role}.peer.key`)
}

/** Where a role keeps what must survive a restart: `state_dir`, else beside its peer key. */
export function stateDir (config: LoadedConfig, role: MemberOptions['role']): string {
  return config.state_dir ?? dirname(peerKeyPath(config, role))
}

/** The admission gate of a peer with these credentials (every mesh member has one; so do test peers). */
export function admissionFor (options: {
  role: MemberOptions['role']
  collective: string
  credentials: MeshCredentials
  privateKey: PrivateKey
  callerName?: (key: string) => string | undefined
  log: Logger
  onRefused?: (peer: PeerId, reason: string) => void
}): AdmissionGate {
  const { credentials, collective } = options
  const peer = peerIdFromPrivateKey(options.privateKey).toString()
  const certificate = credentials.certificate
  return new AdmissionGate({
    policy: new AdmissionPolicy({ collective, enrollment: credentials.verifier, callerName: options.callerName }),
    hello: helloFor({
      role: options.role,
      collective,
      peer,
      enrollment: certificate !== undefined ? { identity: certificate.identity, proof: certificate.proof({ collective, peer }) } : undefined,
      callerKey: credentials.callerKey
    }),
    log: options.log,
    onRefused: options.onRefused
  })
}

export class MeshMember {
  readonly directory: Directory
  readonly gate: RequestGate
  private readonly refusalLog = new LogThrottle()
  readonly membership: Membership
  readonly gossipCounters: GossipCounters
  /** Requests received on DIRECT_REQUEST_PROTOCOL (the requester's own delivery), each frame counted */
  directRequestsIn = 0
  /** false once stopServing ran: frames still coming on a request stream opened before are dropped */
  private servingDirect = true
  readonly reachability: Reachability
  readonly sessions: SessionGuard
  private readonly agentTopics = new Set<string>()
  private bootstrapDialer: BootstrapDialer | undefined

  /** `sign`: signs with this peer's key, for what it says of itself on the gossip mesh (gossipsub signs nothing) */
  private constructor (readonly node: MeshNode, private readonly options: MemberOptions, readonly penalties: PeerPenalties, gossipCounters: GossipCounters, readonly admission: AdmissionGate, readonly sign: ReturnType<typeof peerSigner>, readonly dialPolicy: DialPolicy) {
    this.gossipCounters = gossipCounters
    const { config, credentials, log } = options
    const callerName = options.callerName
    this.gate = new RequestGate({
      collective: config.collective,
      // A lab-mode bootstrap without authorized_keys cannot tell callers apart: it passes every well-signed request on.
      isAuthorized: callerName !== undefined && (options.role !== 'bootstrap' || config.authorized_keys !== undefined) ? key => callerName(key) !== undefined : undefined,
      replay: new ReplayCache({ journal: options.replayJournal, onJournalError: message => log.error(message) })
    })
    const refusals = new LogThrottle()
    this.directory = new Directory({
      check: registrationCheck({ collective: config.collective, enrollment: credentials.verifier }),
      // A daemon hears no beats (membership.ts): its liveness comes from registrations alone.
      registrationsOnlyEvery: options.self !== undefined ? () => registrationRefreshFor(this.directory.size) : undefined,
      // A daemon only passes its directory on; requesters and bootstraps check every entry.
      checkOnUse: options.self !== undefined,
      onRefused: (registration, reason) => {
        if (refusals.allow(registration.peer)) log.warn({ peer: registration.peer, identity: registration.identity, reason }, 'registration refused')
      }
    })
    const proof = credentials.certificate?.proof({ collective: config.collective, peer: node.peerId.toString() })
    // Purges (troupe directory purge) are judged like requests: by the callers this peer authorizes.
    const isAuthorizedCaller = callerName !== undefined && config.authorized_keys !== undefined ? (key: string) => callerName(key) !== undefined : undefined
    // A requester never counts on inbound connections (docs/design.md): it dials every node, and
    // advertises only relayed addresses unless told `reachability: public`.
    const mode = options.role === 'requester' && config.reachability === 'auto' ? 'private' : config.reachability
    this.reachability = new Reachability(node, options.role === 'bootstrap' ? 'public' : mode, log)
    this.sessions = new SessionGuard(node, log)
    this.membership = new Membership(node, this.directory, { collective: config.collective, self: options.self, sign, proof, addrs: () => this.advertisedAddrs(), log, isAuthorizedCaller, onInvalid: from => { this.penalize(from) }, bootstraps: () => this.bootstrapDialer?.peers() ?? [] })
    dialPolicy.advertised = peer => this.directory.byPeerId(peer)?.addrs
  }

  /** The identity this node's certificate gives it, when it has one. */
  get certifiedIdentity (): string | undefined {
    return this.options.credentials.certificate?.identity
  }

  /** True without a CA: node identities are not checked (docs/security.md, "Lab mode"). */
  get labMode (): boolean {
    return this.options.credentials.verifier === undefined
  }

  static async start (options: MemberOptions): Promise<MeshMember> {
    const { config } = options
    const keyPath = peerKeyPath(config, options.role)
    const privateKey = await loadOrCreatePeerKey(keyPath)
    const swarmKey = config.swarm_key !== undefined ? loadSwarmKey(config.swarm_key) : undefined
    const penalties = new PeerPenalties()
    const allowedPeers = config.allowed_peers !== undefined ? new Set(config.allowed_peers) : undefined
    const gossipCounters = new GossipCounters()
    const admission = admissionFor({
      role: options.role,
      collective: config.collective,
      credentials: options.credentials,
      privateKey,
      callerName: options.callerName,
      log: options.log,
      // A refused peer may come back (its key may be authorized meanwhile) and is told why each
      // time; one that keeps trying is cut off like a peer that keeps sending bad requests.
      onRefused: refused => {
        if (penalties.reject(refused.toString())) options.log.warn({ peer: refused.toString() }, 'peer keeps failing admission: banned for a while')
      }
    })
    const dialPolicy = new DialPolicy()
    let node: MeshNode
    try {
      node = await createMeshNode({
        role: options.role,
        privateKey,
        listen: options.listen,
        sourceAddress: config.source_address,
        swarmKey,
        allowedPeers,
        isBanned: peer => penalties.isBanned(peer.toString()),
        appScore: peer => penalties.score(peer),
        counters: gossipCounters,
        admission,
        dialPolicy,
        relayServer: options.role === 'bootstrap' && config.relay,
        relayReservations: options.role === 'bootstrap' ? 0 : Math.min(RELAY_RESERVATIONS, config.bootstrap.length)
      })
    } catch (err) {
      throw new ConfigError(`cannot set up the mesh peer: ${(err as Error).message}`)
    }
    const member = new MeshMember(node, options, penalties, gossipCounters, admission, peerSigner(privateKey), dialPolicy)
    if (options.role === 'bootstrap') {
      await serveReachProbes(node, options.log)
      await serveSessions(node, options.log)
    } else {
      member.reachability.start()
      member.sessions.start()
    }
    // What this peer advertises changed (a relay reservation made or lost, reachability found):
    // registrations say so at once, so requesters reach it the way that works.
    member.reachability.onChange(() => member.membership.refresh())
    node.addEventListener('self:peer:update', () => member.membership.refresh())
    try {
      await node.start()
    } catch (err) {
      const message = (err as Error).message
      const hint = /EADDRINUSE|address already in use/i.test(message) ? ' (is another troupe process already listening there? change `listen`)' : ''
      throw new ConfigError(`cannot listen on ${options.listen.join(', ')}: ${message}${hint}`)
    }
    // A revoked certificate cuts its node off at once: admitted peers and listed nodes are checked again.
    const crl = options.credentials.crl
    if (crl !== undefined) {
      crl.onChange(() => {
        options.credentials.verifier?.reset()
        member.admission.recheck()
        member.directory.recheck()
      })
      crl.start()
    }
    await member.membership.start()
    member.bootstrapDialer = new BootstrapDialer(node, config.bootstrap, msg => options.log.warn(msg))
    await member.bootstrapDialer.firstRound()
    member.bootstrapDialer.start()
    return member
  }

  get agentTopicCount (): number {
    return this.agentTopics.size
  }

  servesAgent (agent: string): boolean {
    return this.agentTopics.has(agentTopic(this.options.config.collective, agent))
  }

  /** Subscribes to an agent's request topic with the first-hop checks in front of it. */
  serveAgentTopic (agent: string): void {
    const topic = agentTopic(this.options.config.collective, agent)
    if (this.agentTopics.has(topic)) return
    this.agentTopics.add(topic)
    const pubsub = this.node.services.pubsub
    // The validator's verdict, handed to the message event for the same message object.
    const accepted = new WeakMap<Message, { verdict: GateVerdict & { verdict: 'accept' }, from: string }>()
    pubsub.topicValidators.set(topic, async (from, message) => {
      const verdict = this.checkOnTopic(message.data, agent)
      if (verdict.verdict === 'stranger') {
        // Not forwarded, not remembered: this node may answer it with a refusal, nothing more.
        this.options.onRequest?.(verdict, from.toString())
        return TopicValidatorResult.Ignore
      }
      if (verdict.verdict === 'accept') {
        // Not to be relayed: served from here, and Ignore keeps gossipsub from forwarding it
        // (without penalizing the sender; later copies are still dropped as duplicates).
        if (verdict.body.relay === false) {
          this.options.onRequest?.(verdict, from.toString())
          return TopicValidatorResult.Ignore
        }
        accepted.set(message, { verdict, from: from.toString() })
        return TopicValidatorResult.Accept
      }
      this.refused(verdict, from)
      return verdict.verdict === 'reject' ? TopicValidatorResult.Reject : TopicValidatorResult.Ignore
    })
    if (this.options.onRequest !== undefined) {
      const onRequest = this.options.onRequest
      pubsub.addEventListener('message', event => {
        if (event.detail.topic !== topic) return
        const entry = accepted.get(event.detail)
        if (entry === undefined) return
        accepted.delete(event.detail)
        onRequest(entry.verdict, entry.from)
      })
    }
    pubsub.subscribe(topic)
  }

  /**
   * Accepts requests sent straight to this peer on DIRECT_REQUEST_PROTOCOL (every request the
   * mesh need not relay: docs/design.md, "Delivery"), through the same gate as gossiped ones.
   */
  async serveDirectRequests (): Promise<void> {
    const onRequest = this.options.onRequest
    if (onRequest === undefined) return
    await this.node.handle(DIRECT_REQUEST_PROTOCOL, ({ stream, connection }) => {
      readFrames(stream, MAX_REQUEST_BYTES, bytes => {
        this.directRequestsIn += 1
        if (!this.servingDirect) return
        const verdict = this.gate.check(bytes)
        if (verdict.verdict === 'accept' || verdict.verdict === 'stranger') onRequest(verdict, connection.remotePeer.toString())
        else this.refused(verdict, connection.remotePeer)
      }).catch(err => {
        // A malformed frame is a bad message; a stream reset or a closed connection (a requester
        // that exited or was killed mid-send) is not, and is neither warned of nor penalised.
        if (err instanceof FrameError) this.refused({ verdict: 'reject', kind: 'size', reason: `unreadable direct request: ${err.message}` }, connection.remotePeer)
        else this.options.log.debug({ from: connection.remotePeer.toString(), err: String(err) }, 'direct request stream ended')
      })
    }, { maxInboundStreams: 64, runOnLimitedConnection: true })
  }

  /** Where others can reach this peer: see src/transport/reachability.ts. */
  advertisedAddrs (): string[] {
    return this.reachability.advertised()
  }

  /** The gate, and the request must be for the agent whose topic it came on. */
  private checkOnTopic (bytes: Uint8Array, agent: string): GateVerdict {
    const verdict = this.gate.check(bytes)
    if ((verdict.verdict === 'accept' || verdict.verdict === 'stranger') && verdict.body.agent !== agent) {
      return { verdict: 'reject', kind: 'format', reason: `request for agent '${verdict.body.agent}' published on the topic of '${agent}'` }
    }
    return verdict
  }

  private refused (verdict: Exclude<GateVerdict, { verdict: 'accept' | 'stranger' }>, from: PeerId): void {
    const sender = from.toString()
    const suppressed = this.refusalLog.take(sender)
    if (suppressed !== undefined) {
      this.options.onRefused?.(verdict, sender, suppressed)
      // A copy from the requester that made the request is that requester asking again
      // (requester/reask.ts): routine on a loaded fleet, audited but not warned of. A copy from
      // any other peer is a captured request sent again.
      const reask = verdict.kind === 'replay' && verdict.body?.requester.peer === sender
      this.options.log[reask ? 'debug' : 'warn']({ from: sender, id: verdict.body?.id ?? verdict.id, reason: verdict.reason, ...(suppressed > 0 ? { suppressed } : {}) }, 'request refused at the gate')
    }
    if (verdict.verdict === 'reject') this.penalize(from)
  }

  /** One more bad message from this peer: past the limit it is disconnected and banned for a while. */
  private penalize (from: PeerId): void {
    if (!this.penalties.reject(from.toString())) return
    this.options.log.warn({ peer: from.toString() }, 'peer keeps sending bad messages: disconnected and banned')
    void this.node.hangUp(from).catch(() => {})
  }

  /** Bootstrap peers that refused this peer's admission, and why. */
  bootstrapRefusals (): Array<[peer: string, reason: string]> {
    return (this.bootstrapDialer?.peers() ?? []).flatMap(peer => {
      const reason = this.admission.refusedBy(peer)
      return reason === undefined ? [] : [[peer, reason] as [string, string]]
    })
  }

  /** True when every configured bootstrap refused this peer's admission. */
  refusedByEveryBootstrap (): boolean {
    const peers = this.bootstrapDialer?.peers() ?? []
    return peers.length > 0 && this.options.config.bootstrap.length === peers.length && peers.every(peer => this.admission.refusedBy(peer) !== undefined)
  }

  /**
   * Stops taking requests (agent topics and direct requests) while the peer stays up, so that
   * requests already taken can finish and reply before the peer stops.
   */
  async stopServing (): Promise<void> {
    // The validators stay: a copy still on its way is checked at this hop as before.
    for (const topic of this.agentTopics) this.node.services.pubsub.unsubscribe(topic)
    // A requester keeps its request stream open from one request to the next: unhandling the
    // protocol refuses new streams, the flag the frames on the ones open.
    this.servingDirect = false
    if (this.options.onRequest !== undefined) await this.node.unhandle(DIRECT_REQUEST_PROTOCOL)
  }

  multiaddrs (): string[] {
    return this.node.getMultiaddrs().map(addr => addr.toString())
  }

  async stop (): Promise<void> {
    this.options.credentials.crl?.stop()
    this.bootstrapDialer?.stop()
    this.reachability.stop()
    this.sessions.stop()
    await this.membership.stop()
    await this.node.stop()
  }
}

