// src/transport/noise-crypto.ts: the X25519 shared secrets it computes from the key objects it
// kept are the ones noise's default crypto computes from the raw bytes, both ways round; keys it
// did not generate (a static key from a seed) still work, through the default.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { defaultCrypto } from '@chainsafe/libp2p-noise/crypto'
import { Uint8ArrayList } from 'uint8arraylist'
import { noiseCrypto } from '../../src/transport/noise-crypto.js'

describe('noise crypto: X25519 on kept key objects', () => {
  it('a shared secret equals the default crypto\'s, from either side', () => {
    for (let i = 0; i < 20; i++) {
      const a = noiseCrypto.generateX25519KeyPair()
      const b = noiseCrypto.generateX25519KeyPair()
      assert.equal(a.privateKey.length, 32)
      assert.equal(a.publicKey.length, 32)
      const ours = Buffer.from(noiseCrypto.generateX25519SharedKey(a.privateKey, b.publicKey))
      assert.deepEqual(ours, Buffer.from(defaultCrypto.generateX25519SharedKey(a.privateKey, b.publicKey)))
      assert.deepEqual(ours, Buffer.from(noiseCrypto.generateX25519SharedKey(b.privateKey, a.publicKey)))
    }
  })

  it('a remote key handed over as a Uint8ArrayList (as noise reads it off the wire) takes the kept key object, not the default', () => {
    const a = noiseCrypto.generateX25519KeyPair()
    const b = noiseCrypto.generateX25519KeyPair()
    const expected = Buffer.from(defaultCrypto.generateX25519SharedKey(a.privateKey, b.publicKey))
    const viaDefault = defaultCrypto.generateX25519SharedKey
    let defaultCalls = 0
    defaultCrypto.generateX25519SharedKey = (privateKey, publicKey) => { defaultCalls++; return viaDefault(privateKey, publicKey) }
    try {
      const wire = new Uint8ArrayList(Buffer.from('prefix'), b.publicKey).sublist(6, 38)
      assert.deepEqual(Buffer.from(noiseCrypto.generateX25519SharedKey(a.privateKey, wire)), expected)
      assert.equal(defaultCalls, 0)
    } finally {
      defaultCrypto.generateX25519SharedKey = viaDefault
    }
  })

  it('a key pair it did not generate (a copy of the bytes, a seed) gives the same secret through the default', () => {
    const a = noiseCrypto.generateX25519KeyPair()
    const b = noiseCrypto.generateX25519KeyPair()
    const copied = Uint8Array.from(a.privateKey)
    assert.deepEqual(Buffer.from(noiseCrypto.generateX25519SharedKey(copied, b.publicKey)), Buffer.from(noiseCrypto.generateX25519SharedKey(a.privateKey, b.publicKey)))
    const seeded = noiseCrypto.generateX25519KeyPairFromSeed(randomBytes(32))
    assert.deepEqual(Buffer.from(noiseCrypto.generateX25519SharedKey(seeded.privateKey, b.publicKey)), Buffer.from(noiseCrypto.generateX25519SharedKey(b.privateKey, seeded.publicKey)))
  })
})
