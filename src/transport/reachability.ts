// Can other peers open a connection to this one? Under Puppet Enterprise's rule (nodes may only
// dial the master's 61613) they cannot, and a peer that advertised its listen addresses anyway
// would have every dial to it wait on dropped packets. A peer advertises its direct addresses
// only when they were found dialable, and its relayed addresses (through the bootstraps) always.
//
// 'auto' asks a bootstrap to open a TCP connection back to the peer's own listen addresses
// (REACH_PROTOCOL). libp2p's AutoNAT v1 does the same but never for private addresses (it skips
// them on both sides and wants four confirmations from distinct /8 networks), and a PE network
// is private addresses: it would never conclude there.
import { connect } from 'node:net'
import { networkInterfaces } from 'node:os'
import { multiaddr } from '@multiformats/multiaddr'
import type { Connection, PeerId } from '@libp2p/interface'
import type { MeshNode } from './mesh-node.js'
import { isRelayedAddr, streamOn } from './connections.js'
import { readFirstFrame, writeFrame } from './framing.js'
import type { Logger } from '../log.js'

export const REACH_PROTOCOL = '/troupe/reach/1.0.0'

export type ReachabilityMode = 'auto' | 'public' | 'private'
export type ReachabilityState = 'unknown' | 'public' | 'private'

const MAX_PROBED_ADDRS = 8
const PROBE_CONNECT_MS = 2000
const MAX_CONCURRENT_PROBES = 64
const REPROBE_MS = 10 * 60_000
const MIN_REPROBE_MS = 60_000

interface ReachAnswer {
  /** addresses checked (those at the asking connection's own IP) */
  checked: string[]
  /** the ones a TCP connection reached */
  reachable: string[]
}

/** Bootstrap side: tries each address the asking peer names, at the IP its connection comes from. */
export async function serveReachProbes (node: MeshNode, log: Logger): Promise<void> {
  let running = 0
  await node.handle(REACH_PROTOCOL, ({ stream, connection }) => {
    void (async () => {
      try {
        if (running >= MAX_CONCURRENT_PROBES) throw new Error('busy')
        running += 1
        const asked = JSON.parse(Buffer.from(await readFirstFrame(stream, 4096)).toString('utf8')) as { addrs?: unknown }
        const addrs = Array.isArray(asked.addrs) ? asked.addrs.filter((addr): addr is string => typeof addr === 'string').slice(0, MAX_PROBED_ADDRS) : []
        await writeFrame(stream, Buffer.from(JSON.stringify(await probeAddrs(connection, addrs))))
      } catch (err) {
        log.debug({ peer: connection.remotePeer.toString(), err: String(err) }, 'reachability probe not answered')
        stream.abort(err as Error)
      } finally {
        running -= 1
      }
    })()
  }, { maxInboundStreams: 2 })
}

async function probeAddrs (connection: Connection, addrs: string[]): Promise<ReachAnswer> {
  if (isRelayedAddr(connection.remoteAddr)) return { checked: [], reachable: [] }
  const from = connection.remoteAddr.toOptions().host
  // A peer on this very host reaches it over loopback, which says nothing of the network's rule.
  if (localHosts().has(from)) return { checked: [], reachable: [] }
  const targets = addrs.flatMap(text => {
    try {
      const options = multiaddr(text).toOptions()
      return options.transport === 'tcp' && options.host === from ? [{ text, host: options.host, port: options.port }] : []
    } catch { return [] }
  })
  const results = await Promise.all(targets.map(async target => await tcpReachable(target.host, target.port) ? target.text : undefined))
  return { checked: targets.map(target => target.text), reachable: results.filter((text): text is string => text !== undefined) }
}

/**
 * Whether a TCP connection to host:port opens within PROBE_CONNECT_MS. The time-out waits for
 * the I/O already done: Node runs expired timers before it reads finished I/O, so on a bootstrap
 * whose event loop was held up (a fleet joining at once) the timer could fire before the connect
 * it was timing was seen, and the node was told it was unreachable (in a 2000-daemon trial, 28
 * daemons were, each then reachable only through the relay until its next check).
 */
