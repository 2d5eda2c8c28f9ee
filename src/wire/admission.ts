// The admission exchange, `/troupe/admit/2.0.0` (ADMIT_PROTOCOL): on every new connection each side sends one
// hello frame saying who it is and proving it, and reads back the other side's verdict.
//
//   hello:   {"v":1,"collective":"main","peer":"12D3…","role":"daemon",
//             "identity":"web01","enrollment":{"chain":[…],"sig":"…"}}      (enrolled nodes, bootstraps)
//            {"v":1,"collective":"main","peer":"12D3…","role":"requester",
//             "caller":{"key":"<base64>","sig":"<base64>"}}                   (requesters)
//   verdict: {"ok":true} | {"ok":false,"reason":"…"}
import { z } from 'zod'
import { jsonBytes, parseJsonBytes } from './canonical.js'
import { WireError } from './errors.js'

/** A hello with a four-certificate chain fits easily; anything larger is not a hello. */
export const MAX_HELLO_BYTES = 48 * 1024
export const MAX_VERDICT_BYTES = 2048

const helloSchema = z.object({
  v: z.literal(1),
  collective: z.string().min(1).max(128),
  peer: z.string().min(1).max(128),
  role: z.enum(['bootstrap', 'daemon', 'requester']),
  identity: z.string().min(1).max(256).optional(),
  enrollment: z.object({ chain: z.array(z.string().max(11_000)).min(1).max(4), sig: z.string().max(1400) }).strict().optional(),
  caller: z.object({ key: z.string().length(44), sig: z.string().max(100) }).strict().optional()
}).strict()

const verdictSchema = z.union([
  z.object({ ok: z.literal(true) }).strict(),
  z.object({ ok: z.literal(false), reason: z.string().max(1024) }).strict()
])

export type Hello = z.infer<typeof helloSchema>
export type Verdict = z.infer<typeof verdictSchema>

export function encodeHello (hello: Hello): Uint8Array {
  return jsonBytes(hello)
}

export function decodeHello (bytes: Uint8Array): Hello {
  return decoded(helloSchema, bytes, MAX_HELLO_BYTES, 'hello')
}

export function encodeVerdict (verdict: Verdict): Uint8Array {
  return jsonBytes(verdict)
}

export function decodeVerdict (bytes: Uint8Array): Verdict {
  return decoded(verdictSchema, bytes, MAX_VERDICT_BYTES, 'admission verdict')
}

function decoded<T> (schema: z.ZodType<T>, bytes: Uint8Array, maxBytes: number, what: string): T {
  if (bytes.length > maxBytes) throw new WireError('size', `${what} of ${bytes.length} bytes exceeds ${maxBytes}`)
  let raw: unknown
  try {
    raw = parseJsonBytes(bytes, 8)
  } catch (err) {
    throw new WireError('format', `${what}: ${(err as Error).message}`)
  }
  const parsed = schema.safeParse(raw)
  if (!parsed.success) throw new WireError('format', `${what} field '${parsed.error.issues[0]?.path.join('.') ?? '?'}' is invalid`)
  return parsed.data
}
