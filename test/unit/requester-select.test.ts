// Which expected nodes the requester delivers a request to itself (RequesterPeer.select marks them
// `deliverable`; one that is not makes the request `relay: true`, and every node of the fleet
// forwards it), against a stand-in for the mesh member (named so: a mock of the node's
// connections and dial, gossipsub's subscriber list and the directory; nothing else).
import assert from 'node:assert/strict'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { Connection, PeerId } from '@libp2p/interface'
import { RequesterPeer } from '../../src/requester/requester-peer.js'
import type { MeshMember } from '../../src/mesh/member.js'
import { emptyFilter } from '../../src/discovery/filter/types.js'
import { silentLogger } from '../../src/log.js'

interface StandIn {
  /** advertised addresses, by node name */
  addrs: Record<string, string[]>
  subscribed?: string[]
  connected?: string[]
  /** the stand-in's dial (default: refused at once) */
  dial?: () => Promise<Connection>
  /** nodes the directory holds once the test moves them into addrs */
  joinLater?: Record<string, string[]>
}

async function standIn (setup: StandIn): Promise<{ requester: RequesterPeer, peerOf: (name: string) => string }> {
  const names = [...Object.keys(setup.addrs), ...Object.keys(setup.joinLater ?? {})]
  const peers = new Map<string, PeerId>()
  for (const name of ['self', ...names]) peers.set(name, peerIdFromPrivateKey(await generateKeyPair('Ed25519')))
  const peerOf = (name: string): string => peers.get(name)?.toString() ?? ''
  const connections = (setup.connected ?? []).map(name => ({ id: name, remotePeer: peers.get(name), status: 'open', remoteAddr: { toString: () => '/ip4/127.0.0.1/tcp/1' }, limits: undefined, timeline: { open: 0 } }) as unknown as Connection)
  // Nodes in joinLater are in the directory once the test moves them into addrs.
  const registrations = (): Array<{ identity: string, peer: string, addrs: string[] }> => Object.entries(setup.addrs).map(([name, addrs]) => ({ identity: name, peer: peerOf(name), addrs }))
  const node = {
    status: 'started',
    peerId: peers.get('self'),
    getConnections: () => connections,
    addEventListener: () => {},
    dial: setup.dial ?? (async () => { throw new Error('connection refused') }),
    services: { pubsub: { getSubscribers: () => (setup.subscribed ?? []).map(name => peers.get(name)) } }
  }
  const directory = {
    nodes: () => registrations(),
    byPeerId: (id: string) => registrations().find(reg => reg.peer === id),
    select: () => registrations().map(reg => ({ identity: reg.identity, peer: reg.peer }))
  }
  const member = { node, directory, penalties: { score: () => 0 }, admission: { admittedOn: async () => false } } as unknown as MeshMember
  return { requester: new RequesterPeer(member, silentLogger(), 'main'), peerOf }
}

function deliverable (requester: RequesterPeer): Record<string, boolean | undefined> {
  return Object.fromEntries(requester.select(emptyFilter(), 'rpcutil').map(ref => [ref.identity, ref.deliverable]))
}

const RELAYED = '/ip4/127.0.0.1/tcp/61613/p2p/12D3KooWMtX8gL9NyZVhmxeRvf9XHdxbvTUUyXrUMQ7MNfdSMB6D/p2p-circuit'

describe('requester: which nodes it delivers to itself (the mesh relays only for the others)', () => {
  it('a subscriber, a node it holds a connection to, and one advertising an address it has not dialled: all its own', async () => {
    const { requester } = await standIn({
      addrs: { sub: ['/ip4/127.0.0.1/tcp/4001'], conn: [], fresh: ['/ip4/127.0.0.1/tcp/4003'] },
      subscribed: ['sub'],
      connected: ['conn']
    })
    assert.deepEqual(deliverable(requester), { sub: true, conn: true, fresh: true })
  })

  it('a node that advertises no address, and is neither connected nor subscribed, needs the mesh', async () => {
    const { requester } = await standIn({ addrs: { hidden: [], other: ['/ip4/127.0.0.1/tcp/4002'] } })
    assert.deepEqual(deliverable(requester), { hidden: false, other: true })
  })

  it('a node whose direct addresses did not answer the last dial needs the mesh, unless it advertises a relayed address', async () => {
    const { requester } = await standIn({ addrs: { direct: ['/ip4/127.0.0.1/tcp/4001'], relayed: ['/ip4/127.0.0.1/tcp/4002', RELAYED] } })
    assert.deepEqual(deliverable(requester), { direct: true, relayed: true })
    // Dials ahead of need fail for both (the stand-in refuses every dial).
    await requester.connectToFleet()
    assert.deepEqual(deliverable(requester), { direct: false, relayed: true })
    await requester.stop().catch(() => {})
  })

  it('a node still being dialled in the first pass over the fleet needs the mesh; one dialled later does not', async () => {
    const hanging: Array<() => void> = []
    const setup: StandIn = {
      addrs: { slow: ['/ip4/127.0.0.1/tcp/4001'] },
      joinLater: { late: ['/ip4/127.0.0.1/tcp/4002'] },
      // Nodes too busy to answer a dial yet (a fleet starting on the same cores): refused when the test says.
      dial: async () => await new Promise<Connection>((_resolve, reject) => { hanging.push(() => reject(new Error('timed out'))) })
    }
    const { requester } = await standIn(setup)
    const firstPass = requester.connectToFleet()
    await new Promise(resolve => setImmediate(resolve))
    assert.deepEqual(deliverable(requester), { slow: false })
    hanging.shift()?.()
    await firstPass
    // Failed: still the mesh's, now through the failed dial's backoff.
    assert.deepEqual(deliverable(requester), { slow: false })
    // A node that joins once the first pass is over is its own while its dial is under way, as before.
    setup.addrs.late = setup.joinLater?.late ?? []
    const laterPass = requester.connectToFleet()
    await new Promise(resolve => setImmediate(resolve))
    assert.deepEqual(deliverable(requester), { slow: false, late: true })
    hanging.shift()?.()
    await laterPass
    await requester.stop().catch(() => {})
  })
})
