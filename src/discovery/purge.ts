// `troupe directory purge NODE`: a dead node's directory entry is kept (and the node reported
// missing) until an operator says it is gone for good. The purge travels the mesh on its own
// topic, signed with the operator's caller key, so every peer (the bootstrap first, which would
// otherwise hand the entry back to every newcomer) forgets the entry.
//
// Who may purge: a peer with `authorized_keys` (daemons, the bootstrap) accepts a purge only from
// a key listed there. A peer without it (a requester agent) accepts any validly signed purge;
// that is safe because a purge never removes a live entry: a node that still beats stays, and a
// node heard from after the purge comes back.
import { z } from 'zod'
import { jsonBytes, parseJsonBytes } from '../wire/canonical.js'
import { signBytes, verifyBytes, type RequesterKey } from '../security/keys.js'

export function purgeTopic (collective: string): string {
  return `troupe/${collective}/purge`
}

const MAX_PURGE_BYTES = 4096
/** A purge is acted on only this close to when it was issued (a replayed one is dropped). */
export const PURGE_FRESH_MS = 5 * 60_000

const bodySchema = z.object({
  v: z.literal(1),
  kind: z.literal('purge'),
  collective: z.string().min(1).max(128),
  identity: z.string().min(1).max(256),
  peer: z.string().min(1).max(128),
  issued: z.number().int().nonnegative(),
  caller: z.string().min(1).max(64)
}).strict()

export type PurgeBody = z.infer<typeof bodySchema>

export function signPurge (body: Omit<PurgeBody, 'v' | 'kind' | 'caller'>, key: RequesterKey): Uint8Array {
  const full: PurgeBody = { v: 1, kind: 'purge', ...body, caller: key.publicKey }
  const bytes = jsonBytes(full)
  return jsonBytes({ body: Buffer.from(bytes).toString('base64'), sig: Buffer.from(signBytes(key, bytes)).toString('base64') })
}

/** The purge's body if its signature holds and it is fresh; a one-line reason otherwise. */
export function verifyPurge (bytes: Uint8Array, collective: string, now = Date.now()): PurgeBody | string {
  if (bytes.length > MAX_PURGE_BYTES) return 'purge message too large'
  let envelope: { body?: unknown, sig?: unknown }
  try {
    envelope = parseJsonBytes(bytes) as { body?: unknown, sig?: unknown }
  } catch {
    return 'purge message is not JSON'
  }
  if (typeof envelope?.body !== 'string' || typeof envelope.sig !== 'string') return 'purge message has no body or signature'
  const bodyBytes = Buffer.from(envelope.body, 'base64')
  let body: PurgeBody
  try {
    const parsed = bodySchema.safeParse(parseJsonBytes(bodyBytes))
    if (!parsed.success) return 'purge body is malformed'
    body = parsed.data
  } catch {
    return 'purge body is not JSON'
  }
  if (!verifyBytes(body.caller, bodyBytes, Buffer.from(envelope.sig, 'base64'))) return 'purge signature does not verify'
  if (body.collective !== collective) return `purge is for collective ${body.collective}`
  if (Math.abs(now - body.issued) > PURGE_FRESH_MS) return 'purge is not fresh'
  return body
}
