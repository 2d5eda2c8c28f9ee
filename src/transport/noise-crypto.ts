// Noise's crypto with one change: the X25519 private keys it generates keep their node:crypto key
// objects. @chainsafe/libp2p-noise's own node crypto hands out raw bytes and rebuilds a key
// object from them (PKCS#8 parsing) for every Diffie-Hellman, three per handshake on each side:
// the largest single cost of a handshake in a profile of 500 daemons joining (docs/design.md,
// "A fleet joining at once"). Everything else is noise's default.
//
// Noise hands the remote's ephemeral key over as a Uint8ArrayList (a view of the bytes it read);
// it is taken here too, or two of a handshake's three Diffie-Hellmans would go the slow way.
import { createPublicKey, diffieHellman, generateKeyPairSync, type KeyObject } from 'node:crypto'
import { defaultCrypto } from '@chainsafe/libp2p-noise/crypto'
import type { ICryptoInterface } from '@chainsafe/libp2p-noise'

/** DER prefixes of an X25519 public key (SPKI) and private key (PKCS#8) before the raw 32 bytes. */
const SPKI_PREFIX = Buffer.from('302a300506032b656e032100', 'hex')
const PKCS8_PREFIX_LENGTH = 16

/** The key object of each private key this module generated, by the bytes handed to noise. */
const privateKeyObjects = new WeakMap<Uint8Array, KeyObject>()

export const noiseCrypto: ICryptoInterface = {
  ...defaultCrypto,
  generateX25519KeyPair () {
    const { publicKey, privateKey } = generateKeyPairSync('x25519')
    const raw = privateKey.export({ type: 'pkcs8', format: 'der' }).subarray(PKCS8_PREFIX_LENGTH)
    privateKeyObjects.set(raw, privateKey)
    return { publicKey: publicKey.export({ type: 'spki', format: 'der' }).subarray(SPKI_PREFIX.length), privateKey: raw }
  },
  generateX25519SharedKey (privateKey, publicKey) {
    const own = privateKey instanceof Uint8Array ? privateKeyObjects.get(privateKey) : undefined
    if (own === undefined) return defaultCrypto.generateX25519SharedKey(privateKey, publicKey)
    const remoteBytes = publicKey instanceof Uint8Array ? publicKey : publicKey.subarray()
    const remote = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, remoteBytes]), type: 'spki', format: 'der' })
    return diffieHellman({ privateKey: own, publicKey: remote })
  }
}
