// A node's registration: who it is and what it serves, gossiped on the collective's registry
// topic and kept by every peer in its directory. Gossipsub signs it with the sender's peer key
// (StrictSign); receivers check that the claimed peer id is the signer.
import { z } from 'zod'
import { jsonBytes, parseJsonBytes } from './canonical.js'
import { WireError } from './errors.js'
import { MAX_REGISTRATION_BYTES } from './limits.js'

const registrationSchema = z.object({
  v: z.literal(1),
  kind: z.enum(['announce', 'leave']),
  identity: z.string().min(1).max(256),
  peer: z.string().min(1).max(128),
  addrs: z.array(z.string().max(512)).max(32),
  agents: z.array(z.string().max(256)).max(256),
  classes: z.array(z.string().max(512)).max(4096),
  facts: z.record(z.unknown()),
  facts_truncated: z.boolean().optional(),
  version: z.string().max(64),
  started: z.number().int().nonnegative(),
  /** seconds until the next announce; the directory expires an entry after three missed ones */
  interval: z.number().positive().max(3600),
  seq: z.number().int().nonnegative()
}).strict()

export type Registration = z.infer<typeof registrationSchema>

/** Encodes, dropping facts (and saying so) when they would exceed the size limit. */
export function encodeRegistration (registration: Registration): Uint8Array {
  const bytes = jsonBytes(registration)
  if (bytes.length <= MAX_REGISTRATION_BYTES) return bytes
  return jsonBytes({ ...registration, facts: {}, facts_truncated: true })
}

export function decodeRegistration (bytes: Uint8Array): Registration {
  if (bytes.length > MAX_REGISTRATION_BYTES) throw new WireError('size', `registration of ${bytes.length} bytes exceeds ${MAX_REGISTRATION_BYTES}`)
  let raw: unknown
  try {
    raw = parseJsonBytes(bytes)
  } catch {
    throw new WireError('format', 'registration is not UTF-8 JSON')
  }
  return parseRegistration(raw)
}

export function parseRegistration (raw: unknown): Registration {
  const parsed = registrationSchema.safeParse(raw)
  if (!parsed.success) throw new WireError('format', `registration field '${parsed.error.issues[0]?.path.join('.') ?? '?'}' is invalid`)
  return parsed.data
}
