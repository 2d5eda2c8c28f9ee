// Keeps a Directory current over the mesh. Daemons gossip their full registration when they start,
// when it changes and every hour or so (registrationRefreshFor); every peer applies it. A small beat goes out on
// every interval on a topic only requesters and bootstraps hear: daemons pass none on (beats were
// most of an idle daemon's CPU), and judge liveness from registrations alone. A newcomer
// fetches a snapshot from the first peers it meets, and an entry that a beat shows to be missing
// or out of date is fetched from the neighbour that relayed the beat (it has the registration,
// and the connection is open), else from the node itself.
//
// The beat interval grows with the fleet so that the whole fleet sends at most
// FLEET_BEATS_PER_SECOND beats a second: per-node gossip load stays flat from ten nodes to ten
// thousand, and a crashed node is marked gone after three missed intervals (a request names it
// missing, with when it was last seen, until it is purged; a node that stops cleanly leaves at once).
import { RELAY_V2_HOP_CODEC } from '@libp2p/circuit-relay-v2'
import { TopicValidatorResult, type PeerId, type Message } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { createHash } from 'node:crypto'
import type { MeshNode } from '../transport/mesh-node.js'
import { beatTopic, registryTopic, DIRECTORY_PROTOCOL } from '../transport/topics.js'
import { frameWriter, readFrames, writeFrame, readFirstFrame } from '../transport/framing.js'
import { decodeRegistryMessage, encodeRegistryMessage, parseRegistration, signBeat, signedByItsPeer, signRegistration, type Beat, type Registration, type RegistryMessage } from '../wire/registration.js'
import type { PeerSigner } from '../security/peer-signature.js'
import type { EnrollmentProof } from '../security/enrollment.js'
import { jsonBytes, parseJsonBytes } from '../wire/canonical.js'
import { MAX_DIRECTORY_FRAME_BYTES, MAX_DIRECTORY_QUERY_BYTES } from '../wire/limits.js'
import type { Directory, SnapshotEntry } from './directory.js'
import { connectionTo, isRelayedAddr, streamOn } from '../transport/connections.js'
import type { Logger } from '../log.js'
import { LogThrottle } from '../log-throttle.js'
import { purgeTopic, verifyPurge, type PurgeBody } from './purge.js'
import { CatchUpSchedule } from './catch-up.js'
import { snapshotFrame } from './snapshot-frame.js'

/**
 * A node's first messages are full registrations after 0.2, 1 and 2 s, then beats 4, 8 and 16 s
 * apart, then one every interval: early gossip is often lost while the first connections are
 * still setting up their streams, and a fleet that starts together must still converge in seconds.
 */
const STARTUP_REGISTRATIONS = 3
const STARTUP_MESSAGES = 6
/** Beats the whole fleet sends per second at most; each node's interval stretches to keep it so. */
export const FLEET_BEATS_PER_SECOND = 2
/**
 * A node repeats its full registration this often (seconds), unchanged: daemons hear no beats,
 * and take a node that has not registered for three of these as gone. On a large fleet it
 * stretches so that the whole fleet repeats at most FLEET_REGISTRATIONS_PER_SECOND: every daemon
 * handles every registration, so a fixed hour would cost each one N / 3600 a second.
 */
export const REGISTRATION_REFRESH_S = 3600
export const FLEET_REGISTRATIONS_PER_SECOND = 0.5

/** Seconds between a node's unchanged registrations in a fleet of this size. */
export function registrationRefreshFor (fleetSize: number): number {
  return Math.max(REGISTRATION_REFRESH_S, Math.ceil(fleetSize / FLEET_REGISTRATIONS_PER_SECOND))
}
/** Peers a newcomer takes the directory from (and gives its registration to), and how hard it tries. */
const SYNC_PEERS = 3

