// Admission on the wire: on every new connection each side sends its hello (who it is and the
// proof) on ADMIT_PROTOCOL and reads the other's verdict. Until a peer is admitted, none of the
// mesh's protocols run for it: libp2p services are given a registrar whose stream handlers and
// topology callbacks first wait for the peer's admission (see withAdmission), and troupe's own
// handlers are guarded the same way. A peer that is refused, or says nothing within
// ADMIT_TIMEOUT_MS, is disconnected; what it sent cost one bounded frame and one proof check.
import type { Connection, PeerId, Stream, StreamHandler, StreamHandlerOptions, Topology, Startable, TypedEventTarget, Libp2pEvents } from '@libp2p/interface'
import { AdmissionPolicy, type Admitted } from '../security/admission-policy.js'
import { decodeHello, decodeVerdict, encodeVerdict, MAX_HELLO_BYTES, MAX_VERDICT_BYTES, type Hello } from '../wire/admission.js'
import { encodeHello } from '../wire/admission.js'
import { readFirstFrame, writeFrame } from './framing.js'
import { ADMIT_PROTOCOL } from './topics.js'
import type { Logger } from '../log.js'
import { LogThrottle } from '../log-throttle.js'

export const ADMIT_TIMEOUT_MS = 10_000
/** A refused peer's connections are closed this long after the verdict, so it can read why. */
const CLOSE_AFTER_REFUSAL_MS = 200
/** Unadmitted connections one IP address may hold at once (a NAT may hide many honest peers). */
export const MAX_UNADMITTED_PER_IP = 32

/** The registrar methods services use; a narrow view of libp2p's internal Registrar. */
export interface RegistrarLike {
  handle: (protocol: string, handler: StreamHandler, options?: StreamHandlerOptions) => Promise<void>
  register: (protocol: string, topology: Topology) => Promise<string>
}

export interface AdmissionComponents {
  registrar: RegistrarLike
  events: TypedEventTarget<Libp2pEvents>
  connectionManager: { getConnections: (peer?: PeerId) => Connection[] }
}

interface Waiter {
  promise: Promise<boolean>
  settle: (admitted: boolean) => void
}

export interface AdmissionGateOptions {
  policy: AdmissionPolicy
  hello: Hello
  log: Logger
  /** a peer this side refused: cut it off for a while (the connection gater consults it) */
  onRefused?: (peer: PeerId, reason: string) => void
}

interface AdmittedConnection {
  connection: Connection
  as: Admitted
  /** the hello it was admitted on, to decide again when keys or the CRL change */
  hello: Hello
}

/** A hello that could not be delivered is sent again this many times, while its connection lasts. */
const HELLO_ATTEMPTS = 3

/**
 * Admission is per connection: each connection carries its own hello and verdict, and a stream
 * runs only once the connection it came on is admitted. (Per peer, a connection closing while a
 * new one to the same peer was being admitted could drop the new one's admission: its streams
 * then waited for a hello that had already come.)
 */
export class AdmissionGate {
  private readonly admittedConnections = new Map<string, AdmittedConnection>()
  /** admitted connection ids by peer */
  private readonly byPeer = new Map<string, Set<string>>()
  /** waiting for a connection's hello, by connection id */
  private readonly waiters = new Map<string, Waiter>()
  /** peers this side refused, until they disconnect */
  private readonly refusedPeers = new Set<string>()
  /** why other peers refused this one */
  private readonly refusedUs = new Map<string, string>()
  /** the outcome of this peer's latest hello to each peer: undefined when it got no verdict */
  private readonly introductions = new Map<string, Promise<string | undefined>>()
  private readonly helloBytes: Uint8Array
  /** refusals and time-outs are logged a few times a minute per peer, not once per attempt */
  private readonly logThrottle = new LogThrottle()
  private components: AdmissionComponents | undefined

  constructor (private readonly options: AdmissionGateOptions) {
    this.helloBytes = encodeHello(options.hello)
  }

