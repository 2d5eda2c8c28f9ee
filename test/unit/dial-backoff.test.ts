// dial-backoff.ts: a peer a background dial did not reach waits 5 s, then twice as long after
// each further failure, up to 5 min; reaching it forgets the wait.
import assert from 'node:assert/strict'
import { DialBackoff } from '../../src/transport/dial-backoff.js'

describe('dial backoff', () => {
  it('a peer that failed waits, twice as long after each failure, up to the longest wait', () => {
    const backoff = new DialBackoff({ firstMs: 5_000, maxMs: 20_000 })
    assert.equal(backoff.ready('p', 0), true)
    backoff.failed('p', 0)
    assert.equal(backoff.ready('p', 4_999), false)
    assert.equal(backoff.ready('p', 5_000), true)
    backoff.failed('p', 5_000)
    assert.equal(backoff.ready('p', 14_999), false)
    assert.equal(backoff.ready('p', 15_000), true)
    backoff.failed('p', 15_000)
    backoff.failed('p', 35_000)
    // 5, 10, 20, then 20 again: never longer than maxMs.
    assert.equal(backoff.ready('p', 54_999), false)
    assert.equal(backoff.ready('p', 55_000), true)
  })

  it('reaching the peer forgets its wait; other peers are not held up', () => {
    const backoff = new DialBackoff({ firstMs: 5_000, maxMs: 20_000 })
    backoff.failed('p', 0)
    assert.equal(backoff.ready('q', 0), true)
    backoff.succeeded('p')
    assert.equal(backoff.ready('p', 0), true)
    backoff.failed('p', 0)
    assert.equal(backoff.ready('p', 4_999), false, 'a new failure starts again from the first wait')
    assert.equal(backoff.ready('p', 5_000), true)
  })

  it('says when the first waiting peer of a set is due, and nothing when none waits', () => {
    const backoff = new DialBackoff({ firstMs: 5_000, maxMs: 20_000 })
    assert.equal(backoff.nextDueIn(['p', 'q'], 0), undefined)
    backoff.failed('p', 0)
    backoff.failed('q', 0)
    backoff.failed('q', 5_000)
    assert.equal(backoff.nextDueIn(['p', 'q'], 1_000), 4_000)
    assert.equal(backoff.nextDueIn(['q'], 1_000), 14_000)
    assert.equal(backoff.nextDueIn(['p', 'q'], 6_000), 9_000, 'p is due already: q is the one that waits')
  })
})
