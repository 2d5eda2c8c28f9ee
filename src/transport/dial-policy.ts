// Which addresses this peer never dials: the direct addresses of a peer that advertises only
// relayed ones. Identify fills the peer store with every peer's listen addresses, dialable or
// not, and libp2p dials them in turn, each until its timeout; a node behind the PE rule (no
// inbound connection) would make every dial by its peer id wait on a dropped packet first. The
// connection gater asks this before every dial, libp2p's own included.
import type { Multiaddr } from '@multiformats/multiaddr'
import { isRelayedAddr } from './connections.js'

/** How long what a request said of its requester's addresses is remembered. */
const LEARNED_TTL_MS = 10 * 60_000
const MAX_LEARNED = 10_000

export class DialPolicy {
  private readonly learned = new Map<string, { relayedOnly: boolean, until: number }>()
  /** what the directory says a node advertises (set by the mesh member once it has one) */
  advertised: (peer: string) => readonly string[] | undefined = () => undefined

  /** Records what a peer advertises (a request's requester, say). */
  learn (peer: string, addrs: readonly string[]): void {
    if (addrs.length === 0) return
    this.learned.delete(peer)
    this.learned.set(peer, { relayedOnly: addrs.every(addr => isRelayedAddr(addr)), until: Date.now() + LEARNED_TTL_MS })
    if (this.learned.size > MAX_LEARNED) {
      const oldest = this.learned.keys().next().value
      if (oldest !== undefined) this.learned.delete(oldest)
    }
  }

  /** True for a direct address of a peer known to be reachable only through a relay. */
  denies (addr: Multiaddr): boolean {
    if (isRelayedAddr(addr)) return false
    const peer = addr.getPeerId()
    return peer !== null && this.relayedOnly(peer)
  }

  relayedOnly (peer: string): boolean {
    const advertised = this.advertised(peer)
    if (advertised !== undefined && advertised.length > 0) return advertised.every(addr => isRelayedAddr(addr))
    const learned = this.learned.get(peer)
    if (learned === undefined) return false
    if (learned.until < Date.now()) {
      this.learned.delete(peer)
      return false
    }
    return learned.relayedOnly
  }
}