const SYNC_MAX_BACKOFF_MS = 30_000
/** How often a requester asks a peer again whose directory came back empty (0.5 + 1 + 2 + 4 s). */
const EMPTY_SYNC_RETRIES = 4
const UNSYNCED_RETRY_MS = 5_000
const SNAPSHOT_ENTRIES_PER_FRAME = 256
const MAX_SNAPSHOT_ENTRIES = 200_000
const MAX_QUERY_PEERS = 4096
/** Entries a query may say it holds (a version string is ~70 bytes; the query is at most 1 MiB). */
const MAX_HAVE_ENTRIES = 12_000

/** One run and revision of a node's registration: a peer that holds it needs no copy. */
function versionOf (registration: Registration): string {
  return `${registration.peer}/${registration.started}/${registration.rev}`
}
/**
 * How often entries past expiry are looked for. Whether a node is missing is worked out when it is
 * asked (directory.ts isExpired), so this only logs the expiry, tells the directory's listeners and
 * forgets week-old entries: 10 s late at worst against an expiry of 90 s (three default beat
 * intervals). Was 1 s, a wakeup a second on every idle daemon (docs/design.md, "Timers").
 */
const EXPIRY_CHECK_MS = 10_000
/** Registrations wanted after a beat are gathered this long, then asked for in one stream. */
const FETCH_GATHER_MS = 200
/** A registration asked for is not asked for again sooner than this. */
const FETCH_RETRY_MS = 5000

/** Seconds between a node's beats in a fleet of this size (the bench derives its figures from this too). */
export function beatIntervalFor (fleetSize: number, configuredSeconds: number): number {
  return Math.max(configuredSeconds, Math.ceil(fleetSize / FLEET_BEATS_PER_SECOND))
}

export type SelfRegistration = Omit<Registration, 'kind' | 'seq' | 'rev' | 'peer' | 'addrs' | 'collective' | 'proof' | 'sig'>

export interface MembershipOptions {
  collective: string
  /** for daemons: this node's registration, built fresh each time; `interval` is the shortest beat interval */
  self?: () => SelfRegistration
  /** signs this node's registrations with its peer key */
  sign: PeerSigner
  /** this node's enrollment proof (absent in lab mode, without a CA) */
  proof?: EnrollmentProof
  /** a peer relayed a registry message that is junk: it is penalised like one sending bad requests */
  onInvalid?: (from: PeerId) => void
  /** the addresses this node advertises (default: all it listens on); a change is announced */
  addrs?: () => string[]
  log: Logger
  /**
   * Whether a caller key may purge directory entries; undefined on a peer without
   * authorized_keys (a requester), which accepts any validly signed purge (see purge.ts).
   */
  isAuthorizedCaller?: (publicKey: string) => boolean
  /**
   * The peer ids of this node's configured bootstraps, as far as they are known: a daemon hands
   * each its registration whenever it connects (see handOver).
   */
  bootstraps?: () => string[]
}

export class Membership {
  private readonly topic: string
  private readonly beats: string
  private seq = 0
  /** when this node last gossiped its full registration (its refresh is due registrationRefreshFor later) */
  private registeredAt = 0
  private rev = 0
  /** set once this node's leave is announced */
  private left = false
  /** messages this node has scheduled so far (registrations and beats) */
  private sent = 0
  /** digest of what the last changed registration said, to skip announcing nothing new */
  private announcedDigest = ''
  private catchUps: CatchUpSchedule | undefined
  private announcedAfterSync = false
  private beatTimer: NodeJS.Timeout | undefined
  private expiryTimer: NodeJS.Timeout | undefined
  private fetchTimer: NodeJS.Timeout | undefined
  private unsyncedTimer: NodeJS.Timeout | undefined
  private hasSynced = false
  private readonly syncedFrom = new Set<string>()
  /** bootstraps that hold this daemon's registration over their current connection (or are being handed it) */
  private readonly handedTo = new Set<string>()
  private readonly firstSync: Promise<void>
  private resolveFirstSync!: () => void
  /** registrations to fetch (the beat that showed them missing or old), by the neighbour to ask */
  private readonly wanted = new Map<string, Map<string, Beat>>()
  private readonly askedAt = new Map<string, number>()
  private readonly refusalLog = new LogThrottle()

