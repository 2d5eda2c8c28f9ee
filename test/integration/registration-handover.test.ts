// A daemon hands its registration to each configured bootstrap on every connection
// (membership.ts handOver), not only to the first peers it syncs from: requesters' catch-ups ask
// a bootstrap for the nodes they lack, so a node the bootstrap misses stays unlisted until its
// next registration or beat, minutes apart on a large fleet. What the daemon did is seen by the
// bootstrap it was handed to: a test peer that plays a second bootstrap and records every
// directory query (a stand-in: a real bootstrap syncs the whole directory from its first peers
// on its own, which would hide whether the daemon handed anything).
import assert from 'node:assert/strict'
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'
import { LocalCluster } from '../../src/demo/local-cluster.js'
import type { MeshNode } from '../../src/transport/mesh-node.js'
import { DIRECTORY_PROTOCOL } from '../../src/transport/topics.js'
import { readFirstFrame } from '../../src/transport/framing.js'
import { parseJsonBytes } from '../../src/wire/canonical.js'
import { MAX_DIRECTORY_QUERY_BYTES } from '../../src/wire/limits.js'
import { testPeer } from '../helpers/peers.js'
import { eventually } from '../helpers/eventually.js'

interface Query { peers?: string[], self?: { identity: string, kind: string } }

describe('a daemon hands its registration to every bootstrap it connects to', function () {
  this.timeout(120_000)
  let cluster: LocalCluster
  let standIn: MeshNode | undefined

  /** The stand-in bootstrap: enrolled like a bootstrap, answering every directory query with nothing. */
  async function startStandIn (privateKey: PrivateKey, listen: string, queries: Query[]): Promise<MeshNode> {
    const node = await testPeer(cluster, { enrollAs: 'bootstrap2', role: 'bootstrap', privateKey, listen })
    await node.handle(DIRECTORY_PROTOCOL, ({ stream }) => {
      readFirstFrame(stream, MAX_DIRECTORY_QUERY_BYTES)
        .then(async bytes => { queries.push(parseJsonBytes(bytes) as Query); await stream.close() })
        .catch(err => { stream.abort(err as Error) })
    })
    return node
  }

  before(async () => {
    cluster = await LocalCluster.start({ nodes: [] })
  })

  after(async () => {
    await standIn?.stop()
    await cluster?.stop()
  })

  it('again after the bootstrap restarts, asking it for no entries', async () => {
    const privateKey = await generateKeyPair('Ed25519')
    const first: Query[] = []
    standIn = await startStandIn(privateKey, '/ip4/127.0.0.1/tcp/0', first)
    const addr = standIn.getMultiaddrs()[0]
    assert.ok(addr !== undefined)
    await cluster.startNode({ identity: 'web1', facts: {}, classes: [], config: { bootstrap: [cluster.bootstrapAddr, addr.toString()] } })
    const handed = (queries: Query[]): Query[] => queries.filter(query => query.self?.identity === 'web1' && query.self.kind === 'announce')
    await eventually(() => handed(first).length > 0, 'web1 to hand its registration to the stand-in bootstrap')

    // The bootstrap restarts (same peer id and address) with nothing: the daemon's dialer
    // reconnects, and the daemon hands its registration over again, without being asked.
    await standIn.stop()
    const second: Query[] = []
    standIn = await startStandIn(privateKey, addr.toString().replace(/\/p2p\/.*$/, ''), second)
    await eventually(() => handed(second).length > 0, 'web1 to hand its registration to the restarted bootstrap')
    assert.deepEqual(handed(second)[0]?.peers, [], 'a hand-over asks for no entries')
    assert.equal(handed(second).length, 1, 'handed over once per connection')
  })
})
