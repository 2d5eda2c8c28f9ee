// Private-network (pnet) swarm keys: peers without the same key cannot complete a connection.
// The file format is libp2p's: "/key/swarm/psk/1.0.0/\n/base16/\n<64 hex digits>".
import { readFileSync, writeFileSync } from 'node:fs'
import { generateKey } from '@libp2p/pnet'
import { ConfigError } from '../config/load.js'

const HEADER = '/key/swarm/psk/1.0.0/'
const KEY_FILE_BYTES = 95

export function generateSwarmKey (): Uint8Array {
  const bytes = new Uint8Array(KEY_FILE_BYTES)
  generateKey(bytes)
  return bytes
}

export function writeSwarmKey (path: string): void {
  writeFileSync(path, generateSwarmKey(), { mode: 0o600, flag: 'wx' })
}

/** Checks the format strictly, so a wrong file is a clear error rather than a peer that connects to no one. */
export function parseSwarmKey (text: string, path: string): Uint8Array {
  const lines = text.split(/\r?\n/)
  if (lines[0] !== HEADER || lines[1] !== '/base16/' || !/^[0-9a-fA-F]{64}$/.test(lines[2] ?? '') || lines.slice(3).some(line => line.trim() !== '')) {
    throw new ConfigError(`swarm key ${path} is not a libp2p swarm key (expected '${HEADER}', '/base16/', then 64 hex digits; make one with 'troupe keygen --swarm --out FILE')`)
  }
  return new TextEncoder().encode(`${HEADER}\n/base16/\n${(lines[2] ?? '').toLowerCase()}`)
}

export function loadSwarmKey (path: string): Uint8Array {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    throw new ConfigError(`cannot read swarm key ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`)
  }
  return parseSwarmKey(text, path)
}
