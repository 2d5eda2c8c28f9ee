// Log lines that a remote peer can cause must not come at wire speed: each source gets a few
// lines a minute, and the number held back is reported with the next line that gets through.

const WINDOW_MS = 60_000
const MAX_SOURCES = 10_000

interface Window {
  start: number
  count: number
  suppressed: number
}

export class LogThrottle {
  private readonly windows = new Map<string, Window>()

  constructor (private readonly perWindow = 5) {}

  /** True when a line about this source may be written now. */
  allow (source: string, now = Date.now()): boolean {
    return this.take(source, now) !== undefined
  }

  /**
   * Like allow, but returns how many lines were held back since the last one that got through
   * (undefined: hold this one back too).
   */
  take (source: string, now = Date.now()): number | undefined {
    let window = this.windows.get(source)
    if (window === undefined || now - window.start >= WINDOW_MS) {
      const suppressed = window?.suppressed ?? 0
      if (this.windows.size >= MAX_SOURCES) this.windows.delete(this.windows.keys().next().value as string)
      window = { start: now, count: 0, suppressed }
      this.windows.set(source, window)
    }
    if (window.count >= this.perWindow) {
      window.suppressed += 1
      return undefined
    }
    window.count += 1
    const suppressed = window.suppressed
    window.suppressed = 0
    return suppressed
  }
}
