// Peers a background dial failed to reach, and when each may be tried again. Connections made
// ahead of need (the requester's to the whole fleet) are retried with a growing delay instead of
// on every directory change: a fleet joining at once changes the directory several times a
// second while its hosts are too busy to finish a handshake in time, and each dial abandoned at
// its time-out had already cost the host it was sent to its share of the handshake.

export interface BackoffDelays {
  /** the wait after a first failure */
  firstMs: number
  /** the longest wait, reached by doubling */
  maxMs: number
}

/**
 * 5 s doubling to 30 s: a longer wait kept nodes that failed late in a fleet's join unconnected
 * when the first command came, and that command then had to dial them all at once (a 2000-node
 * trial with 5 min: 475 of 2000 replies to the first ping).
 */
export const FLEET_DIAL_BACKOFF: BackoffDelays = { firstMs: 5_000, maxMs: 30_000 }
/** The wait after another failure: the first wait after none (lastMs 0 or undefined), else twice the last, at most maxMs. */
export function nextDelayMs (lastMs: number | undefined, delays: BackoffDelays): number {
  return lastMs === undefined || lastMs <= 0 ? delays.firstMs : Math.min(lastMs * 2, delays.maxMs)
}

/** Peers remembered at most (a fleet's worth; the oldest is forgotten first). */
const MAX_REMEMBERED = 100_000

export class DialBackoff {
  private readonly waits = new Map<string, { delayMs: number, until: number }>()

  constructor (private readonly delays: BackoffDelays = FLEET_DIAL_BACKOFF) {}

  /** Whether a background dial to this peer may go now. */
  ready (peer: string, now = Date.now()): boolean {
    return (this.waits.get(peer)?.until ?? 0) <= now
  }

  failed (peer: string, now = Date.now()): void {
    const delayMs = nextDelayMs(this.waits.get(peer)?.delayMs, this.delays)
    this.waits.delete(peer)
    this.waits.set(peer, { delayMs, until: now + delayMs })
    if (this.waits.size > MAX_REMEMBERED) this.waits.delete(this.waits.keys().next().value as string)
  }

  succeeded (peer: string): void {
    this.waits.delete(peer)
  }

  /** Milliseconds until the first of these peers may be dialled again; undefined when none waits. */
  nextDueIn (peers: Iterable<string>, now = Date.now()): number | undefined {
    let due: number | undefined
    for (const peer of peers) {
      const until = this.waits.get(peer)?.until
      if (until !== undefined && until > now) due = Math.min(due ?? Infinity, until - now)
    }
    return due
  }
}
