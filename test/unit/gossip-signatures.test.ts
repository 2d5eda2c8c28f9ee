// Gossip carries no gossipsub signature (StrictNoSign): beats and undelivered notices are signed
// by their author's peer key, and a receiver believes one only when the peer it names signed it
// as it now reads (registrations: test/unit/registration-check.test.ts).
import assert from 'node:assert/strict'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { peerSigner, type PeerSigner } from '../../src/security/peer-signature.js'
import { decodeRegistryMessage, encodeRegistryMessage, signBeat, signedByItsPeer, type Beat } from '../../src/wire/registration.js'
import { decodeNotice, encodeNotice, noticeSignedByItsPeer } from '../../src/wire/undelivered.js'

describe('gossip signatures: beats and undelivered notices', function () {
  let peer: string
  let sign: PeerSigner
  let otherSign: PeerSigner
  before(async function () {
    const key = await generateKeyPair('Ed25519')
    peer = peerIdFromPrivateKey(key).toString()
    sign = peerSigner(key)
    otherSign = peerSigner(await generateKeyPair('Ed25519'))
  })

  const unsignedBeat = (): Omit<Beat, 'sig'> => ({ v: 1, kind: 'beat', identity: 'node01', peer, addrs: ['/ip4/10.0.0.1/tcp/4001'], started: 1000, seq: 7, rev: 3, interval: 30 })

  it('a beat signed by the peer it names verifies after the wire; changed, or signed by another key, it does not', function () {
    const beat = signBeat(unsignedBeat(), sign)
    const received = decodeRegistryMessage(encodeRegistryMessage(beat))
    assert.equal(signedByItsPeer(received), true)
    assert.equal(signedByItsPeer({ ...beat, addrs: ['/ip4/10.9.9.9/tcp/9'] }), false, 'an address changed on the way')
    assert.equal(signedByItsPeer({ ...beat, seq: 8 }), false, 'a sequence number changed on the way')
    assert.equal(signedByItsPeer(signBeat(unsignedBeat(), otherSign)), false, 'signed by a peer it does not name')
    assert.equal(signedByItsPeer({ ...beat, sig: '' }), false, 'no signature')
  })

  it('a notice signed by the node it names verifies after the wire; changed, or signed by another key, it does not', function () {
    const unsigned = { v: 1 as const, id: 'a'.repeat(32), identity: 'node01', requester: 'requester-peer', status: 0, statusmsg: 'OK', peer }
    const received = decodeNotice(encodeNotice(unsigned, sign))
    assert.equal(noticeSignedByItsPeer(received), true)
    assert.equal(noticeSignedByItsPeer({ ...received, status: 1 }), false, 'a status changed on the way')
    assert.equal(noticeSignedByItsPeer({ ...received, identity: 'node02' }), false, 'another identity claimed')
    assert.equal(noticeSignedByItsPeer(decodeNotice(encodeNotice(unsigned, otherSign))), false, 'signed by a peer it does not name')
    // statusmsg is cut to its bound before signing: what is signed is what is sent
    assert.equal(noticeSignedByItsPeer(decodeNotice(encodeNotice({ ...unsigned, statusmsg: 'x'.repeat(5000) }, sign))), true)
  })
})