  constructor (private readonly node: MeshNode, private readonly directory: Directory, private readonly options: MembershipOptions) {
    this.topic = registryTopic(options.collective)
    this.beats = beatTopic(options.collective)
    this.firstSync = new Promise(resolve => { this.resolveFirstSync = () => { this.hasSynced = true; resolve() } })
  }

  async start (): Promise<void> {
    const pubsub = this.node.services.pubsub
    // The validator decodes once; the message event (fired only for new, accepted messages) applies.
    const decoded = new WeakMap<Message, { message: RegistryMessage, relayedBy: string }>()
    const validator = (beatsOnly: boolean) => async (from: PeerId, message: Message): Promise<TopicValidatorResult> => {
      const verdict = this.validate(from, message, beatsOnly)
      if (verdict !== undefined) decoded.set(message, { message: verdict, relayedBy: from.toString() })
      return verdict !== undefined ? TopicValidatorResult.Accept : TopicValidatorResult.Reject
    }
    // Daemons hear registrations only; requesters and bootstraps (no self) hear beats too.
    const topics = this.options.self === undefined ? [this.topic, this.beats] : [this.topic]
    for (const topic of topics) pubsub.topicValidators.set(topic, validator(topic === this.beats))
    pubsub.addEventListener('message', event => {
      if (!topics.includes(event.detail.topic)) return
      const entry = decoded.get(event.detail)
      if (entry === undefined) return
      decoded.delete(event.detail)
      this.receive(entry.message, entry.relayedBy)
    })
    for (const topic of topics) pubsub.subscribe(topic)
    this.servePurges()

    await this.node.handle(DIRECTORY_PROTOCOL, ({ stream, connection }) => {
      this.serveSnapshot(stream, connection.remotePeer.toString()).catch(err => {
        this.options.log.debug({ err: String(err) }, 'directory snapshot not sent')
        stream.abort(err as Error)
      })
    }, { maxInboundStreams: 64, runOnLimitedConnection: true })

    // A peer we just connected to knows the fleet: ask it for its directory (not over a relayed
    // connection: a whole directory would eat the relay's data limit).
    this.node.addEventListener('peer:identify', event => {
      if (event.detail.protocols.includes(DIRECTORY_PROTOCOL) && !isRelayedAddr(event.detail.connection.remoteAddr)) void this.syncFrom(event.detail.peerId)
      void this.handOver(event.detail.peerId)
    })
    // Not on identify alone: on a loaded host identify can time out, and the bootstrap's is the
    // one registration hand-over that must not be skipped (catch-ups ask it for everyone).
    this.node.addEventListener('peer:connect', event => { void this.handOver(event.detail) })
    this.node.addEventListener('peer:disconnect', event => { this.handedTo.delete(event.detail.toString()) })
    // Announce as soon as someone can hear it.
    pubsub.addEventListener('subscription-change', event => {
      if (this.options.self === undefined || this.seq > 1) return
      if (event.detail.subscriptions.some(s => s.topic === this.topic && s.subscribe)) this.announce('announce', false)
    })

    if (this.options.self !== undefined) this.scheduleNext()
    // Sync starts on identify; on a loaded host identify can time out and leave a node connected
    // yet alone, its registration unknown to everyone. Until a sync succeeds, keep asking.
    this.unsyncedTimer = setInterval(() => {
      if (this.hasSynced) { clearInterval(this.unsyncedTimer); return }
      for (const peer of this.node.getPeers()) void this.syncFrom(peer)
    }, UNSYNCED_RETRY_MS)
    this.unsyncedTimer.unref()
    this.expiryTimer = setInterval(() => {
      for (const identity of this.directory.expire()) this.options.log.info({ identity }, 'node past expiry: reported missing until it comes back, leaves or is purged')
    }, EXPIRY_CHECK_MS)
    this.expiryTimer.unref()
  }

