// Inbound sockets that have not finished their encryption handshake, per remote address. libp2p
// bounds them only in total (maxIncomingPendingConnections) and by time (the upgrade timeout),
// so one host holding a few hundred idle sockets open could keep every newcomer out; here each
// address gets at most MAX_PENDING_PER_HOST at once.
import type { MultiaddrConnection } from '@libp2p/interface'

export const MAX_PENDING_PER_HOST = 16

export class InboundHandshakeLimit {
  private readonly pending = new Map<string, Set<MultiaddrConnection>>()

  /** The connection gater's denyInboundConnection: true refuses the socket. */
  deny (maConn: MultiaddrConnection): boolean {
    const host = hostOf(maConn)
    if (host === undefined) return false
    const sockets = this.pending.get(host) ?? new Set<MultiaddrConnection>()
    for (const socket of sockets) if (socket.timeline.close !== undefined) sockets.delete(socket)
    if (sockets.size >= MAX_PENDING_PER_HOST) return true
    sockets.add(maConn)
    this.pending.set(host, sockets)
    return false
  }

  /**
   * The handshake finished: the socket no longer counts. libp2p hands the encrypted-connection
   * gater a copy of the socket's object ({...protected, ...encrypted}), not the one deny() saw;
   * the copy shares its `timeline`. (Matching the object itself never matched: after 16
   * handshakes from one address, every later connection from it was refused, a fleet on one host
   * or behind one NAT included.)
   */
  done (maConn: MultiaddrConnection): void {
    const host = hostOf(maConn)
    if (host === undefined) return
    const sockets = this.pending.get(host)
    for (const socket of sockets ?? []) if (socket === maConn || socket.timeline === maConn.timeline) sockets?.delete(socket)
    if (sockets?.size === 0) this.pending.delete(host)
  }
}

function hostOf (maConn: MultiaddrConnection): string | undefined {
  try {
    return maConn.remoteAddr.nodeAddress().address
  } catch {
    return undefined
  }
}
