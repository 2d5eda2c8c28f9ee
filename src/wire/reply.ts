// A node's reply, sent to the requester over its direct reply stream (length-prefixed JSON).
// Noise authenticates the sending peer; the requester ties the reply to the request id and
// checks the identity against the peer that sent it.
import { z } from 'zod'
import { jsonBytes, parseJsonBytes } from './canonical.js'
import { WireError } from './errors.js'
import { MAX_REPLY_BYTES } from './limits.js'

const replySchema = z.object({
  v: z.literal(1),
  id: z.string().regex(/^[0-9a-f]{32}$/),
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
  const parsed = replySchema.safeParse(raw)
  if (!parsed.success) throw new WireError('format', `reply field '${parsed.error.issues[0]?.path.join('.') ?? '?'}' is invalid`)
  return parsed.data
}
