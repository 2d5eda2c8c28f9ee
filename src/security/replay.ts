// At most once per node: request ids are remembered for as long as the request could still be
// accepted (its expiry plus the clock-skew allowance), in bounded memory, with a share per
// caller key so that one key cannot crowd out the others. With a journal file, the ids survive a
// restart: a request captured before the daemon restarted is still a replay after it.
import { closeSync, openSync, readFileSync, renameSync, writeFileSync, writeSync } from 'node:fs'

/** The journal is rewritten with its live ids once it holds this many lines, and twice the live ids of its last rewrite. */
const COMPACT_AFTER_LINES = 10_000

export interface ReplayCacheOptions {
  maxEntries?: number
  /** at most this many live ids per owner (caller key) */
  maxPerOwner?: number
  /** where ids are kept across restarts (one line per id: "<expiry ms> <id>") */
  journal?: string
  /** lines the journal may hold before it is compacted (at least twice the live ids) */
  compactAfterLines?: number
  onJournalError?: (message: string) => void
}

export class ReplayCache {
  private readonly expiryById = new Map<string, { expiry: number, owner: string }>()
  private readonly perOwner = new Map<string, number>()
  private nextSweep = 0
  private readonly maxEntries: number
  private readonly maxPerOwner: number
  private journalBroken = false
  /** the journal, open for appending from the first id recorded (one open, not one per request) */
  private journalFd: number | undefined
  private journalLines = 0
  /** live ids at the last compaction: the next waits for twice as many lines (amortized, the rewrites cost O(1) per id) */
  private journalLive = 0

  constructor (private readonly options: ReplayCacheOptions = {}) {
    this.maxEntries = options.maxEntries ?? 200_000
    this.maxPerOwner = options.maxPerOwner ?? Math.ceil(this.maxEntries / 4)
    if (options.journal !== undefined) this.load(options.journal)
  }

  /**
   * Records the id. Returns 'fresh' the first time, 'replay' if seen before, and 'full' when
   * the cache (or this owner's share of it) cannot take another live id: the caller must refuse,
   * since evicting a live id would reopen the replay window.
   */
  remember (id: string, validUntil: number, now = Date.now(), owner = ''): 'fresh' | 'replay' | 'full' {
    if (now >= this.nextSweep || this.expiryById.size >= this.maxEntries) this.sweep(now)
    const known = this.expiryById.get(id)
    if (known !== undefined && known.expiry >= now) return 'replay'
    if (this.expiryById.size >= this.maxEntries || (this.perOwner.get(owner) ?? 0) >= this.maxPerOwner) return 'full'
    this.add(id, validUntil, owner)
    this.record(id, validUntil, now)
    return 'fresh'
  }

  has (id: string, now = Date.now()): boolean {
    const known = this.expiryById.get(id)
    return known !== undefined && known.expiry >= now
  }

  get size (): number {
    return this.expiryById.size
  }

  private add (id: string, expiry: number, owner: string): void {
    const previous = this.expiryById.get(id)
    if (previous !== undefined) this.release(previous.owner)
    this.expiryById.set(id, { expiry, owner })
    this.perOwner.set(owner, (this.perOwner.get(owner) ?? 0) + 1)
  }

  private release (owner: string): void {
    const count = (this.perOwner.get(owner) ?? 1) - 1
    if (count <= 0) this.perOwner.delete(owner)
    else this.perOwner.set(owner, count)
  }

  private sweep (now: number): void {
    for (const [id, { expiry, owner }] of this.expiryById) {
      if (expiry >= now) continue
      this.expiryById.delete(id)
      this.release(owner)
    }
    this.nextSweep = now + 5_000
  }

  /** Appends one id to the journal; an id accepted is on disk before the action runs. */
  private record (id: string, expiry: number, now: number): void {
    const journal = this.options.journal
    if (journal === undefined || this.journalBroken) return
    try {
      this.journalFd ??= openSync(journal, 'a', 0o600)
      writeSync(this.journalFd, `${expiry} ${id}\n`)
      this.journalLines += 1
      // A daemon that runs for months would otherwise keep every id it ever took.
      if (this.journalLines >= Math.max(this.options.compactAfterLines ?? COMPACT_AFTER_LINES, 2 * this.journalLive)) this.compact(journal, now)
    } catch (err) {
      this.journalFailed(journal, err)
    }
  }

  /** Reads the live ids back and rewrites the journal with only those. */
  private load (journal: string, now = Date.now()): void {
    let text = ''
    try {
      text = readFileSync(journal, 'utf8')
    } catch { /* no journal yet */ }
    for (const line of text.split('\n')) {
      const [expiryText, id] = line.split(' ')
      const expiry = Number(expiryText)
      if (id === undefined || !/^[0-9a-f]{32}$/.test(id) || !Number.isFinite(expiry) || expiry < now) continue
      if (this.expiryById.size >= this.maxEntries) break
      this.add(id, expiry, 'journal')
    }
    try {
      this.compact(journal, now)
    } catch (err) {
      this.journalFailed(journal, err)
    }
  }

  /** Rewrites the journal with the ids still live (atomically: a crash leaves the old one or the new). */
  private compact (journal: string, now: number): void {
    this.sweep(now)
    const live = [...this.expiryById].map(([id, { expiry }]) => `${expiry} ${id}\n`)
    writeFileSync(`${journal}.new`, live.join(''), { mode: 0o600 })
    renameSync(`${journal}.new`, journal)
    if (this.journalFd !== undefined) closeSync(this.journalFd)
    this.journalFd = undefined
    this.journalLines = live.length
    this.journalLive = live.length
  }

  private journalFailed (journal: string, err: unknown): void {
    this.journalBroken = true
    this.options.onJournalError?.(`cannot write the replay journal ${journal}: ${(err as NodeJS.ErrnoException).code ?? String(err)}; requests replayed after a restart within their TTL would be accepted again`)
  }
}