  get labMode (): boolean {
    return this.options.policy.labMode
  }

  /** The libp2p service that runs the exchange; add it to the node's services. */
  service (): (components: AdmissionComponents) => Startable {
    return components => {
      this.components = components
      return {
        start: async () => {
          await components.registrar.handle(ADMIT_PROTOCOL, data => { void this.judge(data.stream, data.connection) }, { maxInboundStreams: 4, runOnLimitedConnection: true })
          components.events.addEventListener('connection:open', this.onConnection)
          components.events.addEventListener('connection:close', this.onConnectionClose)
          components.events.addEventListener('peer:disconnect', this.onDisconnect)
        },
        stop: () => {
          components.events.removeEventListener('connection:open', this.onConnection)
          components.events.removeEventListener('connection:close', this.onConnectionClose)
          components.events.removeEventListener('peer:disconnect', this.onDisconnect)
          for (const waiter of this.waiters.values()) waiter.settle(false)
          this.waiters.clear()
        }
      }
    }
  }

  /** Wraps a service factory so that the service only ever sees admitted peers. */
  withAdmission<C extends { registrar: RegistrarLike }, S> (factory: (components: C) => S): (components: C) => S {
    return components => {
      const registrar = this.gatedRegistrar(components.registrar)
      return factory(new Proxy(components, {
        get: (target, property, receiver) => property === 'registrar' ? registrar : Reflect.get(target, property, receiver)
      }))
    }
  }

  /** A stream handler that runs only on admitted connections (other streams are aborted). */
  guard (handler: StreamHandler): StreamHandler {
    return data => {
      void this.admittedOn(data.connection).then(admitted => {
        if (admitted) handler(data)
        else data.stream.abort(new Error('peer not admitted'))
      })
    }
  }

  /** Resolves true once the connection is admitted, false if its peer is refused, it closes, or says nothing in time. */
  async admittedOn (connection: Connection): Promise<boolean> {
    if (this.admittedConnections.has(connection.id)) return true
    if (this.refusedPeers.has(connection.remotePeer.toString()) || connection.status !== 'open') return false
    return await this.waiter(connection.id).promise
  }

  /** What a peer proved itself to be, on a connection that is still open. */
  whoIs (peer: string): Admitted | undefined {
    for (const id of this.byPeer.get(peer) ?? []) {
      const admitted = this.admittedConnections.get(id)
      if (admitted !== undefined && admitted.connection.status === 'open') return admitted.as
    }
    return undefined
  }

  /**
   * Decides again on every admitted connection (authorized_keys or the CRL changed): a caller
   * whose key was removed, or a node whose certificate was revoked, is cut off.
   */
  recheck (): void {
    for (const { connection, as, hello } of [...this.admittedConnections.values()]) {
      const peer = connection.remotePeer.toString()
      const decision = this.options.policy.decide(hello, peer)
      if (decision.ok || this.refusedPeers.has(peer)) continue
      this.refuse(peer, as.kind === 'caller' ? `caller key of '${as.name}' is no longer in authorized_keys` : decision.reason, connection.remotePeer)
    }
  }

  private readonly onConnection = (event: CustomEvent<Connection>): void => {
    const connection = event.detail
    const peer = connection.remotePeer.toString()
    if (connection.direction === 'inbound' && this.unadmittedFrom(connection) > MAX_UNADMITTED_PER_IP) {
      if (this.logThrottle.allow(hostOf(connection) ?? peer)) this.options.log.warn({ peer, addr: connection.remoteAddr.toString() }, 'connection refused: too many unadmitted connections from one address')
      void connection.close().catch(() => {})
      return
    }
    const introduction = this.introduce(connection)
    this.introductions.set(peer, introduction)
    void introduction.finally(() => { if (connection.status !== 'open' && this.introductions.get(peer) === introduction) this.introductions.delete(peer) })
    setTimeout(() => {
      if (this.admittedConnections.has(connection.id) || connection.status !== 'open') return
      if (this.logThrottle.allow(peer)) this.options.log.warn({ peer, addr: connection.remoteAddr.toString() }, `peer not admitted within ${ADMIT_TIMEOUT_MS / 1000} s: disconnected`)
      this.waiters.get(connection.id)?.settle(false)
      void connection.close().catch(() => {})
    }, ADMIT_TIMEOUT_MS).unref()
  }

