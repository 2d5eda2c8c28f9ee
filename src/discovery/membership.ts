// Keeps a Directory current over the mesh. Daemons gossip their full registration when they start
// and when it changes, and a small beat on every interval; every peer applies both. A newcomer
// fetches a snapshot from the first peers it meets, and an entry that a beat shows to be missing
// or out of date is fetched from the neighbour that relayed the beat (it has the registration,
// and the connection is open), else from the node itself.
//
// The beat interval grows with the fleet so that the whole fleet sends at most
// FLEET_BEATS_PER_SECOND beats a second: per-node gossip load stays flat from ten nodes to ten
// thousand, and a crashed node leaves the directory after three missed intervals (until then a
// request names it missing; a node that stops cleanly leaves at once).
import { TopicValidatorResult, type PeerId, type Message } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import type { MeshNode } from '../transport/mesh-node.js'
import { registryTopic, DIRECTORY_PROTOCOL } from '../transport/topics.js'
import { frameWriter, readFrames, writeFrame, readFirstFrame } from '../transport/framing.js'
import { decodeRegistryMessage, encodeRegistryMessage, parseRegistration, type Beat, type Registration, type RegistryMessage } from '../wire/registration.js'
import { jsonBytes, parseJsonBytes } from '../wire/canonical.js'
import { MAX_DIRECTORY_FRAME_BYTES, MAX_DIRECTORY_QUERY_BYTES } from '../wire/limits.js'
import type { Directory } from './directory.js'
import type { Logger } from '../log.js'

/** Beats the whole fleet sends per second at most; each node's interval stretches to keep it so. */
export const FLEET_BEATS_PER_SECOND = 5
const SNAPSHOT_ENTRIES_PER_FRAME = 256
const MAX_SNAPSHOT_ENTRIES = 200_000
const MAX_QUERY_PEERS = 4096
/** Registrations wanted after a beat are gathered this long, then asked for in one stream. */
const FETCH_GATHER_MS = 200
/** A registration asked for is not asked for again sooner than this. */
const FETCH_RETRY_MS = 5000

export type SelfRegistration = Omit<Registration, 'kind' | 'seq' | 'rev' | 'peer' | 'addrs'>

export interface MembershipOptions {
  collective: string
  /** for daemons: this node's registration, built fresh each time; `interval` is the shortest beat interval */
  self?: () => SelfRegistration
  log: Logger
}

export class Membership {
  private readonly topic: string
  private seq = 0
  private rev = 0
  private beatTimer: NodeJS.Timeout | undefined
  private expiryTimer: NodeJS.Timeout | undefined
  private fetchTimer: NodeJS.Timeout | undefined
  private readonly syncedFrom = new Set<string>()
  private readonly firstSync: Promise<void>
  private resolveFirstSync!: () => void
  /** registrations to fetch (the beat that showed them missing or old), by the neighbour to ask */
  private readonly wanted = new Map<string, Map<string, Beat>>()
  private readonly askedAt = new Map<string, number>()

  constructor (private readonly node: MeshNode, private readonly directory: Directory, private readonly options: MembershipOptions) {
    this.topic = registryTopic(options.collective)
    this.firstSync = new Promise(resolve => { this.resolveFirstSync = resolve })
  }

