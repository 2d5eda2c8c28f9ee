// peer-penalties.ts: a peer that keeps sending rejected messages loses gossipsub score with each
// one (halving every minute) and is banned for ten minutes at the twentieth recent reject.
import assert from 'node:assert/strict'
import { PeerPenalties } from '../../src/security/peer-penalties.js'

const MINUTE = 60_000

describe('peer penalties', () => {
  it('each reject costs 100 points of score; the twentieth bans the peer for ten minutes', () => {
    const penalties = new PeerPenalties()
    const t0 = 1_000_000
    assert.equal(penalties.score('p', t0), 0)
    for (let i = 1; i < 20; i++) {
      assert.equal(penalties.reject('p', t0), false, `reject ${i}`)
      assert.equal(penalties.score('p', t0), -100 * i)
      assert.equal(penalties.isBanned('p', t0), false)
    }
    assert.equal(penalties.reject('p', t0), true)
    assert.equal(penalties.score('p', t0), -2000)
    assert.equal(penalties.isBanned('p', t0), true)
    assert.equal(penalties.isBanned('p', t0 + 10 * MINUTE - 1), true)
    assert.equal(penalties.isBanned('p', t0 + 10 * MINUTE), false)
    // Once over, the ban is forgotten: an earlier time does not revive it.
    assert.equal(penalties.isBanned('p', t0), false)
  })

  it('rejects fade: half the score after a minute, so a slow trickle never bans', () => {
    const penalties = new PeerPenalties()
    penalties.reject('p', 0)
    penalties.reject('p', 0)
    assert.equal(penalties.score('p', MINUTE), -100)
    assert.equal(penalties.score('p', 2 * MINUTE), -50)
    assert.equal(penalties.score('p', 0), -200, 'reading the score changes nothing')
    // One reject every 10 s: the sum settles near 1/(1 - 2^(-1/6)) ≈ 9.2 rejects, under 20.
    for (let t = 0; t < 60 * MINUTE; t += 10_000) assert.equal(penalties.reject('q', t), false)
    assert.ok(penalties.score('q', 60 * MINUTE) > -1000)
    // A burst does ban: one every 100 ms, the count has faded to 19.8 at the twentieth, the 21st bans.
    const bans: boolean[] = []
    for (let i = 0; i < 21; i++) bans.push(penalties.reject('r', i * 100))
    assert.equal(bans.indexOf(true), 20)
  })

  it('a reject is forgotten once it has faded: the score is 0 again, not a little under it', () => {
    const penalties = new PeerPenalties()
    penalties.reject('p', 0)
    assert.ok(penalties.score('p', 3 * MINUTE) < 0, 'still held after three minutes')
    assert.equal(penalties.score('p', 4 * MINUTE), 0)
    assert.equal(penalties.score('p', 60 * MINUTE), 0)
    // A peer that keeps failing stays below zero: each reject adds to what is left.
    for (let t = 0; t < 10 * MINUTE; t += 30_000) penalties.reject('q', t)
    assert.ok(penalties.score('q', 10 * MINUTE) < 0)
  })

  it('peers are penalised separately', () => {
    const penalties = new PeerPenalties()
    for (let i = 0; i < 20; i++) penalties.reject('bad', 0)
    assert.equal(penalties.isBanned('bad', 0), true)
    assert.equal(penalties.isBanned('good', 0), false)
    assert.equal(penalties.score('good', 0), 0)
  })

  it('ban() refuses a peer for the given time without touching its score', () => {
    const penalties = new PeerPenalties()
    penalties.ban('p', 5000, 100)
    assert.equal(penalties.isBanned('p', 100), true)
    assert.equal(penalties.isBanned('p', 5099), true)
    assert.equal(penalties.isBanned('p', 5100), false)
    assert.equal(penalties.score('p', 100), 0)
    // A later ban replaces the earlier one.
    penalties.ban('p', 1000, 6000)
    assert.equal(penalties.isBanned('p', 6999), true)
  })

  it('memory is bounded: past 10000 peers the oldest is forgotten, the others kept', () => {
    const penalties = new PeerPenalties()
    penalties.reject('first', 0)
    for (let i = 0; i < 9_999; i++) penalties.reject(`p${i}`, 0)
    assert.equal(penalties.score('first', 0), -100, '10000 peers are all remembered')
    penalties.reject('p-last', 0)
    assert.equal(penalties.score('first', 0), 0, 'the oldest is forgotten')
    assert.equal(penalties.score('p0', 0), -100)
    assert.equal(penalties.score('p-last', 0), -100)

    const bans = new PeerPenalties()
    bans.ban('first', MINUTE, 0)
    for (let i = 0; i < 10_000; i++) bans.ban(`b${i}`, MINUTE, 0)
    assert.equal(bans.isBanned('first', 0), true, '10001 bans kept')
    bans.ban('b-later', MINUTE, 0)
    assert.equal(bans.isBanned('first', 0), false, 'the oldest ban is forgotten')
    assert.equal(bans.isBanned('b0', 0), true)
  })
})