  private readonly onConnectionClose = (event: CustomEvent<Connection>): void => {
    const connection = event.detail
    this.forget(connection.id, connection.remotePeer.toString())
    this.waiters.get(connection.id)?.settle(false)
  }

  private readonly onDisconnect = (event: CustomEvent<PeerId>): void => {
    this.refusedPeers.delete(event.detail.toString())
  }

  /**
   * Sends this peer's hello on a new connection and reads the other side's verdict (again, a
   * few times, if it could not be delivered while the connection lasts). Resolves to the reason
   * when the other side refused this peer, else undefined.
   */
  private async introduce (connection: Connection): Promise<string | undefined> {
    const peer = connection.remotePeer.toString()
    for (let attempt = 1; ; attempt++) {
      let stream: Stream | undefined
      try {
        stream = await connection.newStream(ADMIT_PROTOCOL, { runOnLimitedConnection: true, signal: AbortSignal.timeout(ADMIT_TIMEOUT_MS) })
        // Writing closes only this side of the stream: the verdict still comes back on it.
        await writeFrame(stream, this.helloBytes)
        const verdict = decodeVerdict(await readFirstFrame(stream, MAX_VERDICT_BYTES))
        await stream.close()
        if (verdict.ok) {
          this.refusedUs.delete(peer)
          return undefined
        }
        if (this.refusedUs.size >= 10_000) this.refusedUs.delete(this.refusedUs.keys().next().value as string)
        this.refusedUs.set(peer, verdict.reason)
        if (this.logThrottle.allow(`by:${peer}`)) this.options.log.warn({ peer, reason: verdict.reason }, 'this peer was refused admission by the remote peer')
        return verdict.reason
      } catch (err) {
        this.options.log.debug({ peer, attempt, err: String(err) }, 'hello not delivered')
        stream?.abort(err as Error)
        if (attempt >= HELLO_ATTEMPTS || connection.status !== 'open') return undefined
        await new Promise(resolve => setTimeout(resolve, 250 * attempt))
      }
    }
  }

  /**
   * The peers whose latest verdict on this one was a refusal, with the reason each gave (most of
   * the time none): kept after the connection closes, until a hello to the peer is admitted.
   */
  refusals (): IterableIterator<[string, string]> {
    return this.refusedUs.entries()
  }

  /** Why a peer refused this one, as it said (for operators: `troupe doctor`, connection errors). */
  refusedBy (peer: string): string | undefined {
    return this.refusedUs.get(peer)
  }

  /** Waits for the verdict on this peer's hello to a peer it is connecting to; the refusal reason, if refused. */
  async refusalFrom (peer: string): Promise<string | undefined> {
    return await (this.introductions.get(peer) ?? Promise.resolve(this.refusedUs.get(peer)))
  }

