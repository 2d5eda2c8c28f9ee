// The bounded stores behind the security promises, at their edges: the replay cache (at most
// once per node, bounded memory without forgetting a live id) and the per-caller rate limit.
import assert from 'node:assert/strict'
import { ReplayCache } from '../../src/security/replay.js'
import { RateLimiter } from '../../src/security/rate-limit.js'
import { AuditLog } from '../../src/security/audit.js'
import { mkdtempSync, readFileSync, renameSync, rmSync, statSync, unlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

describe('replay cache', () => {
  it('fresh once, replay while live, fresh again once expired', () => {
    const cache = new ReplayCache()
    assert.equal(cache.remember('a', 1000, 0), 'fresh')
    assert.equal(cache.remember('a', 1000, 999), 'replay')
    assert.equal(cache.has('a', 999), true)
    // Live through its last millisecond: the gate still accepts a request at exactly its expiry.
    assert.equal(cache.remember('a', 1000, 1000), 'replay')
    assert.equal(cache.has('a', 1001), false)
    assert.equal(cache.remember('a', 9000, 6000), 'fresh')
  })

  it('full: refuses new ids rather than forgetting a live one; expired ids make room', () => {
    const cache = new ReplayCache({ maxEntries: 3, maxPerOwner: 3 })
    for (const id of ['a', 'b', 'c']) assert.equal(cache.remember(id, id === 'a' ? 100 : 10_000, 0), 'fresh')
    assert.equal(cache.remember('d', 10_000, 50), 'full')
    assert.equal(cache.remember('b', 10_000, 50), 'replay', 'a live id is never forgotten to make room')
    assert.equal(cache.size, 3)
    // 'a' expired at 100: the sweep on a full cache frees it.
    assert.equal(cache.remember('d', 10_000, 200), 'fresh')
    assert.equal(cache.remember('a', 10_000, 200), 'full')
    assert.equal(cache.size, 3)
  })

  it('sweeps expired ids as time passes (bounded memory), not on every call', () => {
    const cache = new ReplayCache()
    for (let i = 0; i < 100; i++) cache.remember(`id${i}`, 1000, 0)
    assert.equal(cache.size, 100)
    cache.remember('late', 20_000, 4_000)
    assert.equal(cache.size, 101, 'no sweep before 5 s')
    cache.remember('later', 20_000, 5_000)
    assert.equal(cache.size, 2)
  })
})

describe('rate limiter (caller_rate)', () => {
  it('a burst of twice the rate, then one per 1/rate seconds', () => {
    const limiter = new RateLimiter(2)
    const allowed = (now: number, n: number): number => Array.from({ length: n }, () => limiter.allow('k', now)).filter(Boolean).length
    assert.equal(allowed(0, 10), 4)
    assert.equal(allowed(499, 1), 0)
    assert.equal(allowed(500, 2), 1)
    assert.equal(allowed(10_000, 10), 4, 'refills to the burst, never beyond')
  })

  it('each caller has its own bucket, and memory is bounded (the oldest caller is forgotten)', () => {
    const limiter = new RateLimiter(1, 1, 2)
    assert.equal(limiter.allow('a', 0), true)
    assert.equal(limiter.allow('a', 0), false)
    assert.equal(limiter.allow('b', 0), true)
    assert.equal(limiter.allow('c', 0), true)
    // 'a' was the least recently seen of three: forgotten, it starts with a full bucket.
    assert.equal(limiter.allow('a', 0), true)
    assert.equal(limiter.allow('c', 0), false, 'c is still remembered')
  })
})

describe('audit log file', () => {
  it('keeps the file open, and a line after logrotate renamed it (or it was removed) goes to a new file (0600)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'troupe-audit-'))
    const path = join(dir, 'audit.log')
    const warnings: string[] = []
    const audit = new AuditLog(path, message => warnings.push(message))
    const entry = (id: string): Parameters<AuditLog['record']>[0] => ({ request_id: id, caller: 'c', caller_key: 'k', agent: 'rpcutil', action: 'ping', decision: 'accepted' })
    const ids = (file: string): string[] => readFileSync(file, 'utf8').trim().split('\n').map(line => (JSON.parse(line) as { request_id: string }).request_id)
    try {
      audit.record(entry('1'))
      audit.record(entry('2'))
      assert.equal(statSync(path).mode & 0o777, 0o600)
      renameSync(path, `${path}.1`)
      audit.record(entry('3'))
      assert.deepEqual(ids(`${path}.1`), ['1', '2'], 'the renamed file is never written again')
      assert.deepEqual(ids(path), ['3'])
      assert.equal(statSync(path).mode & 0o777, 0o600)
      unlinkSync(path)
      audit.record(entry('4'))
      assert.deepEqual(ids(path), ['4'])
      audit.close()
      audit.record(entry('5'))
      assert.deepEqual(ids(path), ['4', '5'])
      assert.deepEqual(warnings, [])
    } finally {
      audit.close()
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
