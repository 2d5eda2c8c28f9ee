// The signed request: what a requester asks of the nodes. See docs/protocol.md.
//
// Bytes on the wire: 'T' 0x01 | 64-byte ed25519 signature | body (UTF-8 canonical JSON).
// The signature covers the domain tag 'troupe-request-v1' + 0x00 + body, so a signature made
// for anything else can never pass as a request.
import { randomBytes } from 'node:crypto'
import { z } from 'zod'
import { filterSchema } from '../discovery/filter/index.js'
import type { Filter } from '../discovery/filter/types.js'
import { signBytes, verifyBytes, type RequesterKey } from '../security/keys.js'
import { jsonBytes, parseJsonBytes } from './canonical.js'
import { WireError } from './errors.js'
import { CLOCK_SKEW_MS, MAX_REQUEST_BYTES, MAX_TTL_SECONDS } from './limits.js'

const MAGIC = 0x54
const VERSION = 1
const HEADER_BYTES = 2
const SIGNATURE_BYTES = 64
const DOMAIN = new TextEncoder().encode('troupe-request-v1\0')

const shortText = z.string().min(1).max(256)

const requestBodySchema = z.object({
  v: z.literal(1),
  id: z.string().regex(/^[0-9a-f]{32}$/),
  collective: shortText,
  agent: shortText,
  action: shortText,
  args: z.record(z.unknown()),
  filter: filterSchema,
  requester: z.object({
    peer: shortText,
    addrs: z.array(z.string().max(512)).max(32)
  }).strict(),
  caller: z.string().length(44),
  issued: z.number().int().nonnegative(),
  ttl: z.number().int().positive().max(MAX_TTL_SECONDS),
  /** false: the requester itself sends this to every node it expects, so nodes do not forward it (absent: true) */
  relay: z.boolean().optional()
}).strict()

export type RequestBody = z.infer<typeof requestBodySchema>

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
  const signature = signBytes(key, concat(DOMAIN, bodyBytes))
  const bytes = new Uint8Array(HEADER_BYTES + SIGNATURE_BYTES + bodyBytes.length)
  bytes[0] = MAGIC
  bytes[1] = VERSION
  bytes.set(signature, HEADER_BYTES)
  bytes.set(bodyBytes, HEADER_BYTES + SIGNATURE_BYTES)
  if (bytes.length > MAX_REQUEST_BYTES) throw new WireError('size', `request is ${bytes.length} bytes; the limit is ${MAX_REQUEST_BYTES} (send less in the arguments)`)
  return { body, bytes }
}

/**
 * Decodes and authenticates a request: size, format, signature, freshness. Throws WireError.
 * Authorization (is this caller allowed?) and replay are the receiver's next steps.
 */
export function openRequest (bytes: Uint8Array, now = Date.now()): RequestBody {
  if (bytes.length > MAX_REQUEST_BYTES) throw new WireError('size', `request of ${bytes.length} bytes exceeds ${MAX_REQUEST_BYTES}`)
  if (bytes.length < HEADER_BYTES + SIGNATURE_BYTES + 2 || bytes[0] !== MAGIC) throw new WireError('format', 'not a troupe request')
  if (bytes[1] !== VERSION) throw new WireError('format', `request version ${bytes[1]} is not supported (this node speaks ${VERSION})`)
  const signature = bytes.subarray(HEADER_BYTES, HEADER_BYTES + SIGNATURE_BYTES)
  const bodyBytes = bytes.subarray(HEADER_BYTES + SIGNATURE_BYTES)
  let raw: unknown
  try {
    raw = parseJsonBytes(bodyBytes)
  } catch (err) {
    throw new WireError('format', `request body: ${(err as Error).message}`)
  }
  const parsed = requestBodySchema.safeParse(raw)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw new WireError('format', `request field '${issue?.path.join('.') ?? '?'}': ${issue?.message ?? 'invalid'}`)
  }
  const body = parsed.data
  if (!verifyBytes(body.caller, concat(DOMAIN, bodyBytes), signature)) throw new WireError('signature', 'request signature does not verify', body.id)
  if (body.issued - now > CLOCK_SKEW_MS) throw new WireError('future', `request issued ${Math.round((body.issued - now) / 1000)} s in the future (clock skew allowance ${CLOCK_SKEW_MS / 1000} s)`, body.id)
  if (now > requestValidUntil(body)) throw new WireError('expired', `request expired ${Math.round((now - body.issued) / 1000 - body.ttl)} s ago`, body.id)
  return body
}

/** Last instant (ms) at which a node may still accept the request. */
export function requestValidUntil (body: Pick<RequestBody, 'issued' | 'ttl'>): number {
  return body.issued + body.ttl * 1000 + CLOCK_SKEW_MS
}

function concat (a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length)
  out.set(a)
  out.set(b, a.length)
  return out
}
