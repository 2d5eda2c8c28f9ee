import assert from 'node:assert/strict'
import { reaskSilent } from '../../src/requester/reask.js'

const pause = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }

describe('reaskSilent (the request sent again to expected nodes that said nothing)', function () {
  it('asks only the silent nodes, first after firstMs, then every everyMs, never after the timeout', async () => {
    const silent = new Set(['a', 'b'])
    const asked: string[] = []
    const stop = reaskSilent({ silent: () => silent, send: async peer => { asked.push(peer) }, lastHeardAt: () => 0, timeoutMs: 1500, firstMs: 100, everyMs: 400 })
    await pause(50)
    assert.deepEqual(asked, [], 'nothing before firstMs')
    await pause(200)
    assert.deepEqual(asked, ['a', 'b'])
    silent.delete('a')
    await pause(450)
    assert.deepEqual(asked, ['a', 'b', 'b'], 'a node that answered is not asked again')
    await pause(1100)
    // rounds at 100, 500, 900 and 1300 ms; the next (1700 ms) would start after the timeout
    assert.deepEqual(asked, ['a', 'b', 'b', 'b', 'b'])
    stop()
  })

  it('stopped (every node answered, or the send ended), it asks no one', async () => {
    const asked: string[] = []
    const stop = reaskSilent({ silent: () => ['a'], send: async peer => { asked.push(peer) }, lastHeardAt: () => 0, timeoutMs: 1000, firstMs: 50, everyMs: 50 })
    stop()
    await pause(300)
    assert.deepEqual(asked, [])
  })

  it('a node whose last attempt is still under way is not asked twice at once', async () => {
    let started = 0
    let release!: () => void
    const held = new Promise<void>(resolve => { release = resolve })
    const stop = reaskSilent({ silent: () => ['slow'], send: async () => { started += 1; await held }, lastHeardAt: () => 0, timeoutMs: 2000, firstMs: 20, everyMs: 40 })
    await pause(300)
    assert.equal(started, 1, 'one attempt while it hangs')
    release()
    await pause(100)
    assert.ok(started >= 2, 'asked again once the attempt was over')
    stop()
  })

  it('a node whose first copy is still on its way is not sent a second until that one is out', async () => {
    const asked: string[] = []
    const underway = new Set(['opening'])
    const stop = reaskSilent({ silent: () => ['opening', 'quiet'], underway: peer => underway.has(peer), send: async peer => { asked.push(peer) }, lastHeardAt: () => 0, timeoutMs: 2000, firstMs: 20, everyMs: 60 })
    await pause(100)
    assert.ok(asked.includes('quiet'), 'the others are asked')
    assert.ok(!asked.includes('opening'), 'not while its first copy is under way')
    underway.delete('opening')
    await pause(100)
    assert.ok(asked.includes('opening'), 'asked once its first copy is out')
    stop()
  })

  it('while answers still come in, no one is asked; once they stop for quietMs, the silent are', async () => {
    const asked: string[] = []
    let heard = Date.now()
    const hearing = setInterval(() => { heard = Date.now() }, 20)
    const stop = reaskSilent({ silent: () => ['late'], send: async peer => { asked.push(peer) }, lastHeardAt: () => heard, timeoutMs: 5000, firstMs: 50, everyMs: 1000, quietMs: 200 })
    await pause(400)
    assert.deepEqual(asked, [], 'answers were still coming in')
    clearInterval(hearing)
    await pause(450)
    assert.deepEqual(asked, ['late'], 'asked once all had been quiet for quietMs')
    stop()
  })
})
