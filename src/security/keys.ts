// Requester keys: ed25519, handled by node:crypto (native: ~30 µs to sign, ~75 µs to verify).
// The private key is a PKCS#8 PEM file (mode 0600); the public key travels as 32 raw bytes in base64.
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject, createHash } from 'node:crypto'
import { readFileSync, statSync, openSync, writeSync, closeSync, unlinkSync } from 'node:fs'

export class KeyError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'KeyError'
  }
}

export interface RequesterKey {
  privateKey: KeyObject
  /** base64 of the raw 32-byte public key, as it appears in authorized_keys */
  publicKey: string
}

export function generateRequesterKey (): RequesterKey {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519')
  return { privateKey, publicKey: rawPublicKey(publicKey) }
}

/**
 * Writes FILE (0600) and FILE.pub, both created exclusively (O_CREAT|O_EXCL): an existing file,
 * or a symlink planted at either name, is an error (EEXIST), never followed or overwritten.
 * Both are opened before either is written, so a refusal leaves nothing behind.
 */
export function writeRequesterKey (path: string, key: RequesterKey, name: string): void {
  const privateFd = openSync(path, 'wx', 0o600)
  let publicFd: number
  try {
    publicFd = openSync(`${path}.pub`, 'wx', 0o644)
  } catch (err) {
    closeSync(privateFd)
    unlinkSync(path)
    throw err
  }
  try {
    writeSync(privateFd, key.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string)
    writeSync(publicFd, `${formatAuthorizedKey(key.publicKey, name)}\n`)
  } finally {
    closeSync(privateFd)
    closeSync(publicFd)
  }
}

export function readRequesterKey (path: string): RequesterKey {
  let pem: string
  try {
    pem = readFileSync(path, 'utf8')
  } catch (err) {
    throw new KeyError(`cannot read requester key ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)} (create one with 'troupe keygen --out ${path}')`)
  }
  if ((statSync(path).mode & 0o077) !== 0) {
    throw new KeyError(`requester key ${path} is readable by others: chmod 600 ${path}`)
  }
  let privateKey: KeyObject
  try {
    privateKey = createPrivateKey(pem)
  } catch {
    // The two keys an operator most likely has at hand instead, each with what to do.
    if (pem.includes('-----BEGIN ENCRYPTED PRIVATE KEY-----')) throw new KeyError(`requester key ${path} is encrypted with a passphrase; troupe reads unencrypted keys (protected by chmod 600): create one with 'troupe keygen --out ${path}'`)
    if (pem.includes('-----BEGIN OPENSSH PRIVATE KEY-----')) throw new KeyError(`requester key ${path} is in OpenSSH's format; troupe reads PKCS#8 PEM: create one with 'troupe keygen --out ${path}'`)
    throw new KeyError(`requester key ${path} is not a PEM private key`)
  }
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new KeyError(`requester key ${path} is ${privateKey.asymmetricKeyType ?? 'unknown'}, not ed25519`)
  return { privateKey, publicKey: rawPublicKey(createPublicKey(privateKey)) }
}

function rawPublicKey (key: KeyObject): string {
  const jwk = key.export({ format: 'jwk' })
  if (typeof jwk.x !== 'string') throw new KeyError('not an ed25519 public key')
  return Buffer.from(jwk.x, 'base64url').toString('base64')
}

const publicKeyCache = new Map<string, KeyObject | null>()

/** Parses a base64 raw ed25519 public key; null when it is not one. Cached: callers repeat. */
export function publicKeyObject (base64: string): KeyObject | null {
  const cached = publicKeyCache.get(base64)
  if (cached !== undefined) return cached
  let result: KeyObject | null = null
  const raw = Buffer.from(base64, 'base64')
  if (raw.length === 32 && raw.toString('base64') === base64) {
    try {
      result = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') }, format: 'jwk' })
    } catch {
      result = null
    }
  }
  if (publicKeyCache.size > 10_000) publicKeyCache.clear()
  publicKeyCache.set(base64, result)
  return result
}

export function signBytes (key: RequesterKey, data: Uint8Array): Uint8Array {
  return sign(null, data, key.privateKey)
}

export function verifyBytes (publicKey: string, data: Uint8Array, signature: Uint8Array): boolean {
  const key = publicKeyObject(publicKey)
  if (key === null || signature.length !== 64) return false
  try {
    return verify(null, data, key, signature)
  } catch {
    return false
  }
}

export function formatAuthorizedKey (publicKey: string, name: string): string {
  return `ed25519 ${publicKey} ${name}`
}

/** Short, stable name of a key for logs and audit: first 16 hex of its SHA-256. */
export function keyFingerprint (publicKey: string): string {
  return createHash('sha256').update(publicKey).digest('hex').slice(0, 16)
}
