// The replay journal (src/security/replay.ts): request ids a node accepted survive its restart
// for as long as the requests could be replayed, and the file keeps only those: compacted on
// start and, on a node that runs for months, whenever it has grown well past the live ids.
import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ReplayCache } from '../../src/security/replay.js'

const id = (n: number): string => n.toString(16).padStart(32, '0')
const lines = (path: string): string[] => readFileSync(path, 'utf8').split('\n').filter(line => line !== '')

describe('replay journal', function () {
  let dir: string
  let journal: string

  beforeEach(function () {
    dir = mkdtempSync(join(tmpdir(), 'troupe-replay-'))
    journal = join(dir, 'replay.journal')
  })

  afterEach(function () {
    rmSync(dir, { recursive: true, force: true })
  })

  it('an id accepted before a restart is a replay after it, until its request expires', function () {
    const now = Date.now()
    const before = new ReplayCache({ journal })
    assert.equal(before.remember(id(1), now + 60_000, now), 'fresh')
    assert.equal(before.remember(id(2), now + 1_000, now), 'fresh')
    const after = new ReplayCache({ journal })
    assert.equal(after.remember(id(1), now + 60_000, now), 'replay')
    assert.equal(after.has(id(2), now + 2_000), false)
  })

  it('on start, the journal is rewritten with the live ids only', function () {
    const now = Date.now()
    const first = new ReplayCache({ journal })
    for (let n = 0; n < 10; n++) first.remember(id(n), n < 3 ? now + 60_000 : now - 1, now - 10)
    assert.equal(lines(journal).length, 10)
    const second = new ReplayCache({ journal })
    assert.equal(second.size, 3)
    assert.deepEqual(lines(journal).map(line => line.split(' ')[1]).sort(), [id(0), id(1), id(2)])
  })

  it('while running, the journal is compacted once it holds the limit and twice the live ids of its last rewrite', function () {
    const now = Date.now()
    const cache = new ReplayCache({ journal, compactAfterLines: 20 })
    // 15 requests that expire at once, then live ones: the 20th line compacts the file.
    for (let n = 0; n < 15; n++) cache.remember(id(n), now + 10, now)
    assert.equal(lines(journal).length, 15)
    for (let n = 15; n < 20; n++) cache.remember(id(n), now + 60_000, now + 20)
    assert.deepEqual(lines(journal).map(line => line.split(' ')[1]), [15, 16, 17, 18, 19].map(id))
    // Appending goes on after the rewrite, and a restart still knows every live id.
    cache.remember(id(20), now + 60_000, now + 20)
    assert.equal(lines(journal).length, 6)
    const restarted = new ReplayCache({ journal })
    for (let n = 15; n <= 20; n++) assert.equal(restarted.remember(id(n), now + 60_000, now + 20), 'replay')
  })

  it('each rewrite waits for twice the lines the last one kept: a journal of live ids is not rewritten on every request', function () {
    const now = Date.now()
    const cache = new ReplayCache({ journal, compactAfterLines: 4 })
    let rewrites = 0
    let inode = -1
    for (let n = 0; n < 40; n++) {
      cache.remember(id(n), now + 60_000, now)
      const current = statSync(journal).ino
      if (inode !== -1 && current !== inode) rewrites += 1
      inode = current
    }
    // Rewritten (a new file) at 4, 8, 16 and 32 lines, never in between.
    assert.equal(rewrites, 4)
    assert.equal(lines(journal).length, 40)
  })

  it('a journal it cannot write (a directory in its place) is reported once; ids are still refused as replays in memory', function () {
    const blocked = join(dir, 'blocked')
    mkdirSync(join(blocked, 'inside'), { recursive: true })
    const errors: string[] = []
    const cache = new ReplayCache({ journal: blocked, onJournalError: message => errors.push(message) })
    const now = Date.now()
    assert.equal(cache.remember(id(1), now + 60_000, now), 'fresh')
    assert.equal(cache.remember(id(2), now + 60_000, now), 'fresh')
    assert.equal(cache.remember(id(1), now + 60_000, now), 'replay')
    assert.equal(errors.length, 1)
    assert.match(errors[0] ?? '', /^cannot write the replay journal .*blocked: E[A-Z]+; requests replayed after a restart within their TTL would be accepted again$/)
  })
})
