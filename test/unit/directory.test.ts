import assert from 'node:assert/strict'
import { Directory, GONE_FORGET_AFTER_MS } from '../../src/discovery/directory.js'
import { emptyFilter } from '../../src/discovery/filter/index.js'
import type { Beat, Registration } from '../../src/wire/registration.js'

function registration (identity: string, peer: string, over: Partial<Registration> = {}): Registration {
  const seq = over.seq ?? 1
  return { v: 1, kind: 'announce', identity, peer, collective: 'main', sig: '', addrs: [], agents: ['rpcutil'], classes: [], facts: {}, version: '0', started: 1000, interval: 10, seq, rev: seq, ...over }
}

function beat (identity: string, peer: string, over: Partial<Beat> = {}): Beat {
  return { v: 1, kind: 'beat', identity, peer, addrs: [], started: 1000, interval: 10, seq: 2, rev: 1, sig: '', ...over }
}

describe('node directory', () => {
  it('keeps the newest registration per peer and ignores older ones', () => {
    const directory = new Directory()
    directory.apply(registration('a', 'p1', { seq: 2, facts: { role: 'web' } }))
    directory.apply(registration('a', 'p1', { seq: 1, facts: { role: 'db' } }))
    assert.deepEqual(directory.byPeerId('p1')?.facts, { role: 'web' })
  })

  it('expires a node after three missed intervals (kept as gone, reported once) and removes it on leave', () => {
    const directory = new Directory()
    directory.apply(registration('a', 'p1'), 0)
    directory.apply(registration('b', 'p2'), 0)
    assert.deepEqual(directory.expire(29_000), [])
    assert.deepEqual(directory.expire(31_000), ['a', 'b'])
    assert.deepEqual(directory.expire(32_000), [])
    assert.deepEqual(directory.nodes(31_000), [])
    assert.deepEqual(directory.select(emptyFilter(), undefined, { gone: true }, 31_000), [
      { identity: 'a', peer: 'p1', gone: true, lastSeen: 0 },
      { identity: 'b', peer: 'p2', gone: true, lastSeen: 0 }
    ])
    directory.apply(registration('c', 'p3'), 0)
    directory.apply(registration('c', 'p3', { kind: 'leave', seq: 2 }), 0)
    assert.equal(directory.size, 2)
  })

  it('forgets a gone node after GONE_FORGET_AFTER_MS', () => {
    const directory = new Directory()
    directory.apply(registration('a', 'p1'), 0)
    assert.deepEqual(directory.expire(31_000), ['a'])
    directory.expire(GONE_FORGET_AFTER_MS + 1)
    assert.equal(directory.size, 0)
  })

  it('purges only a gone node, and refuses stale copies of it until it shows life after the purge', () => {
    const directory = new Directory()
    directory.apply(registration('a', 'p1'), 0)
    directory.apply(registration('b', 'p2'), 0)
    assert.equal(directory.purge('p1', 10_000), false, 'a live node is not purged')
    assert.equal(directory.purge('p1', 40_000), true)
    assert.equal(directory.byPeerId('p1'), undefined)
    // A peer that still holds the old entry hands it back: refused.
    directory.merge([{ registration: registration('a', 'p1'), ageMs: 35_000 }], 45_000)
    assert.equal(directory.byPeerId('p1'), undefined)
    // The node itself, alive again: accepted.
    directory.apply(registration('a', 'p1', { seq: 5, rev: 5 }), 50_000)
    assert.equal(directory.byPeerId('p1')?.seq, 5)
  })

  it('lists one node per identity: a restarted node (new peer id) replaces the old entry', () => {
    const directory = new Directory()
    directory.apply(registration('a', 'old', { started: 1000 }))
    directory.apply(registration('a', 'new', { started: 2000 }))
    assert.deepEqual(directory.nodes().map(node => node.peer), ['new'])
  })

  it('merges a snapshot: entries expired by their age are kept as gone, forgotten ones skipped', () => {
    const directory = new Directory()
    directory.merge([
      { registration: registration('a', 'p1'), ageMs: 1000 },
      { registration: registration('b', 'p2'), ageMs: 60_000 },
      { registration: registration('c', 'p3'), ageMs: GONE_FORGET_AFTER_MS + 1 }
    ], 100_000)
    assert.deepEqual(directory.nodes(100_000).map(node => node.identity), ['a'])
    assert.deepEqual(directory.select(emptyFilter(), undefined, { gone: true }, 100_000).map(node => [node.identity, node.gone === true]), [['a', false], ['b', true]])
  })

  it('a beat keeps an entry alive, at the interval it announces', () => {
    const directory = new Directory()
    directory.apply(registration('a', 'p1'), 0)
    assert.equal(directory.applyBeat(beat('a', 'p1', { seq: 2, interval: 100 }), 25_000), 'current')
    assert.deepEqual(directory.expire(60_000), [])
    assert.deepEqual(directory.expire(326_000), ['a'])
  })

  it('a beat from an unknown node or at a newer revision asks for the registration; old beats change nothing', () => {
    const directory = new Directory()
    assert.equal(directory.applyBeat(beat('a', 'p1')), 'unknown')
    assert.equal(directory.size, 0)
    directory.apply(registration('a', 'p1', { seq: 1, facts: { role: 'web' } }), 0)
    assert.equal(directory.applyBeat(beat('a', 'p1', { seq: 5, rev: 4 }), 1000), 'stale')
    assert.equal(directory.applyBeat(beat('a', 'p1', { started: 500, seq: 9, rev: 9 }), 2000), 'current')
    assert.equal(directory.applyBeat(beat('a', 'p1', { started: 2000, seq: 1, rev: 1 }), 2000), 'unknown')
    // The fetched registration (revision 4) replaces the content and keeps the newest seq.
    directory.apply(registration('a', 'p1', { seq: 4, rev: 4, facts: { role: 'db' } }), 3000)
    assert.deepEqual(directory.byPeerId('p1')?.facts, { role: 'db' })
    assert.equal(directory.latestSeq('p1'), 5)
    assert.equal(directory.judgeBeat(beat('a', 'p1', { seq: 6, rev: 4 })), 'current')
  })

  it('a registration at the same revision refreshes without a change event; a newer revision is a change', () => {
    const directory = new Directory()
    let changes = 0
    directory.onChange(() => { changes += 1 })
    directory.apply(registration('a', 'p1', { seq: 1 }), 0)
    directory.apply(registration('a', 'p1', { seq: 3, rev: 1 }), 29_000)
    assert.equal(changes, 1)
    assert.deepEqual(directory.expire(40_000), [])
    directory.apply(registration('a', 'p1', { seq: 4, rev: 4, classes: ['x'] }), 41_000)
    assert.equal(changes, 2)
  })

  it('a snapshot serves all entries or only the peers asked for', () => {
    const directory = new Directory()
    directory.apply(registration('a', 'p1'), 0)
    directory.apply(registration('b', 'p2'), 0)
    assert.deepEqual(directory.snapshot(['p2', 'nope'], 10).map(entry => entry.registration.identity), ['b'])
    assert.equal(directory.snapshot(undefined, 10).length, 2)
  })

  describe('on a daemon (it hears no beats: registrations only, repeated every hour)', () => {
    const HOUR = 3600
    const daemonDirectory = (): Directory => new Directory({ registrationsOnlyEvery: () => HOUR })

    it('expires a node after three missed registration refreshes, not three beat intervals', () => {
      const directory = daemonDirectory()
      directory.apply(registration('a', 'p1', { interval: 10 }), 0)
      assert.deepEqual(directory.expire(3 * HOUR * 1000 - 1000), [])
      directory.apply(registration('a', 'p1', { seq: 2, rev: 1 }), 3 * HOUR * 1000 - 1000)
      assert.deepEqual(directory.expire(6 * HOUR * 1000 - 2000), [], 'the refresh kept it alive')
      assert.deepEqual(directory.expire(6 * HOUR * 1000), ['a'])
    })

    it('hands live entries on without an age (it cannot vouch for them), gone ones with theirs', () => {
      const directory = daemonDirectory()
      directory.apply(registration('a', 'p1'), 0)
      directory.apply(registration('b', 'p2'), 4 * HOUR * 1000)
      assert.deepEqual(directory.snapshot(undefined, 4 * HOUR * 1000 + 5).map(entry => [entry.registration.identity, entry.ageMs]), [['a', 4 * HOUR * 1000 + 5], ['b', undefined]])
    })

    it('an entry without an age is new and alive where it is unknown, and never refreshes a known one', () => {
      const requester = new Directory()
      requester.apply(registration('a', 'p1'), 0)
      requester.merge([{ registration: registration('a', 'p1', { seq: 2, rev: 1 }) }, { registration: registration('b', 'p2') }], 25_000)
      assert.deepEqual(requester.expire(31_000), ['a'], 'a: last seen at 0 still')
      assert.deepEqual(requester.nodes(31_000).map(node => node.identity), ['b'])
    })

    it('applies an authorized purge of a node it still holds as alive (the requester that sent it hears beats)', () => {
      const directory = daemonDirectory()
      directory.apply(registration('a', 'p1'), 0)
      assert.equal(directory.purge('p1', 60_000), true)
      assert.equal(directory.byPeerId('p1'), undefined)
      assert.equal(new Directory().purge('p1', 60_000), true, 'an unknown entry: nothing to keep either way')
    })
  })

  describe('checked on use (a daemon: it only passes snapshot entries on)', () => {
    // The check a real daemon runs (signatures, certificate); here: registrations with sig 'bad' fail.
    function checkedDirectory (): { directory: Directory, checked: string[], refused: string[] } {
      const checked: string[] = []
      const refused: string[] = []
      const directory = new Directory({
        checkOnUse: true,
        check: reg => { checked.push(reg.identity); return reg.sig === 'bad' ? 'not signed by the peer it describes' : undefined },
        onRefused: reg => { refused.push(reg.identity) }
      })
      return { directory, checked, refused }
    }

    it('holds a snapshot\'s new entries without checking them, and passes them on', () => {
      const { directory, checked } = checkedDirectory()
      directory.merge([{ registration: registration('a', 'p1') }, { registration: registration('b', 'p2', { sig: 'bad' }) }], 0)
      assert.deepEqual(checked, [])
      assert.deepEqual(directory.snapshot(undefined, 0).map(entry => entry.registration.identity), ['a', 'b'])
    })

    it('checks an unchecked entry when its node\'s registration arrives: a forged one is dropped, not kept in its place', () => {
      const { directory, checked, refused } = checkedDirectory()
      // A forged entry claiming a later run than the node's real one would hide every real registration.
      directory.merge([{ registration: registration('a', 'p1', { sig: 'bad', started: 9999 }) }], 0)
      assert.equal(directory.apply(registration('a', 'p1'), 10), true)
      assert.deepEqual(refused, ['a'])
      assert.equal(directory.byPeerId('p1')?.started, 1000)
      // A genuine unchecked entry is checked once, then trusted.
      directory.merge([{ registration: registration('b', 'p2') }], 20)
      directory.apply(registration('b', 'p2', { seq: 2, rev: 1 }), 30)
      directory.apply(registration('b', 'p2', { seq: 3, rev: 1 }), 40)
      assert.deepEqual(checked.filter(identity => identity === 'b'), ['b'])
    })

    it('holds a newer snapshot copy unchecked too, even over a checked entry; the node\'s own next registration settles which is real', () => {
      const { directory, checked } = checkedDirectory()
      directory.apply(registration('a', 'p1'), 0)
      directory.merge([{ registration: registration('a', 'p1', { sig: 'bad', seq: 5, rev: 5, facts: { role: 'evil' } }) }], 10)
      assert.deepEqual(checked, ['a'], 'only the gossiped registration was checked')
      // Its next registration (the hourly refresh, or any change) arrives by gossip: the forged copy is dropped.
      directory.apply(registration('a', 'p1', { seq: 2, rev: 1 }), 20)
      assert.deepEqual(directory.byPeerId('p1')?.facts, {})
    })

    it('reports an identity conflict only between entries that pass the check', () => {
      const { directory } = checkedDirectory()
      directory.apply(registration('a', 'p1'), 0)
      directory.merge([{ registration: registration('a', 'p9', { sig: 'bad' }) }], 0)
      assert.deepEqual(directory.conflicts(0), [])
      assert.equal(directory.byPeerId('p9'), undefined)
      directory.merge([{ registration: registration('a', 'p8') }], 0)
      assert.deepEqual(directory.conflicts(0).map(conflict => conflict.peers.map(peer => peer.peer)), [['p1', 'p8']])
    })

    it('a requester or bootstrap directory checks every snapshot entry as it arrives', () => {
      const checked: string[] = []
      const directory = new Directory({ check: reg => { checked.push(reg.identity); return reg.sig === 'bad' ? 'bad' : undefined } })
      directory.merge([{ registration: registration('a', 'p1') }, { registration: registration('b', 'p2', { sig: 'bad' }) }], 0)
      assert.deepEqual(checked, ['a', 'b'])
      assert.deepEqual(directory.nodes(0).map(node => node.identity), ['a'])
    })
  })
})
