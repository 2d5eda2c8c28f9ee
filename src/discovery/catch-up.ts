// When a requester asks a bootstrap again for the directory entries it lacks (a catch-up). It
// follows CATCH_UP_AFTER_MS after its first sync; while the directory still grows between
// catch-ups (a crowd is still joining), the next comes sooner, and a node learned of by gossip
// or a beat brings the next one within CATCH_UP_WHILE_GROWING_MS, even after the schedule has
// run out: a node whose first gossip was lost on a loaded host is often one of many the
// bootstrap knows, which this requester would otherwise meet one by one, at their next beats
// (minutes apart on a large fleet).
import type { Directory } from './directory.js'

/**
 * A requester asks again this long after its first directory: nodes that were still starting
 * then (their registrations not yet with the bootstrap) would otherwise wait for their next
 * beat, which on a large fleet is minutes away.
 */
export const CATCH_UP_AFTER_MS = [10_000, 30_000, 90_000, 300_000]
/** While the directory grows, the next catch-up comes after this long (at most MAX_GROWING_CATCH_UPS times in a row of the schedule). */
export const CATCH_UP_WHILE_GROWING_MS = 10_000
const MAX_GROWING_CATCH_UPS = 60

export class CatchUpSchedule {
  private step = 0
  private growing = 0
  private sizeBefore: number
  private running = false
  private dueAt = Infinity
  private timer: NodeJS.Timeout | undefined
  private unwatchDirectory: (() => void) | undefined

  /** `catchUp` asks for the entries (its failures are its own to log); the schedule starts at once. */
  constructor (private readonly directory: Pick<Directory, 'size' | 'onChange'>, private readonly catchUp: () => Promise<void>) {
    this.sizeBefore = directory.size
    this.unwatchDirectory = directory.onChange(() => {
      if (!this.running && this.directory.size > this.sizeBefore && this.dueAt - Date.now() > CATCH_UP_WHILE_GROWING_MS) this.next(CATCH_UP_WHILE_GROWING_MS)
    })
    this.next(CATCH_UP_AFTER_MS[0] ?? 0)
  }

  stop (): void {
    clearTimeout(this.timer)
    this.unwatchDirectory?.()
  }

  private next (delay: number): void {
    clearTimeout(this.timer)
    this.dueAt = Date.now() + delay
    this.timer = setTimeout(() => { this.dueAt = Infinity; void this.run() }, delay)
    this.timer.unref()
  }

  private async run (): Promise<void> {
    this.running = true
    await this.catchUp()
    this.running = false
    // Grown since the last catch-up, by it or by gossip: the crowd is still joining.
    const grew = this.directory.size > this.sizeBefore
    this.sizeBefore = this.directory.size
    if (grew && this.growing < MAX_GROWING_CATCH_UPS) {
      this.growing++
      this.next(CATCH_UP_WHILE_GROWING_MS)
      return
    }
    this.step++
    const delay = CATCH_UP_AFTER_MS[this.step]
    if (delay !== undefined) this.next(delay - (CATCH_UP_AFTER_MS[this.step - 1] ?? 0))
  }
}
