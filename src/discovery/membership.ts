// Keeps a Directory current over the mesh: registrations gossiped on the registry topic, a
// snapshot fetched from peers on connection (so a newcomer knows the fleet at once), expiry of
// silent nodes, and, for daemons, this node's own announcements.
import { TopicValidatorResult, type PeerId, type Message } from '@libp2p/interface'
import type { MeshNode } from '../transport/mesh-node.js'
import { registryTopic, DIRECTORY_PROTOCOL } from '../transport/topics.js'
import { readFrames, writeFrame } from '../transport/framing.js'
import { decodeRegistration, encodeRegistration, parseRegistration, type Registration } from '../wire/registration.js'
import { jsonBytes, parseJsonBytes } from '../wire/canonical.js'
import { MAX_DIRECTORY_BYTES } from '../wire/limits.js'
import type { Directory } from './directory.js'
import type { Logger } from '../log.js'

export interface MembershipOptions {
  collective: string
  /** for daemons: this node's registration, built fresh each time (peer id and addresses are added here) */
  self?: () => Omit<Registration, 'kind' | 'seq' | 'peer' | 'addrs'>
  log: Logger
}

export class Membership {
  private readonly topic: string
  private seq = 0
  private announceTimer: NodeJS.Timeout | undefined
  private expiryTimer: NodeJS.Timeout | undefined
  private readonly syncedFrom = new Set<string>()
  private firstSync: Promise<void>
  private resolveFirstSync!: () => void

  constructor (private readonly node: MeshNode, private readonly directory: Directory, private readonly options: MembershipOptions) {
    this.topic = registryTopic(options.collective)
    this.firstSync = new Promise(resolve => { this.resolveFirstSync = resolve })
  }

  async start (): Promise<void> {
    const pubsub = this.node.services.pubsub
    pubsub.topicValidators.set(this.topic, async (from, message) => this.validate(from, message))
    pubsub.addEventListener('message', event => {
      if (event.detail.topic !== this.topic) return
      try {
        this.directory.apply(decodeRegistration(event.detail.data))
      } catch { /* the validator already refused anything undecodable */ }
    })
    pubsub.subscribe(this.topic)

    await this.node.handle(DIRECTORY_PROTOCOL, ({ stream }) => {
      writeFrame(stream, jsonBytes(this.directory.snapshot())).catch(err => {
        this.options.log.debug({ err: String(err) }, 'directory snapshot not sent')
      })
    }, { maxInboundStreams: 64 })

    // A peer we just connected to knows the fleet: ask it for its directory.
    this.node.addEventListener('peer:identify', event => {
      if (event.detail.protocols.includes(DIRECTORY_PROTOCOL)) void this.syncFrom(event.detail.peerId)
    })
    // Announce as soon as someone can hear it, then on every interval.
    pubsub.addEventListener('subscription-change', event => {
      if (this.options.self === undefined || this.seq > 1) return
      if (event.detail.subscriptions.some(s => s.topic === this.topic && s.subscribe)) this.announce()
    })

    if (this.options.self !== undefined) this.scheduleAnnounce()
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

  announce (kind: Registration['kind'] = 'announce'): void {
    if (this.options.self === undefined) return
    this.seq += 1
    const registration: Registration = {
      ...this.options.self(),
      peer: this.node.peerId.toString(),
      addrs: this.node.getMultiaddrs().map(addr => addr.toString()),
      kind,
      seq: this.seq
    }
    this.directory.apply(registration)
    this.node.services.pubsub.publish(this.topic, encodeRegistration(registration)).catch(err => {
      this.options.log.debug({ err: String(err) }, 'announce not published')
    })
  }

  async stop (): Promise<void> {
    clearTimeout(this.announceTimer)
    clearInterval(this.expiryTimer)
    if (this.options.self !== undefined && this.node.status === 'started') {
      this.announce('leave')
      // Give the leave a moment on the wire before the connections close.
      await new Promise(resolve => setTimeout(resolve, 100))
    }
  }

  private scheduleAnnounce (): void {
    const intervalMs = (this.directory.byPeerId(this.node.peerId.toString())?.interval ?? 10) * 1000
    // Jitter spreads a fleet's announcements instead of bursting them together.
    const delay = this.seq === 0 ? 200 : intervalMs * (0.8 + Math.random() * 0.2)
    this.announceTimer = setTimeout(() => {
      this.announce()
      this.scheduleAnnounce()
    }, delay)
    this.announceTimer.unref()
  }

  private validate (from: PeerId, message: Message): TopicValidatorResult {
    try {
      const registration = decodeRegistration(message.data)
      // Gossipsub verified the signature of the message's author; it must be the peer it describes.
      if (message.type !== 'signed' || message.from.toString() !== registration.peer) {
        this.options.log.warn({ from: from.toString(), claimed: registration.peer }, 'registration refused: not signed by the peer it describes')
        return TopicValidatorResult.Reject
      }
      return TopicValidatorResult.Accept
    } catch (err) {
      this.options.log.warn({ from: from.toString(), reason: (err as Error).message }, 'registration refused')
      return TopicValidatorResult.Reject
    }
  }

  private async syncFrom (peer: PeerId): Promise<void> {
    const key = peer.toString()
    if (this.syncedFrom.has(key) || this.syncedFrom.size >= 3) return
    this.syncedFrom.add(key)
    try {
      const stream = await this.node.dialProtocol(peer, DIRECTORY_PROTOCOL, { signal: AbortSignal.timeout(5000) })
      await readFrames(stream, MAX_DIRECTORY_BYTES, bytes => {
        const raw = parseJsonBytes(bytes)
        if (!Array.isArray(raw)) throw new Error('directory snapshot is not a list')
        const entries: Array<{ registration: Registration, ageMs: number }> = []
        for (const item of raw.slice(0, 100_000)) {
          try {
            const record = item as { registration: unknown, ageMs: unknown }
            entries.push({ registration: parseRegistration(record.registration), ageMs: Number(record.ageMs) || 0 })
          } catch { /* one bad entry does not spoil the rest */ }
        }
        this.directory.merge(entries)
      })
      this.resolveFirstSync()
    } catch (err) {
      this.syncedFrom.delete(key)
      this.options.log.debug({ peer: key, err: String(err) }, 'directory sync failed')
    }
  }
}
