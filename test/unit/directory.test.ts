import assert from 'node:assert/strict'
import { Directory } from '../../src/discovery/directory.js'
import type { Registration } from '../../src/wire/registration.js'

function registration (identity: string, peer: string, over: Partial<Registration> = {}): Registration {
  return { v: 1, kind: 'announce', identity, peer, addrs: [], agents: ['rpcutil'], classes: [], facts: {}, version: '0', started: 1000, interval: 10, seq: 1, ...over }
}

describe('node directory', () => {
  it('keeps the newest registration per peer and ignores older ones', () => {
    const directory = new Directory()
    directory.apply(registration('a', 'p1', { seq: 2, facts: { role: 'web' } }))
    directory.apply(registration('a', 'p1', { seq: 1, facts: { role: 'db' } }))
    assert.deepEqual(directory.byPeerId('p1')?.facts, { role: 'web' })
  })

  it('expires a node after three missed intervals and removes it on leave', () => {
    const directory = new Directory()
    directory.apply(registration('a', 'p1'), 0)
    directory.apply(registration('b', 'p2'), 0)
    assert.deepEqual(directory.expire(29_000), [])
    assert.deepEqual(directory.expire(31_000), ['a', 'b'])
    directory.apply(registration('c', 'p3'), 0)
    directory.apply(registration('c', 'p3', { kind: 'leave', seq: 2 }), 0)
    assert.equal(directory.size, 0)
  })

  it('lists one node per identity: a restarted node (new peer id) replaces the old entry', () => {
    const directory = new Directory()
    directory.apply(registration('a', 'old', { started: 1000 }))
    directory.apply(registration('a', 'new', { started: 2000 }))
    assert.deepEqual(directory.nodes().map(node => node.peer), ['new'])
  })

  it('merges a snapshot, skipping entries already expired by their age', () => {
    const directory = new Directory()
    directory.merge([{ registration: registration('a', 'p1'), ageMs: 1000 }, { registration: registration('b', 'p2'), ageMs: 60_000 }], 100_000)
    assert.deepEqual(directory.nodes().map(node => node.identity), ['a'])
  })
})
