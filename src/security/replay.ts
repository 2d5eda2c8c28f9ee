// At most once per node: request ids are remembered for as long as the request could still be
// accepted (its expiry plus the clock-skew allowance), in bounded memory.

export class ReplayCache {
  private readonly expiryById = new Map<string, number>()
  private nextSweep = 0

  constructor (private readonly maxEntries = 200_000) {}

  /**
   * Records the id. Returns 'fresh' the first time, 'replay' if seen before, and 'full' when
   * the cache cannot take another live id (the caller must refuse: evicting a live id would
   * reopen the replay window).
   */
  remember (id: string, validUntil: number, now = Date.now()): 'fresh' | 'replay' | 'full' {
    if (now >= this.nextSweep || this.expiryById.size >= this.maxEntries) this.sweep(now)
    const known = this.expiryById.get(id)
    if (known !== undefined && known > now) return 'replay'
    if (this.expiryById.size >= this.maxEntries) return 'full'
    this.expiryById.set(id, validUntil)
    return 'fresh'
  }

  has (id: string, now = Date.now()): boolean {
    const known = this.expiryById.get(id)
    return known !== undefined && known > now
  }

  get size (): number {
    return this.expiryById.size
  }

  private sweep (now: number): void {
    for (const [id, expiry] of this.expiryById) if (expiry <= now) this.expiryById.delete(id)
    this.nextSweep = now + 5_000
  }
}
