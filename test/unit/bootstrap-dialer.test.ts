// The bootstrap dialer against a stand-in for the libp2p node (named so: a mock of dial and the
// connection list, nothing else), whose dials take longer than the first time-out, as dials to a
// master busy with a fleet joining at once do.
import assert from 'node:assert/strict'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { Connection, PeerId } from '@libp2p/interface'
import { BootstrapDialer } from '../../src/transport/bootstrap-dialer.js'

/** A mock node whose dials finish after dialMs unless their signal aborts first. */
function slowNode (bootstrap: PeerId, dialMs: number): { node: ConstructorParameters<typeof BootstrapDialer>[0], timeouts: number[], connected: () => boolean } {
  const connections: Connection[] = []
  const timeouts: number[] = []
  const node = {
    getConnections: () => connections,
    addEventListener: () => {},
    removeEventListener: () => {},
    dial: async (_addr: unknown, options?: { signal?: AbortSignal }) => {
      const started = Date.now()
      return await new Promise<Connection>((resolve, reject) => {
        const timer = setTimeout(() => {
          const connection = { remotePeer: bootstrap, status: 'open' } as unknown as Connection
          connections.push(connection)
          resolve(connection)
        }, dialMs)
        options?.signal?.addEventListener('abort', () => {
          timeouts.push(Date.now() - started)
          clearTimeout(timer)
          reject(new Error('The operation was aborted due to timeout'))
        })
      })
    }
  }
  return { node: node as unknown as ConstructorParameters<typeof BootstrapDialer>[0], timeouts, connected: () => connections.length > 0 }
}

describe('bootstrap dialer', function () {
  this.timeout(10_000)
  it('gives a slow bootstrap longer after each dial that timed out, until one gets through', async () => {
    const bootstrap = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
    // Dials take 300 ms; the first time-out is 100 ms, doubling to at most 400 ms.
    const { node, timeouts, connected } = slowNode(bootstrap, 300)
    const warnings: string[] = []
    const dialer = new BootstrapDialer(node, [`/ip4/127.0.0.1/tcp/61613/p2p/${bootstrap.toString()}`], msg => warnings.push(msg), { firstMs: 100, maxMs: 400 })
    dialer.start()
    try {
      const deadline = Date.now() + 5000
      while (!connected() && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 20))
      assert.ok(connected(), `never connected; dials timed out after ${timeouts.join(', ')} ms`)
      // 100 ms, then 200 ms: both too short; the third (400 ms) got through.
      assert.equal(timeouts.length, 2)
      assert.ok(timeouts[1]! > timeouts[0]!, `time-outs ${timeouts.join(', ')} ms`)
      assert.equal(warnings.length, 1, 'one warning while the bootstrap cannot be reached')
    } finally {
      dialer.stop()
    }
  })
})
