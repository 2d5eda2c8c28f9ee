// Which connection to a peer to use, and how to open one without waiting on an address that
// cannot answer. libp2p's own dial by peer id reuses only unlimited (direct) connections and
// tries the peer store's addresses one after another, each until its timeout: a node behind a
// firewall that drops inbound packets would hold a reply or a request for the whole dial timeout
// while a relayed connection to it already existed. Everything troupe sends to a given peer
// (replies, direct requests, directory queries) goes through here.
import type { Connection, PeerId, Stream } from '@libp2p/interface'
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import type { MeshNode } from './mesh-node.js'

export type Path = 'direct' | 'relayed'

/** How long a direct dial runs alone before the relayed addresses are tried beside it. */
const RELAY_STAGGER_MS = 500

export function isRelayedAddr (addr: string | Multiaddr): boolean {
  return addr.toString().includes('/p2p-circuit')
}

export function pathOf (connection: Connection): Path {
  return connection.limits !== undefined || isRelayedAddr(connection.remoteAddr) ? 'relayed' : 'direct'
}

/** The open connection to use for a peer: direct before relayed, newest first. */
export function bestConnection (node: MeshNode, peer: PeerId, exclude?: Set<string>): Connection | undefined {
  const open = node.getConnections(peer).filter(connection => connection.status === 'open' && exclude?.has(connection.id) !== true)
  open.sort((a, b) => rank(a) - rank(b) || b.timeline.open - a.timeline.open)
  return open[0]
}

function rank (connection: Connection): number {
  return pathOf(connection) === 'direct' ? 0 : 1
}

/** The peer's advertised addresses, parsed (unusable ones skipped), with /p2p/ID at the end. */
export function parseAddrs (peer: PeerId, addrs: readonly string[]): Multiaddr[] {
  const parsed: Multiaddr[] = []
  const id = peer.toString()
  for (const text of addrs) {
    try {
      const addr = multiaddr(text)
      parsed.push(addr.getPeerId() === id ? addr : addr.encapsulate(`/p2p/${id}`))
    } catch { /* unusable address: skip it */ }
  }
  return parsed
}

/**
 * A connection to the peer: an open one if there is one, else a new one over the advertised
 * addresses. A peer advertises direct addresses only when they were found dialable (or before it
 * knows): those are tried first, and its relayed addresses join after RELAY_STAGGER_MS, so an
 * address that drops packets costs at most that. Rejects when nothing connects before `signal`.
 */
export async function connectionTo (node: MeshNode, peer: PeerId, addrs: readonly string[], signal: AbortSignal): Promise<Connection> {
  const open = bestConnection(node, peer)
  if (open !== undefined) return open
  const parsed = parseAddrs(peer, addrs)
  const direct = parsed.filter(addr => !isRelayedAddr(addr))
  const relayed = parsed.filter(addr => isRelayedAddr(addr))
  if (direct.length === 0 && relayed.length === 0) {
    // Nothing advertised: whatever the peer store knows (a bootstrap, a peer met before).
    return await node.dial(peer, { signal })
  }
  const attempts: Array<Promise<Connection>> = []
  if (direct.length > 0) attempts.push(node.dial(direct, { signal }))
  if (relayed.length > 0) {
    attempts.push((async () => {
      if (direct.length > 0) await abortableDelay(RELAY_STAGGER_MS, signal)
      const already = bestConnection(node, peer)
      if (already !== undefined) return already
      // Each is one HOP stream on the connection to the relay (see allowManyRelayedDials in mesh-node.ts).
      return await node.dial(relayed, { signal })
    })())
  }
  return await Promise.any(attempts).catch((err: AggregateError) => { throw err.errors[0] ?? err })
}

/** A new stream for the protocol on this connection, relayed connections included. */
export async function streamOn (connection: Connection, protocol: string, signal: AbortSignal): Promise<Stream> {
  return await connection.newStream(protocol, { signal, runOnLimitedConnection: true })
}

async function abortableDelay (ms: number, signal: AbortSignal): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, ms)
    signal.addEventListener('abort', () => { clearTimeout(timer); reject(signal.reason as Error) }, { once: true })
  })
}
