// A standing pool of background dials (the requester's connections ahead of need): peers wait in
// the order they were added, at most `lanes` dials run at once, and a lane takes the next peer as
// soon as its dial ends.
//
// Why not a pass of dials per directory change: in a fleet's join the directory changes several
// times a second, and passes that overlapped each added their own dials, past libp2p's bound on
// parallel dials, where a dial waits its turn while its time-out runs (a 1000-daemon join: ~11,000
// dials abandoned). One pass at a time kept the bound but each pass ended with its slowest dial,
// leaving its lanes idle behind hosts that did not answer. A pool has neither: no more than
// `lanes` at once, none idle while a peer waits (docs/design.md, "A fleet joining at once").

export class DialQueue {
  private readonly waiting = new Set<string>()
  /** peers a lane is dialling: added again meanwhile, they are not queued a second time */
  private readonly dialling = new Set<string>()
  private running = 0
  private readonly settledWaiters: Array<() => void> = []

  /** dial must not throw: what a failure means is the caller's business (backoff, logs). */
  constructor (private readonly lanes: number, private readonly dial: (peer: string) => Promise<void>) {}

  /** Queues these peers (a peer already waiting keeps its place; one being dialled is left out) and starts lanes for them. */
  add (peers: Iterable<string>): void {
    for (const peer of peers) if (!this.dialling.has(peer)) this.waiting.add(peer)
    while (this.running < this.lanes && this.waiting.size > 0) void this.lane()
  }

  /** Resolves once no peer waits and no dial of the pool is under way. */
  async settled (): Promise<void> {
    if (this.running === 0 && this.waiting.size === 0) return
    await new Promise<void>(resolve => this.settledWaiters.push(resolve))
  }

  /** Forgets the waiting peers (dials under way end on their own). */
  clear (): void {
    this.waiting.clear()
  }

  private async lane (): Promise<void> {
    this.running++
    try {
      for (let peer = this.next(); peer !== undefined; peer = this.next()) {
        this.dialling.add(peer)
        await this.dial(peer).catch(() => {})
        this.dialling.delete(peer)
      }
    } finally {
      this.running--
      if (this.running === 0 && this.waiting.size === 0) this.settledWaiters.splice(0).forEach(resolve => resolve())
    }
  }

  private next (): string | undefined {
    for (const peer of this.waiting) {
      this.waiting.delete(peer)
      return peer
    }
    return undefined
  }
}
