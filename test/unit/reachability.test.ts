// reachability.ts's TCP probe (the bootstrap's check that a node is dialable at its own
// addresses), against a real listening socket on loopback.
import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:net'
import { tcpReachable } from '../../src/transport/reachability.js'

/** Holds the event loop as a busy process does: no timer or I/O callback runs meanwhile. */
function blockFor (ms: number): void {
  const until = Date.now() + ms
  while (Date.now() < until) { /* busy */ }
}

describe('reachability probe (tcpReachable)', () => {
  let server: Server
  let port: number
  before(async () => {
    server = createServer(socket => socket.destroy())
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
    port = (server.address() as { port: number }).port
  })
  after(async () => { await new Promise(resolve => server.close(resolve)) })

  it('reaches a listening port', async () => {
    assert.equal(await tcpReachable('127.0.0.1', port, 500), true)
  })

  it('says unreachable when nothing listens', async () => {
    const closed = createServer()
    await new Promise<void>(resolve => closed.listen(0, '127.0.0.1', resolve))
    const closedPort = (closed.address() as { port: number }).port
    await new Promise(resolve => closed.close(resolve))
    assert.equal(await tcpReachable('127.0.0.1', closedPort, 500), false)
  })

  it('counts a connect that finished while the event loop was held up, not the hold-up', async () => {
    // Started and blocked in one setImmediate callback: the next loop turn begins with the
    // expired time-out, before the connect's completion is read (a bootstrap busy with a joining
    // fleet). The block outlasts the time-out, not the connect (loopback answers at once).
    const probe = await new Promise<Promise<boolean>>(resolve => setImmediate(() => {
      const started = tcpReachable('127.0.0.1', port, 200)
      blockFor(400)
      resolve(started)
    }))
    assert.equal(await probe, true)
  })
})
