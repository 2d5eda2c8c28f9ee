// useCodePointOrder (src/text.ts): the services order strings by code point wherever a library
// calls localeCompare, so ICU's collator is never loaded. Run in a child process: it changes
// String.prototype for the whole process, which this test process must keep as it is.
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const textModule = fileURLToPath(new URL('../../src/text.js', import.meta.url))

function compared (setUp: string): number[] {
  const script = `${setUp}; console.log(JSON.stringify([['Z', 'a'], ['b', 'a'], ['a', 'a'], ['/ip4/10', '/ip4/9'], ['é', 'f']].map(([x, y]) => x.localeCompare(y))))`
  return JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' })) as number[]
}

describe('code-point order for the services', function () {
  it('localeCompare orders by code point once set, as compareText does', function () {
    assert.deepEqual(compared(`const { useCodePointOrder } = await import(${JSON.stringify(textModule)}); useCodePointOrder()`), [-1, 1, 0, -1, 1])
  })

  it('differs from the collator where it matters to no one: the check above is not vacuous', function () {
    assert.deepEqual(compared(''), [1, 1, 0, -1, -1])
  })
})
