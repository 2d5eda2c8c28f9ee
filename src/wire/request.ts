// The signed request: what a requester asks of the nodes. See docs/protocol.md.
//
// Bytes on the wire: 'T' 0x01 | 64-byte ed25519 signature | body (UTF-8 canonical JSON).
// The signature covers the domain tag 'troupe-request-v1' + 0x00 + body, so a signature made
// for anything else can never pass as a request.
import { z } from 'zod'
import { filterSchema, validateFilter } from '../discovery/filter/index.js'
import { verifyBytes } from '../security/keys.js'
import { parseJsonBytes } from './canonical.js'
import { WireError } from './errors.js'
import { CLOCK_SKEW_MS, MAX_REQUEST_BYTES, MAX_TTL_SECONDS, REQUEST_ID } from './limits.js'
import { MAGIC, VERSION, HEADER_BYTES, SIGNATURE_BYTES, DOMAIN } from './sign-request.js'
import { concat } from 'uint8arrays/concat'

export { signRequest, newRequestId, type SignedRequest, type NewRequest } from './sign-request.js'

const shortText = z.string().min(1).max(256)

export const requestBodySchema = z.object({
  v: z.literal(1),
  id: z.string().regex(REQUEST_ID),
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
  const body = plainRequestBody(raw) ?? bySchema(raw)
  if (!verifyBytes(body.caller, concat([DOMAIN, bodyBytes]), signature)) throw new WireError('signature', 'request signature does not verify', body.id)
  if (body.issued - now > CLOCK_SKEW_MS) throw new WireError('future', `request issued ${Math.round((body.issued - now) / 1000)} s in the future (clock skew allowance ${CLOCK_SKEW_MS / 1000} s)`, body.id)
  if (now > requestValidUntil(body)) throw new WireError('expired', `request expired ${Math.round((now - body.issued) / 1000 - body.ttl)} s ago`, body.id)
  return body
}

function bySchema (raw: unknown): RequestBody {
  const parsed = requestBodySchema.safeParse(raw)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw new WireError('format', `request field '${issue?.path.join('.') ?? '?'}': ${issue?.message ?? 'invalid'}`)
  }
  return parsed.data
}

const BODY_KEY_COUNT = Object.keys(requestBodySchema.shape).length

function isPlainObject (value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function isShortText (value: unknown): value is string {
  return typeof value === 'string' && value.length >= 1 && value.length <= 256
}

function isRequester (value: unknown): value is RequestBody['requester'] {
  if (!isPlainObject(value)) return false
  const keys = Object.keys(value)
  if (keys.length !== 2 || !Object.hasOwn(value, 'peer') || !Object.hasOwn(value, 'addrs')) return false
  const { peer, addrs } = value
  return isShortText(peer) && Array.isArray(addrs) && addrs.length <= 32 && addrs.every(addr => typeof addr === 'string' && addr.length <= 512)
}

/**
 * The request body exactly as requestBodySchema would give it, checked by hand: every node
 * decodes every request, and the schema's walk (its copies and bookkeeping) cost a node as much
 * CPU as both signature checks together. Undefined for anything the schema must judge — whatever
 * it refuses, and whatever it would hand back changed (args with a "__proto__" key); the schema
 * then decides, and words the refusal.
 */
export function plainRequestBody (value: unknown): RequestBody | undefined {
  if (!isPlainObject(value)) return undefined
  const { v, id, collective, agent, action, args, filter, requester, caller, issued, ttl, relay } = value
  // Every one of these keys is checked below (only relay may be absent), so any other key shows
  // in the count.
  if (Object.keys(value).length !== (relay === undefined ? BODY_KEY_COUNT - 1 : BODY_KEY_COUNT)) return undefined
  if (v !== 1 || typeof id !== 'string' || !REQUEST_ID.test(id)) return undefined
  if (!isShortText(collective) || !isShortText(agent) || !isShortText(action)) return undefined
  if (!isPlainObject(args) || Object.getPrototypeOf(args) !== Object.prototype || Object.hasOwn(args, '__proto__')) return undefined
  if (!isRequester(requester) || typeof caller !== 'string' || caller.length !== 44) return undefined
  if (typeof issued !== 'number' || !Number.isInteger(issued) || issued < 0) return undefined
  if (typeof ttl !== 'number' || !Number.isInteger(ttl) || ttl <= 0 || ttl > MAX_TTL_SECONDS) return undefined
  if (relay !== undefined && typeof relay !== 'boolean') return undefined
  const checked = validateFilter(filter)
  if (!checked.ok) return undefined
  return { v, id, collective, agent, action, args, filter: checked.filter, requester: { peer: requester.peer, addrs: requester.addrs }, caller, issued, ttl, ...(relay !== undefined ? { relay } : {}) }
}

/** Last instant (ms) at which a node may still accept the request. */
export function requestValidUntil (body: Pick<RequestBody, 'issued' | 'ttl'>): number {
  return body.issued + body.ttl * 1000 + CLOCK_SKEW_MS
}
