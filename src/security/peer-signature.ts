// Signatures by a peer's own libp2p key (Ed25519), for what a peer says of itself and that other
// peers pass on: a registration travels in gossip and again inside directory snapshots, where no
// gossip signature protects it, so it carries its own. node:crypto does the work (~30 µs to
// sign, ~75 µs to verify); the verifying key comes from the peer id itself.
import { createPrivateKey, sign, verify, type KeyObject } from 'node:crypto'
import { peerIdFromString } from '@libp2p/peer-id'
import type { PrivateKey } from '@libp2p/interface'
import { publicKeyObject } from './keys.js'

export type PeerSigner = (data: Uint8Array) => Uint8Array

/** Signs with this peer's libp2p key; only Ed25519 peer keys are used by troupe. */
export function peerSigner (privateKey: PrivateKey): PeerSigner {
  if (privateKey.type !== 'Ed25519') throw new Error(`peer key is ${privateKey.type}; troupe peers use Ed25519`)
  const raw = privateKey.raw
  const key: KeyObject = createPrivateKey({
    format: 'jwk',
    key: { kty: 'OKP', crv: 'Ed25519', d: Buffer.from(raw.subarray(0, 32)).toString('base64url'), x: Buffer.from(raw.subarray(32, 64)).toString('base64url') }
  })
  return data => sign(null, data, key)
}

const peerKeys = new Map<string, string | null>()

/** The base64 raw Ed25519 key a peer id embeds, or null (another key type, or not a peer id). */
function peerPublicKey (peer: string): string | null {
  let cached = peerKeys.get(peer)
  if (cached !== undefined) return cached
  cached = null
  try {
    const publicKey = peerIdFromString(peer).publicKey
    if (publicKey?.type === 'Ed25519') cached = Buffer.from(publicKey.raw).toString('base64')
  } catch {
    cached = null
  }
  if (peerKeys.size > 20_000) peerKeys.clear()
  peerKeys.set(peer, cached)
  return cached
}

/** True when the signature over data was made by the key of this peer id. */
export function verifyPeerSignature (peer: string, data: Uint8Array, signature: Uint8Array): boolean {
  const base64 = peerPublicKey(peer)
  if (base64 === null || signature.length !== 64) return false
  const key = publicKeyObject(base64)
  if (key === null) return false
  try {
    return verify(null, data, key, signature)
  } catch {
    return false
  }
}