  /** Reads a peer's hello and decides. */
  private async judge (stream: Stream, connection: Connection): Promise<void> {
    const peer = connection.remotePeer.toString()
    let reason: string
    try {
      const hello = decodeHello(await readFirstFrame(stream, MAX_HELLO_BYTES))
      const decision = this.options.policy.decide(hello, peer)
      if (decision.ok) {
        await writeFrame(stream, encodeVerdict({ ok: true }))
        if (connection.status !== 'open') return
        this.admittedConnections.set(connection.id, { connection, as: decision.as, hello })
        const ids = this.byPeer.get(peer) ?? new Set<string>()
        ids.add(connection.id)
        this.byPeer.set(peer, ids)
        this.waiters.get(connection.id)?.settle(true)
        return
      }
      reason = decision.reason
    } catch (err) {
      // The connection closed before a hello came (this side's time-out, or the peer went away):
      // nothing was said to judge, so nothing is held against the peer. On a loaded host an
      // honest peer's hello can be late; counted as a refusal, it cost the peer a reject each
      // time, and a fleet joining at once passed over its own slow nodes (a 2000-daemon trial:
      // 425 nodes refused by the requester this way, so never dialled ahead of a request again).
      if (connection.status !== 'open') return
      reason = `unreadable hello: ${(err as Error).message}`
    }
    await writeFrame(stream, encodeVerdict({ ok: false, reason })).catch(() => {})
    this.refuse(peer, reason, connection.remotePeer)
  }

  private refuse (peer: string, reason: string, peerId: PeerId): void {
    this.refusedPeers.add(peer)
    const connections = this.components?.connectionManager.getConnections(peerId) ?? []
    for (const connection of connections) {
      this.forget(connection.id, peer)
      this.waiters.get(connection.id)?.settle(false)
    }
    const held = this.logThrottle.take(peer)
    if (held !== undefined) this.options.log.warn({ peer, reason, ...(held > 0 ? { suppressed: held } : {}) }, 'peer refused admission: disconnected')
    this.options.onRefused?.(peerId, reason)
    setTimeout(() => { for (const connection of connections) void connection.close().catch(() => {}) }, CLOSE_AFTER_REFUSAL_MS).unref()
  }

  private forget (connectionId: string, peer: string): void {
    this.admittedConnections.delete(connectionId)
    const ids = this.byPeer.get(peer)
    ids?.delete(connectionId)
    if (ids?.size === 0) this.byPeer.delete(peer)
  }

  private waiter (connectionId: string): Waiter {
    let waiter = this.waiters.get(connectionId)
    if (waiter === undefined) {
      let settle!: (admitted: boolean) => void
      const promise = new Promise<boolean>(resolve => { settle = resolve })
      const timer = setTimeout(() => settle(false), ADMIT_TIMEOUT_MS)
      timer.unref()
      waiter = { promise, settle: admitted => { clearTimeout(timer); settle(admitted) } }
      this.waiters.set(connectionId, waiter)
      void promise.then(() => { if (this.waiters.get(connectionId) === waiter) this.waiters.delete(connectionId) })
    }
    return waiter
  }

  private unadmittedFrom (connection: Connection): number {
    const host = hostOf(connection)
    if (host === undefined) return 0
    return (this.components?.connectionManager.getConnections() ?? [])
      .filter(other => other.direction === 'inbound' && !this.admittedConnections.has(other.id) && hostOf(other) === host).length
  }

  private gatedRegistrar (registrar: RegistrarLike): RegistrarLike {
    return new Proxy(registrar, {
      get: (target, property, receiver) => {
        if (property === 'handle') {
          return async (protocol: string, handler: StreamHandler, options?: StreamHandlerOptions) => await target.handle(protocol, this.guard(handler), options)
        }
        if (property === 'register') {
          return async (protocol: string, topology: Topology) => await target.register(protocol, {
            ...topology,
            onConnect: (peer: PeerId, connection: Connection) => {
              void this.admittedOn(connection).then(admitted => { if (admitted) topology.onConnect?.(peer, connection) })
            }
          })
        }
        const value: unknown = Reflect.get(target, property, receiver)
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value
      }
    })
  }
}

/** The remote IP address of a direct connection; undefined for relayed ones (their address is the relay's). */
function hostOf (connection: Connection): string | undefined {
  if (connection.limits !== undefined || connection.remoteAddr.toString().includes('/p2p-circuit')) return undefined
  try {
    return connection.remoteAddr.nodeAddress().address
  } catch {
    return undefined
  }
}
