import assert from 'node:assert/strict'
import { coalesced } from '../../src/coalesce.js'

const pause = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }

describe('coalesced', function () {
  it('runs the work once for a burst of triggers, after the delay', async () => {
    let runs = 0
    const trigger = coalesced(() => { runs += 1 }, 20)
    for (let i = 0; i < 1000; i++) trigger()
    assert.equal(runs, 0, 'not run inside the burst')
    await pause(200)
    assert.equal(runs, 1)
  })

  it('a trigger after the run schedules the work again', async () => {
    let runs = 0
    const trigger = coalesced(() => { runs += 1 }, 5)
    trigger()
    await pause(200)
    trigger()
    trigger()
    await pause(200)
    assert.equal(runs, 2)
  })

  it('a trigger from inside the work schedules another run (nothing is lost)', async () => {
    let runs = 0
    const trigger: () => void = coalesced(() => { runs += 1; if (runs === 1) trigger() }, 5)
    trigger()
    await pause(300)
    assert.equal(runs, 2)
  })
})