export async function tcpReachable (host: string, port: number, timeoutMs = PROBE_CONNECT_MS): Promise<boolean> {
  return await new Promise(resolve => {
    const socket = connect({ host, port })
    let settled = false
    const done = (ok: boolean): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      socket.destroy()
      resolve(ok)
    }
    // setImmediate runs after this loop turn's I/O callbacks: a connect that finished is seen first.
    const timer = setTimeout(() => setImmediate(() => done(false)), timeoutMs)
    socket.once('connect', () => done(true))
    socket.once('error', () => done(false))
  })
}

function localHosts (): Set<string> {
  return new Set(Object.values(networkInterfaces()).flatMap(list => (list ?? []).map(entry => entry.address)))
}

/** This peer's side: what it knows of its own reachability, and the addresses it advertises. */
export class Reachability {
  private current: ReachabilityState
  private lastProbe = 0
  private timer: NodeJS.Timeout | undefined
  private readonly listeners = new Set<() => void>()

  constructor (private readonly node: MeshNode, readonly mode: ReachabilityMode, private readonly log: Logger) {
    this.current = mode === 'auto' ? 'unknown' : mode
  }

  get state (): ReachabilityState {
    return this.current
  }

  start (): void {
    if (this.mode !== 'auto') return
    this.node.addEventListener('peer:identify', event => {
      if (!event.detail.protocols.includes(REACH_PROTOCOL)) return
      if (Date.now() - this.lastProbe < MIN_REPROBE_MS && this.current !== 'unknown') return
      void this.probe(event.detail.peerId, event.detail.connection)
    })
    this.timer = setInterval(() => {
      const connection = this.node.getConnections().find(candidate => candidate.status === 'open' && !isRelayedAddr(candidate.remoteAddr) && this.servesProbes(candidate.remotePeer))
      if (connection !== undefined) void this.probe(connection.remotePeer, connection)
    }, REPROBE_MS)
    this.timer.unref()
  }

  stop (): void {
    clearInterval(this.timer)
  }

  onChange (listener: () => void): void {
    this.listeners.add(listener)
  }

  /**
   * Addresses others may dial: direct ones unless they were found unreachable (or configured
   * so), then relayed ones (through each relay this peer holds a reservation on).
   */
  advertised (): string[] {
    const all = this.node.getMultiaddrs().map(addr => addr.toString())
    const relayed = all.filter(addr => isRelayedAddr(addr))
    if (this.current === 'private') return relayed
    return [...all.filter(addr => !isRelayedAddr(addr)), ...relayed]
  }

  /** peers that answered identify with REACH_PROTOCOL (the bootstraps) */
  private readonly probers = new Set<string>()

  private servesProbes (peer: PeerId): boolean {
    return this.probers.has(peer.toString())
  }

  private async probe (peer: PeerId, connection: Connection): Promise<void> {
    this.probers.add(peer.toString())
    this.lastProbe = Date.now()
    const addrs = this.node.getMultiaddrs().map(addr => addr.toString()).filter(addr => !isRelayedAddr(addr)).slice(0, MAX_PROBED_ADDRS)
    if (addrs.length === 0) return this.set('private')
    try {
      const signal = AbortSignal.timeout(PROBE_CONNECT_MS * 3)
      const stream = await streamOn(connection, REACH_PROTOCOL, signal)
      await writeFrame(stream, Buffer.from(JSON.stringify({ addrs })))
      const answer = JSON.parse(Buffer.from(await readFirstFrame(stream, 64 * 1024)).toString('utf8')) as ReachAnswer
      if (answer.reachable.length > 0) this.set('public')
      else if (answer.checked.length > 0) this.set('private')
      // Nothing checked: the bootstrap shares this host, or saw another address (NAT): the
      // latter means not reachable at the listen addresses.
      else if (!localHosts().has(connection.remoteAddr.toOptions().host)) this.set('private')
    } catch (err) {
      this.log.debug({ peer: peer.toString(), err: String(err) }, 'reachability probe failed')
    }
  }

  private set (state: ReachabilityState): void {
    if (state === this.current) return
    this.log.info({ reachability: state }, state === 'public' ? 'reachable at its own addresses: advertising them' : 'not reachable at its own addresses: advertising relayed addresses only')
    this.current = state
    for (const listener of this.listeners) listener()
  }
}