  /** Purges arrive on their own topic; a valid one forgets the entry here and travels on. */
  private servePurges (): void {
    const pubsub = this.node.services.pubsub
    const topic = purgeTopic(this.options.collective)
    const accepted = new WeakMap<Message, PurgeBody>()
    pubsub.topicValidators.set(topic, async (from, message) => {
      const verdict = this.checkPurge(message.data)
      if (typeof verdict === 'string') {
        this.options.log.warn({ from: from.toString(), reason: verdict }, 'directory purge refused')
        // Ignore, not Reject: the peer that relayed it may be an honest requester agent (it
        // cannot tell which callers the daemons authorize).
        return TopicValidatorResult.Ignore
      }
      accepted.set(message, verdict)
      return TopicValidatorResult.Accept
    })
    pubsub.addEventListener('message', event => {
      if (event.detail.topic !== topic) return
      const body = accepted.get(event.detail)
      if (body === undefined) return
      accepted.delete(event.detail)
      this.applyPurge(body)
    })
    pubsub.subscribe(topic)
  }

  private checkPurge (bytes: Uint8Array): PurgeBody | string {
    const body = verifyPurge(bytes, this.options.collective)
    if (typeof body === 'string') return body
    if (this.options.isAuthorizedCaller !== undefined && !this.options.isAuthorizedCaller(body.caller)) return 'purge signed by a caller key not in authorized_keys'
    return body
  }

  private applyPurge (body: PurgeBody): boolean {
    const purged = this.directory.purge(body.peer)
    this.options.log.info({ identity: body.identity, peer: body.peer, purged }, purged ? 'directory entry purged' : 'directory purge of a live node ignored')
    return purged
  }

  /**
   * A purge signed by this peer's operator (`troupe directory purge`): applied here, then
   * published. Says why when refused here, else how many peers it was sent to.
   */
  async purge (bytes: Uint8Array): Promise<{ error?: string, recipients: number }> {
    const body = this.checkPurge(bytes)
    if (typeof body === 'string') return { error: body, recipients: 0 }
    if (!this.applyPurge(body)) return { error: `${body.identity} is alive: only a node past expiry can be purged`, recipients: 0 }
    try {
      const result = await this.node.services.pubsub.publish(purgeTopic(this.options.collective), bytes)
      return { recipients: result.recipients.length }
    } catch (err) {
      this.options.log.warn({ err: String(err) }, 'directory purge not published')
      return { recipients: 0 }
    }
  }

  /** Resolves once a directory snapshot has been merged from at least one peer, or after maxWaitMs. */
  async synced (maxWaitMs: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<boolean>(resolve => { timer = setTimeout(() => resolve(false), maxWaitMs) })
    const result = await Promise.race([this.firstSync.then(() => true), timeout])
    clearTimeout(timer)
    return result
  }

  /**
   * Gossips this node's full registration: when what it says of itself changed (the default), at
   * start-up, and on leaving.
   */
  announce (kind: Registration['kind'] = 'announce', changed = true): void {
    // Nothing follows the leave: libp2p's own stop drops the listen addresses and emits
    // self:peer:update, which would gossip a fresh registration, without addresses, after it.
    if (this.options.self === undefined || this.left) return
    this.seq += 1
    if (kind === 'announce' && (changed || this.rev === 0)) {
      this.rev = this.seq
      this.announcedDigest = this.selfDigest()
    }
    const registration = this.selfRegistration(kind)
    if (registration === undefined) return
    this.directory.apply(registration)
    this.registeredAt = Date.now()
    this.publish(this.topic, registration)
  }

  /** Announces the registration again if what this node says of itself (facts, classes, agents) changed. */
  refresh (): void {
    if (this.options.self !== undefined && this.selfDigest() !== this.announcedDigest) this.announce()
  }

