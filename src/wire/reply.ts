// A node's reply, sent to the requester over its direct reply stream (length-prefixed JSON).
// Noise authenticates the sending peer; the requester ties the reply to the request id and
// checks the identity against the peer that sent it.
import { z } from 'zod'
import { jsonBytes, parseJsonBytes } from './canonical.js'
import { WireError } from './errors.js'
import { MAX_REPLY_BYTES, REQUEST_ID } from './limits.js'

export const replySchema = z.object({
  v: z.literal(1),
  id: z.string().regex(REQUEST_ID),
  identity: z.string().min(1).max(256),
  status: z.number().int().min(0).max(5),
  statusmsg: z.string().max(4096),
  data: z.record(z.unknown())
}).strict()

export type Reply = z.infer<typeof replySchema>

export function encodeReply (reply: Reply): Uint8Array {
  let bytes = jsonBytes(reply)
  if (bytes.length > MAX_REPLY_BYTES) {
    bytes = jsonBytes({ ...reply, status: 5, statusmsg: `reply data of ${bytes.length} bytes exceeds the ${MAX_REPLY_BYTES}-byte limit`, data: {} })
  }
  return bytes
}

export function decodeReply (bytes: Uint8Array): Reply {
  if (bytes.length > MAX_REPLY_BYTES) throw new WireError('size', `reply of ${bytes.length} bytes exceeds ${MAX_REPLY_BYTES}`)
  let raw: unknown
  try {
    raw = parseJsonBytes(bytes)
  } catch (err) {
    throw new WireError('format', `reply: ${(err as Error).message}`)
  }
  // Checked by hand first: a requester takes a reply from every node of every request, and the
  // schema's walk (with its copies) was most of the decoding. Anything the quick check does not
  // take goes through the schema, which decides, and words the refusal.
  if (isPlainReply(raw)) return raw
  const parsed = replySchema.safeParse(raw)
  if (!parsed.success) throw new WireError('format', `reply field '${parsed.error.issues[0]?.path.join('.') ?? '?'}' is invalid`)
  return parsed.data
}

const REPLY_KEYS = ['v', 'id', 'identity', 'status', 'statusmsg', 'data']

/**
 * Whether a parsed reply passes replySchema as it is: every check of the schema, and nothing the
 * schema would have changed (it copies data without a "__proto__" key; JSON has no undefined).
 * Never true for a value the schema refuses; false for some it takes (they go through it).
 */
export function isPlainReply (value: unknown): value is Reply {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false
  const reply = value as Record<string, unknown>
  const keys = Object.keys(reply)
  if (keys.length !== REPLY_KEYS.length || !REPLY_KEYS.every(key => Object.hasOwn(reply, key))) return false
  const { v, id, identity, status, statusmsg, data } = reply
  return v === 1 &&
    typeof id === 'string' && REQUEST_ID.test(id) &&
    typeof identity === 'string' && identity.length >= 1 && identity.length <= 256 &&
    typeof status === 'number' && Number.isInteger(status) && status >= 0 && status <= 5 &&
    typeof statusmsg === 'string' && statusmsg.length <= 4096 &&
    typeof data === 'object' && data !== null && !Array.isArray(data) && Object.getPrototypeOf(data) === Object.prototype && !Object.hasOwn(data, '__proto__')
}
