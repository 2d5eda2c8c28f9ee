// Requests per caller per second on a node: a token bucket per key, in bounded memory.

interface Bucket {
  tokens: number
  updated: number
}

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>()

  constructor (private readonly perSecond: number, private readonly burst = perSecond * 2, private readonly maxKeys = 10_000) {}

  allow (key: string, now = Date.now()): boolean {
    const bucket = this.buckets.get(key) ?? { tokens: this.burst, updated: now }
    bucket.tokens = Math.min(this.burst, bucket.tokens + (now - bucket.updated) / 1000 * this.perSecond)
    bucket.updated = now
    this.buckets.delete(key)
    this.buckets.set(key, bucket)
    if (this.buckets.size > this.maxKeys) this.buckets.delete(this.buckets.keys().next().value as string)
    if (bucket.tokens < 1) return false
    bucket.tokens -= 1
    return true
  }
}
