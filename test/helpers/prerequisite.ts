// A test that needs something from the system (Puppet, facter, cron's init script, root) skips
// itself where that is missing, as a developer's machine may be. Under CI=true it fails instead:
// .ci/run installs all of it, so a skip there means the test did not run, and CI must not go
// green on tests that did not run.
import type { Context } from 'mocha'

/** Skips the running test (or hook) when `available` is false, or fails it when CI=true. */
export function requireOrSkip (context: Context, available: boolean, what: string): void {
  if (available) return
  if (process.env.CI === 'true') {
    throw new Error(`${what} is missing; under CI=true this test may not skip (.ci/run installs what it needs)`)
  }
  console.log(`      (skipped: ${what} is missing)`)
  context.skip()
}
