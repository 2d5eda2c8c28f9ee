// --limit and --batch: which of the matching nodes to act on, and in which groups.

export type Limit = { count: number } | { percent: number }

/**
 * `--limit N|P%` as MCollective's --limit-nodes takes it: a whole number, or a percentage of
 * the matching nodes (rounded down, at least one node when any match). `1.1`, `a`, `%1` are
 * refused, as there.
 */
export function parseLimit (text: string): Limit {
  const percent = /^(\d+(?:\.\d+)?)%$/.exec(text)
  if (percent !== null) return { percent: Number(percent[1]) }
  if (!/^\d+$/.test(text) || Number(text) <= 0) throw new Error(`expected a count such as 10 or a percentage such as 25%, got '${text}'`)
  return { count: Number(text) }
}

export type BatchSize = { size: number } | { percent: number }

/**
 * `--batch N|N%` as MCollective takes it: N nodes at a time, or N percent of the selection
 * (rounded up); 0 turns batching off (undefined); 0% and anything else are refused.
 */
export function parseBatch (text: string): BatchSize | undefined {
  const percent = /^(\d+)%$/.exec(text)
  if (percent !== null) {
    if (Number(percent[1]) === 0) throw new Error(`a batch of 0% is no batch: use --batch 0 to send to all at once, got '${text}'`)
    return { percent: Number(percent[1]) }
  }
  if (!/^\d+$/.test(text)) throw new Error(`expected a whole number of nodes such as 10 or a percentage such as 25% (0: no batches), got '${text}'`)
  return Number(text) === 0 ? undefined : { size: Number(text) }
}

/** The nodes in one batch for a selection of `count` nodes. */
export function batchSizeFor (batch: BatchSize, count: number): number {
  return 'size' in batch ? batch.size : Math.max(1, Math.ceil(count * batch.percent / 100))
}

/** A small seeded generator (mulberry32): the same seed picks the same nodes every time. */
function seededRandom (seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export function applyLimit<T> (items: T[], limit: Limit, seed?: number): T[] {
  const wanted = 'count' in limit ? limit.count : Math.max(items.length > 0 ? 1 : 0, Math.floor(items.length * Math.min(limit.percent, 100) / 100))
  if (wanted >= items.length) return [...items]
  const random = seed !== undefined ? seededRandom(seed) : Math.random
  const shuffled = [...items]
  for (let i = shuffled.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    ;[shuffled[i], shuffled[j]] = [shuffled[j] as T, shuffled[i] as T]
  }
  return shuffled.slice(0, wanted)
}

export function inBatches<T> (items: T[], size: number): T[][] {
  if (!Number.isInteger(size) || size <= 0) throw new Error(`batch size must be a whole number above 0, got ${size}`)
  const batches: T[][] = []
  for (let i = 0; i < items.length; i += size) batches.push(items.slice(i, i + size))
  return batches
}
