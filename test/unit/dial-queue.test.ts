// dial-queue.ts: the requester's standing pool of background dials. At most `lanes` dials run at
// once however often peers are added; a lane takes the next waiting peer as soon as its dial
// ends, not when the others of its batch end; a peer is dialled once however often it is added.
import assert from 'node:assert/strict'
import { DialQueue } from '../../src/transport/dial-queue.js'

/** Dials that wait until the test ends them, one by one. */
function heldDials (): { dial: (peer: string) => Promise<void>, started: string[], end: (peer: string) => void } {
  const started: string[] = []
  const pending = new Map<string, () => void>()
  return {
    started,
    dial: async peer => {
      started.push(peer)
      await new Promise<void>(resolve => pending.set(peer, resolve))
    },
    end: peer => { pending.get(peer)?.(); pending.delete(peer) }
  }
}

const tick = async (): Promise<void> => { await new Promise(resolve => setImmediate(resolve)) }

describe('dial queue', () => {
  it('runs at most its lanes at once, however often peers are added', async () => {
    const { dial, started, end } = heldDials()
    const queue = new DialQueue(3, dial)
    const peers = Array.from({ length: 10 }, (_, i) => `p${i}`)
    // A fleet joining: the same and more peers added again and again while the dials wait.
    for (let i = 1; i <= peers.length; i++) queue.add(peers.slice(0, i))
    await tick()
    assert.deepEqual(started, ['p0', 'p1', 'p2'])
    for (let i = 0; i < peers.length; i++) { end(`p${i}`); await tick() }
    await queue.settled()
    assert.deepEqual(started, peers, 'each peer dialled once, in the order it came')
  })

  it('a lane takes the next peer as soon as its dial ends, while a slow dial goes on', async () => {
    const { dial, started, end } = heldDials()
    const queue = new DialQueue(2, dial)
    queue.add(['slow', 'a', 'b', 'c'])
    await tick()
    // 'slow' never answers here: the other lane goes through the rest without waiting for it.
    for (const peer of ['a', 'b', 'c']) { end(peer); await tick() }
    assert.deepEqual(started, ['slow', 'a', 'b', 'c'])
    let settled = false
    void queue.settled().then(() => { settled = true })
    await tick()
    assert.equal(settled, false, 'settled while a dial was under way')
    end('slow')
    await tick()
    assert.equal(settled, true)
  })

  it('a dial that throws does not stop its lane', async () => {
    const started: string[] = []
    const queue = new DialQueue(1, async peer => { started.push(peer); throw new Error('refused') })
    queue.add(['a', 'b'])
    await queue.settled()
    assert.deepEqual(started, ['a', 'b'])
  })
})