  private selfDigest (): string {
    const self = this.options.self?.()
    return self === undefined ? '' : createHash('sha256').update(jsonBytes(self)).update(this.addrs().join(' ')).digest('base64')
  }

  /** This node's registration as of now (at the current seq and rev); undefined for requesters and the bootstrap. */
  private selfRegistration (kind: Registration['kind']): Registration | undefined {
    if (this.options.self === undefined) return undefined
    if (this.rev === 0) {
      // Handed over (to a directory query) before the first announcement: this is revision one.
      this.seq += 1
      this.rev = this.seq
      this.announcedDigest = this.selfDigest()
    }
    return signRegistration({
      ...this.options.self(),
      interval: this.beatInterval(),
      peer: this.node.peerId.toString(),
      addrs: this.addrs(),
      collective: this.options.collective,
      ...(this.options.proof !== undefined ? { proof: this.options.proof } : {}),
      kind,
      seq: this.seq,
      rev: this.rev
    }, this.options.sign)
  }

  /** Seconds between beats: the configured interval, stretched so the fleet sends at most FLEET_BEATS_PER_SECOND. */
  beatInterval (): number {
    return beatIntervalFor(this.directory.size, this.options.self?.().interval ?? 30)
  }

  async stop (): Promise<void> {
    clearTimeout(this.beatTimer)
    clearInterval(this.expiryTimer)
    clearTimeout(this.fetchTimer)
    clearInterval(this.unsyncedTimer)
    this.catchUps?.stop()
    if (this.options.self !== undefined && this.node.status === 'started' && !this.left) {
      this.announce('leave')
      this.left = true
      // Give the leave a moment on the wire before the connections close.
      await new Promise(resolve => setTimeout(resolve, 100))
    }
  }

  private beat (): void {
    const self = this.options.self?.()
    if (self === undefined) return
    this.seq += 1
    const beat: Beat = signBeat({ v: 1, kind: 'beat', identity: self.identity, peer: this.node.peerId.toString(), addrs: this.addrs(), started: self.started, seq: this.seq, rev: this.rev, interval: this.beatInterval() }, this.options.sign)
    this.directory.applyBeat(beat)
    this.publish(this.beats, beat)
  }

  private addrs (): string[] {
    return this.options.addrs?.() ?? this.node.getMultiaddrs().map(addr => addr.toString())
  }

  private publish (topic: string, message: RegistryMessage): void {
    this.node.services.pubsub.publish(topic, encodeRegistryMessage(message)).catch(err => {
      this.options.log.debug({ err: String(err) }, 'registry message not published')
    })
  }

  private scheduleNext (): void {
    const delayMs = this.nextDelayMs()
    const startingUp = this.sent < STARTUP_REGISTRATIONS
    this.sent += 1
    this.beatTimer = setTimeout(() => {
      if (startingUp || Date.now() - this.registeredAt >= registrationRefreshFor(this.directory.size) * 1000) this.announce('announce', false)
      else this.beat()
      this.scheduleNext()
    }, delayMs)
    this.beatTimer.unref()
  }

  private validate (from: PeerId, message: Message, beatsOnly: boolean): RegistryMessage | undefined {
    let reason: string
    let claimed: string | undefined
    try {
      const decoded = decodeRegistryMessage(message.data)
      // Signed by the peer it describes (gossipsub signs nothing itself: StrictNoSign).
      if (beatsOnly && decoded.kind !== 'beat') reason = 'a registration on the beat topic'
      else if (!signedByItsPeer(decoded)) reason = 'not signed by the peer it describes'
      else return decoded
      claimed = decoded.peer
    } catch (err) {
      reason = (err as Error).message
    }
    // A peer that passes on junk is the one blamed (gossipsub rejects it, troupe counts it).
    this.options.onInvalid?.(from)
    const held = this.refusalLog.take(from.toString())
    if (held !== undefined) this.options.log.warn({ from: from.toString(), reason, ...(claimed !== undefined ? { claimed } : {}), ...(held > 0 ? { suppressed: held } : {}) }, 'registry message refused')
    return undefined
  }