  async start (): Promise<void> {
    const pubsub = this.node.services.pubsub
    // The validator decodes once; the message event (fired only for new, accepted messages) applies.
    const decoded = new WeakMap<Message, { message: RegistryMessage, relayedBy: string }>()
    pubsub.topicValidators.set(this.topic, async (from, message) => {
      const verdict = this.validate(from, message)
      if (verdict !== undefined) decoded.set(message, { message: verdict, relayedBy: from.toString() })
      return verdict !== undefined ? TopicValidatorResult.Accept : TopicValidatorResult.Reject
    })
    pubsub.addEventListener('message', event => {
      if (event.detail.topic !== this.topic) return
      const entry = decoded.get(event.detail)
      if (entry === undefined) return
      decoded.delete(event.detail)
      this.receive(entry.message, entry.relayedBy)
    })
    pubsub.subscribe(this.topic)

    await this.node.handle(DIRECTORY_PROTOCOL, ({ stream }) => {
      this.serveSnapshot(stream).catch(err => {
        this.options.log.debug({ err: String(err) }, 'directory snapshot not sent')
        stream.abort(err as Error)
      })
    }, { maxInboundStreams: 64 })

    // A peer we just connected to knows the fleet: ask it for its directory.
    this.node.addEventListener('peer:identify', event => {
      if (event.detail.protocols.includes(DIRECTORY_PROTOCOL)) void this.syncFrom(event.detail.peerId)
    })
    // Announce as soon as someone can hear it.
    pubsub.addEventListener('subscription-change', event => {
      if (this.options.self === undefined || this.seq > 1) return
      if (event.detail.subscriptions.some(s => s.topic === this.topic && s.subscribe)) this.announce()
    })

    if (this.options.self !== undefined) this.scheduleBeat(200)
    this.expiryTimer = setInterval(() => {
      for (const identity of this.directory.expire()) this.options.log.info({ identity }, 'node expired from the directory')
    }, 1000)
    this.expiryTimer.unref()
  }

  /** Resolves once a directory snapshot has been merged from at least one peer, or after maxWaitMs. */
  async synced (maxWaitMs: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<boolean>(resolve => { timer = setTimeout(() => resolve(false), maxWaitMs) })
    const result = await Promise.race([this.firstSync.then(() => true), timeout])
    clearTimeout(timer)
    return result
  }

  /** Gossips this node's full registration: at start, when what it says of itself changed, and on leaving. */
  announce (kind: Registration['kind'] = 'announce'): void {
    if (this.options.self === undefined) return
    this.seq += 1
    if (kind === 'announce') this.rev = this.seq
    const registration: Registration = {
      ...this.options.self(),
      interval: this.beatInterval(),
      peer: this.node.peerId.toString(),
      addrs: this.node.getMultiaddrs().map(addr => addr.toString()),
      kind,
      seq: this.seq,
      rev: this.rev
    }
    this.directory.apply(registration)
    this.publish(registration)
  }

  /** Seconds between beats: the configured interval, stretched so the fleet sends at most FLEET_BEATS_PER_SECOND. */
  beatInterval (): number {
    const configured = this.options.self?.().interval ?? 30
    return Math.max(configured, Math.ceil(this.directory.size / FLEET_BEATS_PER_SECOND))
  }

  async stop (): Promise<void> {
    clearTimeout(this.beatTimer)
    clearInterval(this.expiryTimer)
    clearTimeout(this.fetchTimer)
    if (this.options.self !== undefined && this.node.status === 'started') {
      this.announce('leave')
      // Give the leave a moment on the wire before the connections close.
      await new Promise(resolve => setTimeout(resolve, 100))
    }
  }

  private beat (): void {
    const self = this.options.self?.()
    if (self === undefined) return
    if (this.rev === 0) return this.announce()
    this.seq += 1
    const beat: Beat = { v: 1, kind: 'beat', identity: self.identity, peer: this.node.peerId.toString(), started: self.started, seq: this.seq, rev: this.rev, interval: this.beatInterval() }
    this.directory.applyBeat(beat)
    this.publish(beat)
  }

  private publish (message: RegistryMessage): void {
    this.node.services.pubsub.publish(this.topic, encodeRegistryMessage(message)).catch(err => {
      this.options.log.debug({ err: String(err) }, 'registry message not published')
    })
  }

  private scheduleBeat (delayMs: number): void {
    this.beatTimer = setTimeout(() => {
      this.beat()
      // Jitter spreads a fleet's beats instead of bursting them together.
      this.scheduleBeat(this.beatInterval() * 1000 * (0.8 + Math.random() * 0.2))
    }, delayMs)
    this.beatTimer.unref()
  }

