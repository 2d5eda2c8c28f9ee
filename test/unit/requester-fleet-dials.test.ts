// The requester's connections ahead of need (RequesterPeer.connectToFleet), against a stand-in
// for the mesh member (named so: a mock of the node's dial and connection list, the directory's
// node list, admission and penalties; nothing else): a node that cannot be reached waits its
// backoff instead of being dialled on every directory change, and is tried again unasked.
import assert from 'node:assert/strict'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { Connection, PeerId } from '@libp2p/interface'
import { RequesterPeer } from '../../src/requester/requester-peer.js'
import type { MeshMember } from '../../src/mesh/member.js'
import { silentLogger } from '../../src/log.js'

/** held: each dial waits until the test releases it (hosts too busy to answer yet) */
function mockMember (peers: PeerId[], reachable: Set<string>, held?: Map<string, () => void>): { member: MeshMember, dials: string[] } {
  const connections: Connection[] = []
  const dials: string[] = []
  const node = {
    status: 'started',
    peerId: peers[0],
    getConnections: (peer?: PeerId) => connections.filter(connection => peer === undefined || connection.remotePeer.equals(peer)),
    addEventListener: () => {},
    dial: async (addrs: Array<{ getPeerId: () => string | null }>) => {
      const peer = addrs[0]?.getPeerId() ?? ''
      dials.push(peer)
      if (held !== undefined) await new Promise<void>(resolve => held.set(peer, resolve))
      if (!reachable.has(peer)) throw new Error('connection refused')
      const remotePeer = peers.find(candidate => candidate.toString() === peer)
      const connection = { id: `c${dials.length}`, remotePeer, status: 'open', remoteAddr: { toString: () => '/ip4/127.0.0.1/tcp/1' }, limits: undefined, timeline: { open: Date.now() } } as unknown as Connection
      connections.push(connection)
      return connection
    }
  }
  const registrations = peers.slice(1).map((peer, i) => ({ peer: peer.toString(), identity: `node0${i + 1}`, addrs: [`/ip4/127.0.0.1/tcp/${4001 + i}`] }))
  const directory = { nodes: () => registrations, byPeerId: (id: string) => registrations.find(reg => reg.peer === id) }
  const member = { node, directory, penalties: { score: () => 0 }, admission: { admittedOn: async () => true } } as unknown as MeshMember
  return { member, dials }
}

describe('requester: connections ahead of need', function () {
  this.timeout(10_000)

  it('a node that could not be reached is not dialled again on the next pass, but once its backoff is up, unasked', async () => {
    const peers = await Promise.all(Array.from({ length: 3 }, async () => peerIdFromPrivateKey(await generateKeyPair('Ed25519'))))
    const [, up, down] = peers.map(peer => peer.toString())
    const reachable = new Set([up ?? ''])
    const { member, dials } = mockMember(peers, reachable)
    const requester = new RequesterPeer(member, silentLogger(), 'main', { firstMs: 300, maxMs: 1000 })
    try {
      await requester.connectToFleet()
      assert.deepEqual(dials, [up, down])
      // A directory change right after: the node just reached is connected, the other waits.
      await requester.connectToFleet()
      assert.deepEqual(dials, [up, down], 'the unreachable node was dialled again at once')
      // It comes up; no directory change, no request: the retry after its backoff reaches it.
      reachable.add(down ?? '')
      await new Promise(resolve => setTimeout(resolve, 600))
      assert.deepEqual(dials, [up, down, down], 'the node was not tried again when its backoff was up')
      assert.equal(member.node.getConnections().length, 2)
    } finally {
      await requester.stop().catch(() => {})
    }
  })

  it('however often the directory changes, at most one pool of dials runs, and a slow host holds up no other dial', async () => {
    const peers = await Promise.all(Array.from({ length: 101 }, async () => peerIdFromPrivateKey(await generateKeyPair('Ed25519'))))
    const reachable = new Set(peers.map(peer => peer.toString()))
    const held = new Map<string, () => void>()
    const { member, dials } = mockMember(peers, reachable, held)
    const requester = new RequesterPeer(member, silentLogger(), 'main')
    try {
      // A fleet joining: the directory changes again and again while the first dials wait.
      const passes = Array.from({ length: 5 }, async () => { await requester.connectToFleet() })
      await new Promise(resolve => setImmediate(resolve))
      assert.equal(dials.length, 32, 'dials at once')
      // The first node's host never answers here; every other dial is answered as soon as it is
      // made: all of them are made meanwhile, none twice.
      const slow = dials[0] ?? ''
      for (let rounds = 0; dials.length < 100 && rounds < 1000; rounds++) {
        for (const [peer, release] of held) if (peer !== slow) { held.delete(peer); release() }
        await new Promise(resolve => setImmediate(resolve))
      }
      assert.equal(dials.length, 100, 'nodes left undialled behind one slow dial')
      assert.equal(new Set(dials).size, 100, 'a node was dialled twice')
      for (const release of held.values()) release()
      await Promise.all(passes)
      assert.equal(member.node.getConnections().length, 100)
    } finally {
      await requester.stop().catch(() => {})
    }
  })
})