  private receive (message: RegistryMessage, relayedBy: string): void {
    if (message.kind !== 'beat') {
      this.directory.apply(message)
      return
    }
    if (this.directory.applyBeat(message) !== 'current') this.want(message, relayedBy)
  }

  private want (beat: Beat, askFirst: string): void {
    const now = Date.now()
    if ((this.askedAt.get(beat.peer) ?? 0) > now - FETCH_RETRY_MS) return
    this.askedAt.set(beat.peer, now)
    const beats = this.wanted.get(askFirst) ?? new Map<string, Beat>()
    beats.set(beat.peer, beat)
    this.wanted.set(askFirst, beats)
    if (this.fetchTimer === undefined) {
      this.fetchTimer = setTimeout(() => { this.fetchTimer = undefined; void this.fetchWanted() }, FETCH_GATHER_MS)
      this.fetchTimer.unref()
    }
  }

  /** How long until the next message, from how many this node has sent (see STARTUP_MESSAGES). */
  private nextDelayMs (): number {
    const interval = this.beatInterval() * 1000
    // Jitter spreads a fleet's beats instead of bursting them together.
    const steady = interval * (0.8 + Math.random() * 0.2)
    if (this.sent === 0) return 200
    if (this.sent < STARTUP_MESSAGES) return Math.min(steady, 1000 * 2 ** (this.sent - 1))
    // After start-up, a random phase: a fleet restarted at once (a config run, a reboot) would
    // otherwise beat in step for hours, every node busy at the same moments (measured: 50
    // daemons on one host kept both cores busy for 5 s of every 30).
    if (this.sent === STARTUP_MESSAGES) return Math.random() * interval
    return steady
  }

  private async fetchWanted (): Promise<void> {
    const batches = [...this.wanted]
    this.wanted.clear()
    const stillWanted = (beats: Map<string, Beat>): string[] => [...beats.values()].filter(beat => this.directory.judgeBeat(beat) !== 'current').map(beat => beat.peer)
    for (const [source, beats] of batches) {
      await this.fetchFrom(source, [...beats.keys()])
      // What the neighbour did not have, the node itself has (if we can reach it), and the peers
      // we first learned the fleet from (the bootstrap first) know every node that met them.
      for (const peer of stillWanted(beats)) await this.fetchFrom(peer, [peer], beats.get(peer)?.addrs)
      for (const synced of this.syncedFrom) {
        const missing = stillWanted(beats)
        if (missing.length === 0) break
        await this.fetchFrom(synced, missing)
      }
    }
    for (const [peer, at] of this.askedAt) if (at < Date.now() - FETCH_RETRY_MS) this.askedAt.delete(peer)
  }

  private async fetchFrom (source: string, peers: string[], addrs: string[] = []): Promise<void> {
    if (source === this.node.peerId.toString()) return
    try {
      const peer = peerIdFromString(source)
      const merged = await this.querySnapshot(peer, peers, undefined, addrs)
      this.options.log.debug({ source, asked: peers.length, merged }, 'registrations fetched')
    } catch (err) {
      this.options.log.debug({ source, err: String(err) }, 'registrations not fetched')
    }
  }