  private validate (from: PeerId, message: Message): RegistryMessage | undefined {
    try {
      const decoded = decodeRegistryMessage(message.data)
      // Gossipsub verified the signature of the message's author; it must be the peer it describes.
      if (message.type !== 'signed' || message.from.toString() !== decoded.peer) {
        this.options.log.warn({ from: from.toString(), claimed: decoded.peer }, 'registry message refused: not signed by the peer it describes')
        return undefined
      }
      return decoded
    } catch (err) {
      this.options.log.warn({ from: from.toString(), reason: (err as Error).message }, 'registry message refused')
      return undefined
    }
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

  private async fetchWanted (): Promise<void> {
    const batches = [...this.wanted]
    this.wanted.clear()
    for (const [source, beats] of batches) {
      await this.fetchFrom(source, [...beats.keys()])
      // What the neighbour did not have, the node itself has.
      for (const beat of beats.values()) if (this.directory.judgeBeat(beat) !== 'current') await this.fetchFrom(beat.peer, [beat.peer])
    }
    for (const [peer, at] of this.askedAt) if (at < Date.now() - FETCH_RETRY_MS) this.askedAt.delete(peer)
  }

  private async fetchFrom (source: string, peers: string[]): Promise<void> {
    if (source === this.node.peerId.toString()) return
    try {
      const merged = await this.querySnapshot(peerIdFromString(source), peers)
      this.options.log.debug({ source, asked: peers.length, merged }, 'registrations fetched')
    } catch (err) {
      this.options.log.debug({ source, err: String(err) }, 'registrations not fetched')
    }
  }

  private async syncFrom (peer: PeerId): Promise<void> {
    const key = peer.toString()
    if (this.syncedFrom.has(key) || this.syncedFrom.size >= 3) return
    this.syncedFrom.add(key)
    try {
      await this.querySnapshot(peer, undefined)
      this.resolveFirstSync()
    } catch (err) {
      this.syncedFrom.delete(key)
      this.options.log.debug({ peer: key, err: String(err) }, 'directory sync failed')
    }
  }

  /** Asks a peer for its directory (all of it, or the given peers' entries) and merges what comes. */
  private async querySnapshot (peer: PeerId, peers: string[] | undefined): Promise<number> {
    const stream = await this.node.dialProtocol(peer, DIRECTORY_PROTOCOL, { signal: AbortSignal.timeout(5000) })
    await writeFrame(stream, jsonBytes({ peers }))
    const only = peers !== undefined ? new Set(peers) : undefined
    let merged = 0
    await readFrames(stream, MAX_DIRECTORY_FRAME_BYTES, bytes => {
      const raw = parseJsonBytes(bytes)
      if (!Array.isArray(raw)) throw new Error('directory snapshot frame is not a list')
      const entries: Array<{ registration: Registration, ageMs: number }> = []
      for (const item of raw.slice(0, Math.max(0, MAX_SNAPSHOT_ENTRIES - merged))) {
        try {
          const record = item as { registration: unknown, ageMs: unknown }
          const registration = parseRegistration(record.registration)
          if (only === undefined || only.has(registration.peer)) entries.push({ registration, ageMs: Number(record.ageMs) || 0 })
        } catch { /* one bad entry does not spoil the rest */ }
      }
      merged += entries.length
      this.directory.merge(entries)
    })
    return merged
  }

  /** Answers a snapshot query: one frame of JSON `{peers?}` in, frames of entries out. */
  private async serveSnapshot (stream: Parameters<typeof readFirstFrame>[0]): Promise<void> {
    const query = parseJsonBytes(await readFirstFrame(stream, MAX_DIRECTORY_QUERY_BYTES)) as { peers?: unknown }
    const peers = Array.isArray(query?.peers) ? query.peers.filter((peer): peer is string => typeof peer === 'string').slice(0, MAX_QUERY_PEERS) : undefined
    const entries = this.directory.snapshot(peers)
    const { queue, done } = frameWriter(stream)
    for (let i = 0; i < entries.length; i += SNAPSHOT_ENTRIES_PER_FRAME) queue.push(jsonBytes(entries.slice(i, i + SNAPSHOT_ENTRIES_PER_FRAME)))
    queue.end()
    await done
  }
}
