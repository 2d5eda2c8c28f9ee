// The daemon's JIT tier limit (src/daemon/jit-tier.ts): set at run time, V8 must honour it. A
// child Node.js with V8's natives syntax runs a hot function and reports how V8 compiled it:
// optimized without the limit, baseline (and never optimized) with it. (Never set in this
// process: the tests after it would run unoptimized. test/integration/agents.test.ts checks that
// a real daemon sets it.)
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'

/** V8's %GetOptimizationStatus bits (src/runtime/runtime.h, V8 11.x). */
const OPTIMIZED = 1 << 4
const BASELINE = 1 << 15

function compiledStatus (limit: boolean): number {
  const module = new URL('../../src/daemon/jit-tier.js', import.meta.url).href
  const script = `
    import { limitJitTier } from ${JSON.stringify(module)}
    if (${String(limit)}) limitJitTier()
    function hot (x) { return x * 2 + 1 }
    let sum = 0
    for (let i = 0; i < 1e7; i++) sum += hot(i)
    console.log(%GetOptimizationStatus(hot))
  `
  return Number(execFileSync(process.execPath, ['--allow-natives-syntax', '--input-type=module', '-e', script], { encoding: 'utf8' }).trim())
}

describe('daemon JIT tier', function () {
  this.timeout(30_000)

  it('a hot function is optimized by default, and stays on the baseline compiler once the limit is set', function () {
    const unlimited = compiledStatus(false)
    assert.ok((unlimited & OPTIMIZED) !== 0, `without the limit V8 optimized nothing (status ${unlimited.toString(2)}): the test proves nothing`)
    const limited = compiledStatus(true)
    assert.equal(limited & OPTIMIZED, 0, `optimized despite the limit (status ${limited.toString(2)})`)
    assert.ok((limited & BASELINE) !== 0, `not on the baseline compiler (status ${limited.toString(2)})`)
  })
})
