// A requester's fan-out shares one time limit among the dials and streams to every node: with
// more than ten nodes that is more than ten listeners on one signal, which Node would report as a
// leak (on the operator's terminal, with `requester_idle: 0`).
import assert from 'node:assert/strict'
import { fanOutSignal } from '../../src/requester/requester-peer.js'

describe('fan-out time limit', () => {
  it('takes a listener per node, 500 nodes, without a listener-leak warning; it still fires', async () => {
    const warnings: string[] = []
    const onWarning = (warning: Error): void => { warnings.push(warning.name) }
    process.on('warning', onWarning)
    try {
      const signal = fanOutSignal(20)
      let fired = 0
      for (let node = 0; node < 500; node++) signal.addEventListener('abort', () => { fired++ })
      await new Promise(resolve => setTimeout(resolve, 60))
      assert.equal(fired, 500)
      assert.deepEqual(warnings.filter(name => name === 'MaxListenersExceededWarning'), [])
    } finally {
      process.off('warning', onWarning)
    }
  })
})
