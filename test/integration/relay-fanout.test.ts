// One requester reaches more nodes through one relay than libp2p's default stream cap allows:
// every relayed connection is one HOP stream on the requester's connection to the bootstrap, and
// libp2p allows 64 outbound streams of a protocol per connection unless told otherwise (the 65th
// relayed node of a PE fleet was unreachable). In-process peers: a relay server, 70 peers that only
// dial out and hold a reservation, a requester that opens a relayed connection to each. All from
// one address, as a fleet behind one NAT is (the relay once refused every peer after the 16th).
import assert from 'node:assert/strict'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { multiaddr } from '@multiformats/multiaddr'
import { createMeshNode, type MeshNode, type MeshNodeOptions } from '../../src/transport/mesh-node.js'
import { admissionFor } from '../../src/mesh/member.js'
import { silentLogger } from '../../src/log.js'

const PEERS = 70

/** A peer of a lab-mode mesh (no CA: every peer of the collective is admitted). */
async function peer (options: Omit<MeshNodeOptions, 'privateKey' | 'admission'>): Promise<MeshNode> {
  const privateKey = await generateKeyPair('Ed25519')
  return await createMeshNode({ ...options, privateKey, admission: admissionFor({ role: options.role, collective: 'main', credentials: {}, privateKey, log: silentLogger() }) })
}

describe('relay fan-out: one requester, more relayed nodes than libp2p\'s default stream cap', function () {
  this.timeout(180_000)
  const nodes: MeshNode[] = []

  after(async () => {
    await Promise.all(nodes.map(async node => { try { await node.stop() } catch { /* stopped */ } }))
  })

  it(`opens a relayed connection to each of ${PEERS} peers through one relay`, async () => {
    const relay = await peer({ role: 'bootstrap', listen: ['/ip4/127.0.0.1/tcp/0'], relayServer: true })
    await relay.start()
    nodes.push(relay)
    const relayAddr = relay.getMultiaddrs()[0]
    assert.ok(relayAddr !== undefined)
    const peers: MeshNode[] = []
    for (let i = 0; i < PEERS; i += 10) {
      peers.push(...await Promise.all(Array.from({ length: Math.min(10, PEERS - i) }, async () => {
        const node = await peer({ role: 'daemon', listen: [], relayReservations: 1 })
        await node.start()
        nodes.push(node)
        await node.dial(relayAddr)
        return node
      })))
    }
    const deadline = Date.now() + 60_000
    while (!peers.every(node => node.getMultiaddrs().some(addr => addr.toString().includes('/p2p-circuit')))) {
      assert.ok(Date.now() < deadline, 'every peer to hold a reservation')
      await new Promise(resolve => setTimeout(resolve, 200))
    }
    const requester = await peer({ role: 'requester', listen: [], relayReservations: 1 })
    await requester.start()
    nodes.push(requester)
    await requester.dial(relayAddr)
    const failures: string[] = []
    for (const node of peers) {
      try {
        const connection = await requester.dial(multiaddr(`${relayAddr.toString()}/p2p-circuit/p2p/${node.peerId.toString()}`))
        assert.notEqual(connection.limits, undefined)
      } catch (err) {
        failures.push((err as Error).message)
      }
    }
    assert.deepEqual(failures.slice(0, 2), [], `${failures.length} of ${PEERS} relayed dials failed`)
    assert.equal(requester.getConnections().filter(connection => connection.limits !== undefined).length, PEERS)
  })
})
