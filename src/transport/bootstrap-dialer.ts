// Keeps this peer connected to its configured bootstrap peers. Not @libp2p/bootstrap: that
// module skips addresses without /p2p/ID (SPEC.md allows both forms) and never redials a
// bootstrap that restarted. A dead address is logged and retried with backoff, never fatal.
//
// Event-driven: losing the connection to a bootstrap (peer:disconnect) redials it at once, and a
// failed dial is retried when its backoff is up (0.5 s doubling to 30 s), so a restarted bootstrap
// is reached again as promptly as when this polled every second. Besides, one slow check.
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import type { Libp2p, PeerId } from '@libp2p/interface'
import { DIAL_TIMEOUT_MS } from './libp2p-settings.js'
import { nextDelayMs, type BackoffDelays } from './dial-backoff.js'

const MIN_BACKOFF_MS = 500
const MAX_BACKOFF_MS = 30_000
/**
 * How long one dial may take (connect, encryption handshake, muxer): 5 s at first, twice as long
 * after each failed dial, up to libp2p's own dial time-out (libp2p-settings.ts). A bootstrap that
 * answers slowly (a master busy with a fleet restarting at once) is given the time it needs
 * instead of being dropped mid-handshake and dialled again: in a 2000-daemon trial 7700 dials were
 * abandoned at 5 s (up to 17 by one daemon), each handshake's work lost on both sides.
 */
export const DIAL_TIMEOUTS_MS: BackoffDelays = { firstMs: 5_000, maxMs: DIAL_TIMEOUT_MS }
/**
 * The check that needs no event: a connection lost without a disconnect event reaching us (none
 * known), or a bootstrap given without /p2p/ID whose peer is not known yet. Was 1 s: a wakeup a
 * second on every idle daemon for nothing (docs/design.md, "Timers").
 */
const CHECK_INTERVAL_MS = 15_000
/**
 * A connection to a bootstrap that ends sooner than this after it was made (a refused admission,
 * a bootstrap closing it) is redialled with backoff, not at once: no dial loop.
 */
const STABLE_AFTER_MS = 10_000

interface Target {
  addr: Multiaddr
  peer: string | undefined
  backoffMs: number
  /** the next dial's time-out: grows with each failed dial, back to the first after a connection */
  dialTimeoutMs: number
  nextTry: number
  connectedAt: number
  warned: boolean
}

export class BootstrapDialer {
  private readonly targets: Target[]
  private timer: NodeJS.Timeout | undefined
  private running = false
  private readonly onDisconnect = (event: CustomEvent<PeerId>): void => {
    const peer = event.detail.toString()
    const target = this.targets.find(candidate => candidate.peer === peer)
    if (target === undefined || !this.running) return
    // A bootstrap that went away is tried again at once (it may have restarted), then with backoff
    // while it is down; a connection that did not last is retried after the backoff.
    const now = Date.now()
    if (now - target.connectedAt >= STABLE_AFTER_MS) {
      target.nextTry = now
      target.backoffMs = MIN_BACKOFF_MS
    } else {
      target.nextTry = Math.max(target.nextTry, now + target.backoffMs)
      target.backoffMs = Math.min(target.backoffMs * 2, MAX_BACKOFF_MS)
    }
    this.schedule(Math.max(0, target.nextTry - now))
  }

  constructor (private readonly node: Pick<Libp2p, 'dial' | 'getConnections' | 'addEventListener' | 'removeEventListener'>, addrs: string[], private readonly warn: (msg: string) => void, private readonly dialTimeouts: BackoffDelays = DIAL_TIMEOUTS_MS) {
    this.targets = addrs.map(text => {
      const addr = multiaddr(text)
      return { addr, peer: addr.getPeerId() ?? undefined, backoffMs: MIN_BACKOFF_MS, dialTimeoutMs: this.dialTimeouts.firstMs, nextTry: 0, connectedAt: 0, warned: false }
    })
  }

  start (): void {
    if (this.targets.length === 0) return
    this.running = true
    this.node.addEventListener('peer:disconnect', this.onDisconnect)
    void this.tick()
  }

  stop (): void {
    this.running = false
    this.node.removeEventListener('peer:disconnect', this.onDisconnect)
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

  private ticking = false
  /** a disconnect came while a round was dialling: another round right after it */
  private again = false
  private timerAt = 0

  private async tick (): Promise<void> {
    clearTimeout(this.timer)
    this.timer = undefined
    if (this.ticking) { this.again = true; return }
    this.ticking = true
    this.again = false
    try {
      const now = Date.now()
      await Promise.all(this.targets.filter(target => target.nextTry <= now && !this.isConnected(target)).map(async target => { await this.dial(target) }))
    } finally {
      this.ticking = false
    }
    if (!this.running) return
    // Next: the earliest retry a disconnected bootstrap is due, else the slow check.
    const now = Date.now()
    const due = this.targets.filter(target => !this.isConnected(target)).map(target => Math.max(MIN_BACKOFF_MS, target.nextTry - now))
    this.schedule(this.again ? 0 : Math.min(CHECK_INTERVAL_MS, ...due))
  }

  private schedule (ms: number): void {
    if (!this.running) return
    if (this.ticking) { if (ms === 0) this.again = true; return }
    // Never later than a sooner wakeup already set.
    if (this.timer !== undefined && this.timerAt <= Date.now() + ms) return
    clearTimeout(this.timer)
    this.timerAt = Date.now() + ms
    this.timer = setTimeout(() => { void this.tick() }, ms)
    this.timer.unref()
  }

  private isConnected (target: Target): boolean {
    if (target.peer === undefined) return false
    return this.node.getConnections().some(connection => connection.remotePeer.toString() === target.peer)
  }

  private async dial (target: Target): Promise<void> {
    if (this.isConnected(target)) return
    try {
      const connection = await this.node.dial(target.addr, { signal: AbortSignal.timeout(target.dialTimeoutMs) })
      target.dialTimeoutMs = this.dialTimeouts.firstMs
      target.peer = connection.remotePeer.toString()
      target.connectedAt = Date.now()
      target.warned = false
    } catch (err) {
      if (!target.warned) this.warn(`cannot reach bootstrap ${target.addr.toString()}: ${(err as Error).message}; retrying in the background`)
      target.warned = true
      target.nextTry = Date.now() + target.backoffMs
      target.backoffMs = Math.min(target.backoffMs * 2, MAX_BACKOFF_MS)
      target.dialTimeoutMs = nextDelayMs(target.dialTimeoutMs, this.dialTimeouts)
    }
  }
}
