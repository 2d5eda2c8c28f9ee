// Under CI=true a test whose prerequisite .ci/run installs may not skip itself (test/helpers/prerequisite.ts).
import assert from 'node:assert/strict'
import type { Context } from 'mocha'
import { requireOrSkip } from '../helpers/prerequisite.js'

describe('tests that need the system: skipped on a developer machine, failed under CI', () => {
  const saved = process.env.CI
  afterEach(() => { if (saved === undefined) delete process.env.CI; else process.env.CI = saved })
  const context = (): { context: Context, skipped: () => boolean } => {
    let skipped = false
    return { context: { skip: () => { skipped = true } } as unknown as Context, skipped: () => skipped }
  }

  it('CI=true: a missing prerequisite fails the test, naming it', () => {
    process.env.CI = 'true'
    const { context: ctx, skipped } = context()
    assert.throws(() => requireOrSkip(ctx, false, 'Puppet (/usr/bin/puppet)'), /Puppet \(\/usr\/bin\/puppet\) is missing; under CI=true this test may not skip/)
    assert.equal(skipped(), false)
  })

  it('without CI: a missing prerequisite skips; a present one neither skips nor fails', () => {
    delete process.env.CI
    const missing = context()
    requireOrSkip(missing.context, false, 'facter')
    assert.equal(missing.skipped(), true)
    process.env.CI = 'true'
    const present = context()
    requireOrSkip(present.context, true, 'facter')
    assert.equal(present.skipped(), false)
  })
})
