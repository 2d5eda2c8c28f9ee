// peer-signature.ts: what a peer says of itself is signed with its own libp2p key, and anyone can
// check it from the peer id alone. Real libp2p keys.
import assert from 'node:assert/strict'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { PrivateKey } from '@libp2p/interface'
import { peerSigner, verifyPeerSignature } from '../../src/security/peer-signature.js'

describe('peer signatures', () => {
  let key: PrivateKey
  let peer: string
  let other: string
  before(async () => {
    key = await generateKeyPair('Ed25519')
    peer = peerIdFromPrivateKey(key).toString()
    other = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
  })

  const data = new TextEncoder().encode('troupe-registration-v1\0{"identity":"web01"}')

  it('a signature by the peer\'s key verifies against its peer id, and is the libp2p key\'s own signature', async () => {
    const signature = peerSigner(key)(data)
    assert.equal(signature.length, 64)
    assert.equal(verifyPeerSignature(peer, data, signature), true)
    assert.equal(await key.publicKey.verify(data, signature), true)
    assert.deepEqual(Buffer.from(signature), Buffer.from(await key.sign(data)))
  })

  it('other bytes, another peer id, or a changed signature are refused', () => {
    const signature = peerSigner(key)(data)
    const changed = Uint8Array.from(data)
    changed[changed.length - 2] ^= 1
    assert.equal(verifyPeerSignature(peer, changed, signature), false)
    assert.equal(verifyPeerSignature(other, data, signature), false)
    const flipped = Uint8Array.from(signature)
    flipped[10] ^= 1
    assert.equal(verifyPeerSignature(peer, data, flipped), false)
    assert.equal(verifyPeerSignature(peer, data, peerSigner(key)(changed)), false)
  })

  it('a signature of the wrong length, or a string that is not a peer id, is refused without throwing', () => {
    const signature = peerSigner(key)(data)
    assert.equal(verifyPeerSignature(peer, data, signature.subarray(0, 63)), false)
    assert.equal(verifyPeerSignature(peer, data, new Uint8Array([...signature, 0])), false)
    assert.equal(verifyPeerSignature(peer, data, new Uint8Array(0)), false)
    assert.equal(verifyPeerSignature('not-a-peer-id', data, signature), false)
    assert.equal(verifyPeerSignature('', data, signature), false)
    // Asked twice (the answer is cached): still refused, and the real peer still verifies.
    assert.equal(verifyPeerSignature('not-a-peer-id', data, signature), false)
    assert.equal(verifyPeerSignature(peer, data, signature), true)
  })

  it('a peer id of another key type never verifies, and such keys cannot sign', async () => {
    const secp = await generateKeyPair('secp256k1')
    const secpPeer = peerIdFromPrivateKey(secp).toString()
    const signature = await secp.sign(data)
    assert.equal(verifyPeerSignature(secpPeer, data, signature.length === 64 ? signature : new Uint8Array(64)), false)
    assert.throws(() => peerSigner(secp), { message: 'peer key is secp256k1; troupe peers use Ed25519' })
  })

  it('many peer ids: the answers stay right past the key cache\'s bound', async () => {
    const signature = peerSigner(key)(data)
    for (let i = 0; i < 20_002; i++) verifyPeerSignature(`bogus${i}`, data, signature)
    assert.equal(verifyPeerSignature(peer, data, signature), true)
    assert.equal(verifyPeerSignature(other, data, signature), false)
  })
})
