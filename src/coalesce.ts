// Work that a burst of events asks for many times, done once for the burst. A fleet that starts
// together changes every directory hundreds of times a second; a listener that rescans the whole
// directory on each change costs O(N) per change, O(N²) per join storm, on every daemon.

/**
 * Returns a trigger: the first call schedules `work` after `delayMs`, and calls until it runs
 * join that run. The timer does not keep the process alive.
 */
export function coalesced (work: () => void, delayMs: number): () => void {
  let pending = false
  return () => {
    if (pending) return
    pending = true
    setTimeout(() => {
      pending = false
      work()
    }, delayMs).unref()
  }
}
