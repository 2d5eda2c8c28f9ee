// Signing a request, apart from opening one: the CLI signs without loading the schema that
// nodes check requests against (src/wire/request.ts). Format and signature: see request.ts.
import { randomBytes } from 'node:crypto'
import type { Filter } from '../discovery/filter/types.js'
import { signBytes, type RequesterKey } from '../security/keys.js'
import { concat } from 'uint8arrays/concat'
import { jsonBytes } from './canonical.js'
import { WireError } from './errors.js'
import { MAX_REQUEST_BYTES } from './limits.js'
import type { RequestBody } from './request.js'

export const MAGIC = 0x54
export const VERSION = 1
export const HEADER_BYTES = 2
export const SIGNATURE_BYTES = 64
export const DOMAIN = new TextEncoder().encode('troupe-request-v1\0')

export interface SignedRequest {
  body: RequestBody
  bytes: Uint8Array
}

export interface NewRequest {
  collective: string
  agent: string
  action: string
  args: Record<string, unknown>
  filter: Filter
  requester: { peer: string, addrs: string[] }
  ttl: number
  relay?: boolean
}

export function newRequestId (): string {
  return randomBytes(16).toString('hex')
}

export function signRequest (request: NewRequest, key: RequesterKey, now = Date.now(), id = newRequestId()): SignedRequest {
  const body: RequestBody = { v: VERSION, id, ...request, caller: key.publicKey, issued: now }
  const bodyBytes = jsonBytes(body)
  const signature = signBytes(key, concat([DOMAIN, bodyBytes]))
  const bytes = new Uint8Array(HEADER_BYTES + SIGNATURE_BYTES + bodyBytes.length)
  bytes[0] = MAGIC
  bytes[1] = VERSION
  bytes.set(signature, HEADER_BYTES)
  bytes.set(bodyBytes, HEADER_BYTES + SIGNATURE_BYTES)
  if (bytes.length > MAX_REQUEST_BYTES) throw new WireError('size', `request is ${bytes.length} bytes; the limit is ${MAX_REQUEST_BYTES} (send less in the arguments)`)
  return { body, bytes }
}

