// catch-up.ts: when a requester asks the bootstrap again for the entries it lacks. The Directory
// is the real one; the catch-up itself only records when it ran (a requester's query, which
// here brings nothing); time is node:test's mock timers.
import assert from 'node:assert/strict'
import { mock } from 'node:test'
import { CatchUpSchedule } from '../../src/discovery/catch-up.js'
import { Directory } from '../../src/discovery/directory.js'
import type { Registration } from '../../src/wire/registration.js'

const T0 = 1_700_000_000_000
const STEP_MS = 250

function registration (peer: string): Registration {
  return { v: 1, kind: 'announce', identity: peer, peer, collective: 'main', sig: '', addrs: [], agents: ['rpcutil'], classes: [], facts: {}, version: '0', started: T0, interval: 30, seq: 1, rev: 1 }
}

describe('a requester\'s directory catch-ups', function () {
  let schedule: CatchUpSchedule | undefined
  beforeEach(function () { mock.timers.enable({ apis: ['setTimeout', 'setInterval', 'Date'], now: T0 }) })
  afterEach(function () {
    schedule?.stop()
    schedule = undefined
    mock.timers.reset()
  })

  it('come sooner while the directory grows, and a node learned of by gossip brings the next within 10 s, even after the schedule ran out', async function () {
    const directory = new Directory()
    const runs: number[] = []
    // Started as after a requester's first sync.
    schedule = new CatchUpSchedule(directory, async () => { runs.push(Date.now() - T0) })
    const until = async (ms: number): Promise<void> => {
      while (Date.now() - T0 < ms) {
        mock.timers.tick(STEP_MS)
        await new Promise(resolve => setImmediate(resolve))
      }
    }
    await until(12_000)
    assert.deepEqual(runs, [10_000], 'the first catch-up, 10 s after the first sync')
    // Gossip brings a node between two catch-ups, which themselves bring nothing.
    directory.apply(registration('gossiped'))
    await until(60_000)
    assert.deepEqual(runs, [10_000, 22_000, 32_000], 'brought forward to 10 s after the gossip, then again 10 s later (grown since the last)')
    await until(390_000)
    assert.deepEqual(runs, [10_000, 22_000, 32_000, 92_000, 302_000], 'then the schedule (90 s and 300 s after the first sync, counted from the last), and no more')
    directory.apply(registration('late'))
    await until(500_000)
    assert.deepEqual(runs.slice(5), [400_000, 410_000], 'a node learned of after the schedule ran out (at 390 s): a catch-up 10 s later, and one more (grown since the last), then none')
  })
})
