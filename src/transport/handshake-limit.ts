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

  /** The handshake finished: the socket no longer counts. */
  done (maConn: MultiaddrConnection): void {
    const host = hostOf(maConn)
    if (host === undefined) return
    const sockets = this.pending.get(host)
    sockets?.delete(maConn)
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