  /**
   * The first peers met give their directory (and get this node's registration). A busy peer is
   * asked again, backing off, for as long as the connection lasts: until one has the
   * registration, the rest of the fleet learns of this node only from its beats.
   */
  private async syncFrom (peer: PeerId): Promise<void> {
    const key = peer.toString()
    if (this.syncedFrom.has(key) || this.syncedFrom.size >= SYNC_PEERS) return
    this.syncedFrom.add(key)
    for (let attempt = 0; ; attempt++) {
      try {
        // After the first snapshot, a peer is asked only for what this one lacks: at 1000 nodes a
        // whole directory is a few MB to build, send and parse, mostly entries already held.
        // A bootstrap is handed the registration on connecting (handOver): not twice.
        const merged = await this.querySnapshot(peer, undefined, this.handedTo.has(key) ? undefined : this.selfRegistration('announce'), [], this.heldVersions())
        // A requester's first sync must bring nodes: a bootstrap that just restarted answers
        // with an empty directory, and a requester that took that as the fleet would select
        // nothing. An empty answer is asked again, backing off, a few times before it is taken
        // (an empty fleet then costs the first command the ready wait, nothing more).
        if (merged === 0 && this.options.self === undefined && !this.hasSynced && attempt < EMPTY_SYNC_RETRIES) throw new Error('empty directory')
        this.resolveFirstSync()
        if (this.options.self === undefined) this.scheduleCatchUp(peer)
        // The connection now carries streams both ways: gossip published now is not lost, as the
        // first announcements of a node that starts in a crowd can be.
        else if (!this.announcedAfterSync) {
          this.announcedAfterSync = true
          this.announce('announce', false)
        }
        return
      } catch (err) {
        this.options.log.debug({ peer: key, attempt, err: String(err) }, 'directory sync failed')
        if (this.node.status !== 'started' || this.node.getConnections(peer).length === 0) break
        await new Promise(resolve => setTimeout(resolve, Math.min(SYNC_MAX_BACKOFF_MS, 500 * 2 ** attempt)))
      }
    }
    this.syncedFrom.delete(key)
  }

  /**
   * A daemon gives each configured bootstrap its registration on every connection, whether or not
   * it synced from it: requesters' catch-ups ask a bootstrap for the nodes they lack, so a node
   * the bootstrap misses is missed by them until its next registration or beat, and those are
   * minutes apart on a large fleet (in a 2000-daemon join, where most first dials to the
   * bootstrap time out, a daemon's three sync peers need not include it). A bootstrap that
   * restarted with an empty directory gets it back the same way. Asks for no entries: one small
   * frame each way.
   */
  private async handOver (peer: PeerId): Promise<void> {
    const key = peer.toString()
    if (this.options.self === undefined || this.handedTo.has(key) || this.options.bootstraps?.().includes(key) !== true) return
    this.handedTo.add(key)
    for (let attempt = 0; this.node.status === 'started' && this.node.getConnections(peer).length > 0; attempt++) {
      try {
        await this.querySnapshot(peer, [], this.selfRegistration('announce'))
        return
      } catch (err) {
        this.options.log.debug({ peer: key, attempt, err: String(err) }, 'registration not handed to the bootstrap')
        await new Promise(resolve => setTimeout(resolve, Math.min(SYNC_MAX_BACKOFF_MS, 500 * 2 ** attempt)))
      }
    }
    this.handedTo.delete(key)
  }

  /**
   * Catch-ups (catch-up.ts) ask a bootstrap when one is connected: every node hands it its
   * registration on joining, so it misses none, where the peer first synced from may be a node
   * that joined in the same crowd. A catch-up names the versions held, and gets only the others.
   */
  private scheduleCatchUp (peer: PeerId): void {
    this.catchUps ??= new CatchUpSchedule(this.directory, async () => {
      if (this.node.status !== 'started') return
      try {
        await this.querySnapshot(await this.catchUpPeer(peer), undefined, undefined, [], this.heldVersions())
      } catch (err) {
        this.options.log.debug({ err: String(err) }, 'directory catch-up failed')
      }
    })
  }

  /** A connected bootstrap (only relays advertise circuit relay v2's hop protocol), else the given peer. */
  private async catchUpPeer (fallback: PeerId): Promise<PeerId> {
    for (const peer of this.node.getPeers()) {
      const known = await this.node.peerStore.get(peer).catch(() => undefined)
      if (known?.protocols.includes(RELAY_V2_HOP_CODEC) === true) return peer
    }
    return fallback
  }

