// Keeps this peer connected to its configured bootstrap peers. Not @libp2p/bootstrap: that
// module skips addresses without /p2p/ID (SPEC.md allows both forms) and never redials a
// bootstrap that restarted. A dead address is logged and retried with backoff, never fatal.
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import type { Libp2p } from '@libp2p/interface'

const MIN_BACKOFF_MS = 500
const MAX_BACKOFF_MS = 30_000

interface Target {
  addr: Multiaddr
  peer: string | undefined
  backoffMs: number
  nextTry: number
  warned: boolean
}

export class BootstrapDialer {
  private readonly targets: Target[]
  private timer: NodeJS.Timeout | undefined
  private running = false

  constructor (private readonly node: Libp2p, addrs: string[], private readonly warn: (msg: string) => void) {
    this.targets = addrs.map(text => {
      const addr = multiaddr(text)
      return { addr, peer: addr.getPeerId() ?? undefined, backoffMs: MIN_BACKOFF_MS, nextTry: 0, warned: false }
    })
  }

  start (): void {
    if (this.targets.length === 0) return
    this.running = true
    void this.tick()
  }

  stop (): void {
    this.running = false
    clearTimeout(this.timer)
  }

  /** The peer ids of the bootstrap peers, as far as they are known (given in the address, or met). */
  peers (): string[] {
    return this.targets.map(target => target.peer).filter((peer): peer is string => peer !== undefined)
  }

  /** Resolves after the first round of dials (successful or not). */
  async firstRound (): Promise<void> {
    await Promise.all(this.targets.map(async target => { await this.dial(target) }))
  }

  private async tick (): Promise<void> {
    const now = Date.now()
    await Promise.all(this.targets.filter(target => target.nextTry <= now && !this.isConnected(target)).map(async target => { await this.dial(target) }))
    if (this.running) {
      this.timer = setTimeout(() => { void this.tick() }, 1000)
      this.timer.unref()
    }
  }

  private isConnected (target: Target): boolean {
    if (target.peer === undefined) return false
    return this.node.getConnections().some(connection => connection.remotePeer.toString() === target.peer)
  }

  private async dial (target: Target): Promise<void> {
    if (this.isConnected(target)) return
    try {
      const connection = await this.node.dial(target.addr, { signal: AbortSignal.timeout(5000) })
      target.peer = connection.remotePeer.toString()
      target.backoffMs = MIN_BACKOFF_MS
      target.warned = false
    } catch (err) {
      if (!target.warned) this.warn(`cannot reach bootstrap ${target.addr.toString()}: ${(err as Error).message}; retrying in the background`)
      target.warned = true
      target.nextTry = Date.now() + target.backoffMs
      target.backoffMs = Math.min(target.backoffMs * 2, MAX_BACKOFF_MS)
    }
  }
}
