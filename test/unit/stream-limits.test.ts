// How many streams one connection carries (src/transport/mesh-node.ts streamLimits): a requester
// holds one HOP stream per relayed node on its single connection to the bootstrap, so a relay
// must take more than yamux's default 1000 from one peer, and any other peer must not.
// Two real mesh peers over loopback TCP (lab mode: no CA, every peer admitted).
import assert from 'node:assert/strict'
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { Stream } from '@libp2p/interface'
import { createMeshNode, type MeshNode } from '../../src/transport/mesh-node.js'
import { admissionFor } from '../../src/mesh/member.js'
import { silentLogger } from '../../src/log.js'
import type { MeshRole } from '../../src/security/admission-policy.js'
import { RELAY_LIMITS } from '../../src/transport/relay-limits.js'

const HELD = '/troupe-test/held/1.0.0'
const STREAMS = 1100

async function labPeer (role: MeshRole, relayServer: boolean): Promise<MeshNode> {
  const privateKey = await generateKeyPair('Ed25519')
  const node = await createMeshNode({
    role,
    privateKey,
    listen: ['/ip4/127.0.0.1/tcp/0'],
    relayServer,
    admission: admissionFor({ role, collective: 'main', credentials: {}, privateKey, log: silentLogger() })
  })
  await node.start()
  // Streams are held open, as a relayed connection holds its HOP stream.
  await node.handle(HELD, () => {}, { maxInboundStreams: 10 * STREAMS, maxOutboundStreams: 10 * STREAMS })
  return node
}

/** Opens `count` streams to `target` on one connection, until the first refusal; the caller aborts them. */
async function openStreams (from: MeshNode, target: MeshNode, count: number): Promise<{ streams: Stream[], error?: string }> {
  const connection = await from.dial(target.getMultiaddrs()[0] ?? assert.fail('no address'))
  const streams: Stream[] = []
  try {
    for (let i = 0; i < count; i++) streams.push(await connection.newStream(HELD))
    return { streams }
  } catch (err) {
    return { streams, error: (err as Error).message }
  }
}

describe('stream limits per connection', function () {
  this.timeout(120_000)
  const peers: MeshNode[] = []
  after(async () => { await Promise.all(peers.map(async peer => { await peer.stop() })) })

  it(`a relay takes ${STREAMS} streams from one requester (more relayed nodes than yamux's default 1000)`, async () => {
    const relay = await labPeer('bootstrap', true)
    const requester = await labPeer('requester', false)
    peers.push(relay, requester)
    const { streams, error } = await openStreams(requester, relay, STREAMS)
    // Still open a moment later: the relay did not reset any.
    await new Promise(resolve => setTimeout(resolve, 500))
    const open = streams.filter(stream => stream.status === 'open').length
    for (const stream of streams) stream.abort(new Error('done'))
    assert.equal(error, undefined, `after ${streams.length} streams`)
    assert.equal(open, STREAMS)
  })

  it('any other peer still refuses a peer\'s 1001st stream at once (a bound on what a connected peer costs it)', async () => {
    const daemon = await labPeer('daemon', false)
    const requester = await labPeer('requester', false)
    peers.push(daemon, requester)
    const { streams } = await openStreams(requester, daemon, STREAMS)
    // The opener learns of a refused stream when the remote resets it.
    await new Promise(resolve => setTimeout(resolve, 500))
    const open = streams.filter(stream => stream.status === 'open').length
    for (const stream of streams) stream.abort(new Error('done'))
    assert.ok(open <= 1000 && open >= 990, `the daemon held ${open} of the ${streams.length} streams one peer opened`)
  })

  it('a bootstrap and a requester take a connection from every node of a fleet as large as the relay serves; a daemon keeps 2000', async () => {
    const relay = await labPeer('bootstrap', true)
    const requester = await labPeer('requester', false)
    const daemon = await labPeer('daemon', false)
    peers.push(relay, requester, daemon)
    const limit = (node: MeshNode): number => (node as unknown as { components: { connectionManager: { getMaxConnections: () => number } } }).components.connectionManager.getMaxConnections()
    assert.ok(limit(relay) > RELAY_LIMITS.reservations.maxReservations, `bootstrap: ${limit(relay)}`)
    assert.ok(limit(requester) > RELAY_LIMITS.reservations.maxReservations, `requester: ${limit(requester)}`)
    assert.equal(limit(daemon), 2000)
  })
})

