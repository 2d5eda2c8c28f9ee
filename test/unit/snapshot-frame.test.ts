// A directory snapshot's frames carry exactly what JSON.stringify of the entries would, and each
// registration is serialized once however many snapshots carry it.
import assert from 'node:assert/strict'
import { snapshotFrame } from '../../src/discovery/snapshot-frame.js'
import type { SnapshotEntry } from '../../src/discovery/directory.js'
import type { Registration } from '../../src/wire/registration.js'

function registration (identity: string): Registration {
  return {
    v: 1, identity, peer: `12D3KooW${identity}`, started: 1_795_000_000_000, seq: 3, rev: 2, interval: 30,
    addrs: ['/ip4/10.0.0.5/tcp/61614'], kind: 'announce', collective: 'main', sig: 'c2ln',
    agents: ['rpcutil', 'package'], classes: ['role::web'], facts: { city: 'Zürich', note: 'quote " and \\ and \u2028', nested: { n: 1.5 } }, version: '0.1.0'
  }
}

describe('directory snapshot frames', () => {
  it('are the bytes of JSON.stringify of the entries, with and without an age', () => {
    const entries: SnapshotEntry[] = [{ registration: registration('web01') }, { registration: registration('web02'), ageMs: 1234 }, { registration: registration('db01'), ageMs: 0 }]
    assert.deepEqual(Buffer.from(snapshotFrame(entries)).toString('utf8'), JSON.stringify(entries))
    assert.deepEqual(Buffer.from(snapshotFrame([])).toString('utf8'), '[]')
    assert.deepEqual(JSON.parse(Buffer.from(snapshotFrame(entries)).toString('utf8')), entries)
  })

  it('serialize a registration once: later snapshots reuse its bytes', () => {
    const web01 = registration('web01')
    const first = Buffer.from(snapshotFrame([{ registration: web01, ageMs: 5 }])).toString('utf8')
    // Registrations are never changed once parsed or signed; changing one here shows the bytes are not made again.
    ;(web01 as { identity: string }).identity = 'changed'
    const second = Buffer.from(snapshotFrame([{ registration: web01, ageMs: 5 }])).toString('utf8')
    assert.equal(second, first)
    assert.match(second, /"identity":"web01"/)
  })
})
