// The services' young generation (src/young-generation.ts): pinned at run time, V8 must
// keep it at its starting size under a load that grows it otherwise. Run in a child Node.js:
// pinned in mocha's own process, the tests after it would run with a smaller heap.
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'

const MIB = 2 ** 20

function youngGenerationAfterChurn (pinned: boolean): number {
  const module = new URL('../../src/young-generation.js', import.meta.url).href
  const script = `
    import { pinYoungGeneration, youngGenerationBytes } from ${JSON.stringify(module)}
    if (${String(pinned)}) pinYoungGeneration()
    let kept = []
    for (let i = 0; i < 3e6; i++) { kept.push({ i, text: 'x' + i }); if (kept.length > 20000) kept = [] }
    console.log(youngGenerationBytes())
  `
  return Number(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' }).trim())
}

describe('services\' young generation', function () {
  this.timeout(30_000)

  it('grows under load by default, and stays at its starting 2 MiB once pinned', function () {
    const grown = youngGenerationAfterChurn(false)
    assert.ok(grown > 4 * MIB, `without the pin the young generation stayed at ${grown} bytes: the test proves nothing`)
    const pinned = youngGenerationAfterChurn(true)
    assert.ok(pinned <= 2 * MIB, `pinned, the young generation grew to ${pinned} bytes`)
  })
})