  /**
   * What this peer already holds, one version string per entry, for a peer to leave out of its
   * snapshot; undefined when nothing is held yet (or too much to say in one query).
   */
  private heldVersions (): string[] | undefined {
    const size = this.directory.size
    if (size === 0 || size > MAX_HAVE_ENTRIES) return undefined
    return this.directory.snapshot().map(entry => versionOf(entry.registration))
  }

  /**
   * Asks a peer for its directory (all of it, or the given peers' entries) and merges what comes.
   * A daemon hands over its own registration with the question: unlike gossip sent while the
   * connection's streams are still being set up, it cannot be lost, so the first peers a node
   * meets (the bootstrap first) always know it.
   */
  private async querySnapshot (peer: PeerId, peers: string[] | undefined, self?: Registration, addrs: string[] = [], have?: string[]): Promise<number> {
    const signal = AbortSignal.timeout(5000)
    const stream = await streamOn(await connectionTo(this.node, peer, addrs, signal), DIRECTORY_PROTOCOL, signal)
    await writeFrame(stream, jsonBytes({ peers, self, have }))
    const only = peers !== undefined ? new Set(peers) : undefined
    let merged = 0
    await readFrames(stream, MAX_DIRECTORY_FRAME_BYTES, bytes => {
      const raw = parseJsonBytes(bytes)
      if (!Array.isArray(raw)) throw new Error('directory snapshot frame is not a list')
      const entries: SnapshotEntry[] = []
      for (const item of raw.slice(0, Math.max(0, MAX_SNAPSHOT_ENTRIES - merged))) {
        try {
          const record = item as { registration: unknown, ageMs: unknown }
          const registration = parseRegistration(record.registration)
          if (only === undefined || only.has(registration.peer)) entries.push(record.ageMs === undefined ? { registration } : { registration, ageMs: Number(record.ageMs) || 0 })
        } catch { /* one bad entry does not spoil the rest */ }
      }
      merged += entries.length
      this.directory.merge(entries)
    })
    return merged
  }

  /**
   * Answers a directory query: one frame of JSON `{peers?, self?, have?}` in (`have`: the entry
   * versions the asker holds, left out), frames of entries out.
   */
  private async serveSnapshot (stream: Parameters<typeof readFirstFrame>[0], remotePeer: string): Promise<void> {
    const query = parseJsonBytes(await readFirstFrame(stream, MAX_DIRECTORY_QUERY_BYTES)) as { peers?: unknown, self?: unknown, have?: unknown }
    if (query?.self !== undefined) {
      const self = parseRegistration(query.self)
      // Noise authenticated the remote peer: it may only speak for itself.
      if (self.peer === remotePeer && self.kind === 'announce') this.directory.apply(self)
    }
    const peers = Array.isArray(query?.peers) ? query.peers.filter((peer): peer is string => typeof peer === 'string').slice(0, MAX_QUERY_PEERS) : undefined
    // Bounded by the query's size (MAX_DIRECTORY_QUERY_BYTES, 1 MiB): a set built in milliseconds.
    const have = Array.isArray(query?.have) ? new Set(query.have.filter((held): held is string => typeof held === 'string')) : undefined
    const entries = this.directory.snapshot(peers).filter(entry => have === undefined || !have.has(versionOf(entry.registration)))
    const { queue, done } = frameWriter(stream)
    // Plain JSON: the receiver checks each registration's signature over its canonical form itself,
    // so the frame's key order does not matter, and sorting every key of a few MB cost more than the rest.
    for (let i = 0; i < entries.length; i += SNAPSHOT_ENTRIES_PER_FRAME) queue.push(snapshotFrame(entries.slice(i, i + SNAPSHOT_ENTRIES_PER_FRAME)))
    queue.end()
    await done
  }
}
