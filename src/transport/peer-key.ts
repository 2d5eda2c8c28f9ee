// The libp2p identity of a bootstrap, daemon or requester peer: persisted in the `key` file
// (created on first start, mode 0600) so the peer id survives restarts.
import { readFileSync, writeFileSync, mkdirSync, statSync } from 'node:fs'
import { dirname } from 'node:path'
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'
import { ConfigError } from '../config/load.js'

export async function loadOrCreatePeerKey (path: string): Promise<PrivateKey> {
  let bytes: Buffer | undefined
  try {
    bytes = readFileSync(path)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new ConfigError(`cannot read peer key ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`)
  }
  if (bytes !== undefined) {
    if ((statSync(path).mode & 0o077) !== 0) throw new ConfigError(`peer key ${path} is readable by others: chmod 600 ${path}`)
    try {
      return privateKeyFromProtobuf(bytes)
    } catch {
      throw new ConfigError(`peer key ${path} is not a libp2p private key (move it away to have a new one created)`)
    }
  }
  const key = await generateKeyPair('Ed25519')
  try {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 })
    writeFileSync(path, privateKeyToProtobuf(key), { mode: 0o600, flag: 'wx' })
  } catch (err) {
    throw new ConfigError(`cannot create peer key ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`)
  }
  return key
}
