// The mesh keeper's top-ups, against a stand-in for the libp2p node (named so: a mock of the
// node's dial and connection list, nothing else): dials that take longer than the top-up delay
// are what a loaded host sees when a fleet starts together.
import assert from 'node:assert/strict'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { PeerId } from '@libp2p/interface'
import { MeshKeeper } from '../../src/daemon/mesh-keeper.js'
import type { MeshMember } from '../../src/mesh/member.js'
import type { Logger } from '../../src/log.js'

const DIAL_MS = 400

async function peerIds (count: number): Promise<PeerId[]> {
  return await Promise.all(Array.from({ length: count }, async () => peerIdFromPrivateKey(await generateKeyPair('Ed25519'))))
}

/** A mock node: dials succeed after DIAL_MS (or fail then, if unreachable); the directory lists the first `listed` peers. */
function mockMember (self: PeerId, peers: PeerId[], listedAtFirst = peers.length, unreachable = false): { member: MeshMember, dials: string[], changed: () => void, list: (count: number) => void, disconnect: () => void } {
  let listed = listedAtFirst
  const disconnectListeners = new Set<() => void>()
  const connected = new Set<string>()
  const dials: string[] = []
  const listeners = new Set<() => void>()
  const connectionTo = (peer: string): unknown => ({ status: 'open', remotePeer: peer, remoteAddr: { toString: () => '/ip4/127.0.0.1/tcp/1' }, limits: undefined, timeline: { open: 0 } })
  const node = {
    status: 'started',
    peerId: self,
    getPeers: () => peers.filter(peer => connected.has(peer.toString())),
    getConnections: (peer?: PeerId) => peer !== undefined && connected.has(peer.toString()) ? [connectionTo(peer.toString())] : [],
    dial: async (addrs: Array<{ getPeerId: () => string | null }>) => {
      const peer = addrs[0]?.getPeerId() ?? ''
      dials.push(peer)
      await new Promise(resolve => setTimeout(resolve, DIAL_MS))
      if (unreachable) throw new Error('The operation was aborted due to timeout')
      connected.add(peer)
      return connectionTo(peer)
    },
    addEventListener: (type: string, listener: () => void) => { if (type === 'peer:disconnect') disconnectListeners.add(listener) },
    removeEventListener: (_type: string, listener: () => void) => { disconnectListeners.delete(listener) }
  }
  const directory = {
    nodes: () => peers.slice(0, listed).map((peer, i) => ({ peer: peer.toString(), identity: `n${i}`, addrs: ['/ip4/127.0.0.1/tcp/1'] })),
    byPeerId: (id: string) => directory.nodes().find(reg => reg.peer === id),
    onChange: (listener: () => void) => { listeners.add(listener); return () => listeners.delete(listener) }
  }
  const member = { node, directory, dialPolicy: { relayedOnly: () => false }, penalties: { score: () => 0 } } as unknown as MeshMember
  return {
    member,
    dials,
    changed: () => { for (const listener of listeners) listener() },
    list: count => { listed = count },
    disconnect: () => { for (const listener of disconnectListeners) listener() }
  }
}

const quiet = { debug: () => {} } as unknown as Logger
/** the first top-up 1 s after start, as it was before the spread (FIRST_TOP_UP_WINDOW_MS) */
const AT_ONCE = { from: 1000, to: 1000 }

describe('mesh keeper', function () {
  this.timeout(20_000)

  it('dials six daemons, not more, while the directory keeps changing and dials are slow', async () => {
    const [self, ...peers] = await peerIds(21)
    assert.ok(self !== undefined)
    const { member, dials, changed } = mockMember(self, peers)
    const keeper = new MeshKeeper(member, quiet, AT_ONCE)
    keeper.start()
    // A fleet joining: a directory change every 100 ms for 5 s, each asking for a top-up.
    const changes = setInterval(changed, 100)
    await new Promise(resolve => setTimeout(resolve, 5000))
    clearInterval(changes)
    await new Promise(resolve => setTimeout(resolve, 2000 + 6 * DIAL_MS))
    keeper.stop()
    assert.equal(new Set(dials).size, dials.length, 'no peer dialled twice')
    assert.equal(dials.length, 6)
  })

  it('stopped, it starts no top-up, not even one asked for while the last was dialling', async () => {
    const [self, ...peers] = await peerIds(10)
    assert.ok(self !== undefined)
    const { member, dials, changed, list } = mockMember(self, peers, 5)
    const keeper = new MeshKeeper(member, quiet, AT_ONCE)
    keeper.start()
    // The first top-up (after 1 s) dials the five daemons listed, one after the other (2 s).
    await new Promise(resolve => setTimeout(resolve, 1000 + DIAL_MS / 2))
    assert.equal(dials.length, 1, 'the first top-up is dialling')
    // More daemons are listed and a top-up is asked for while it dials; then the keeper stops.
    list(10)
    changed()
    await new Promise(resolve => setTimeout(resolve, 1100))
    keeper.stop()
    await new Promise(resolve => setTimeout(resolve, 8 * DIAL_MS + 1000))
    assert.equal(dials.length, 5, 'no top-up after the stop')
  })

  it('a starting daemon dials no mesh peer until its first top-up, however the directory changes; a lost connection ends the wait', async () => {
    const [self, ...peers] = await peerIds(10)
    assert.ok(self !== undefined)
    const { member, dials, changed, disconnect } = mockMember(self, peers)
    const keeper = new MeshKeeper(member, quiet, { from: 60_000, to: 60_000 })
    keeper.start()
    const changes = setInterval(changed, 100)
    await new Promise(resolve => setTimeout(resolve, 3000))
    assert.equal(dials.length, 0, 'no dial while the fleet joins')
    // The bootstrap went away: mesh peers are needed now, not in a minute.
    disconnect()
    await new Promise(resolve => setTimeout(resolve, 1000 + 6 * DIAL_MS + 500))
    clearInterval(changes)
    keeper.stop()
    assert.equal(dials.length, 6)
  })

  it('after a top-up whose dials failed, the next waits its pause, however the directory changes', async () => {
    const [self, ...peers] = await peerIds(40)
    assert.ok(self !== undefined)
    const { member, dials, changed } = mockMember(self, peers, peers.length, true)
    // The first top-up at 1 s: six failed dials, 400 ms each (until 3.4 s), then a 2 s pause.
    const keeper = new MeshKeeper(member, quiet, AT_ONCE, { firstMs: 2000, maxMs: 4000 })
    keeper.start()
    const changes = setInterval(changed, 100)
    await new Promise(resolve => setTimeout(resolve, 5000))
    assert.equal(dials.length, 6, 'dialled again during the pause')
    // After the pause the keeper tries again: the mesh is still wanted.
    await new Promise(resolve => setTimeout(resolve, 1500))
    clearInterval(changes)
    keeper.stop()
    assert.ok(dials.length > 6, 'no top-up after the pause')
  })
})
