// A node's notice that it acted on a request but could not deliver its reply: gossiped on the
// collective's undelivered topic (src/transport/topics.ts), signed by the node's peer key (`sig`,
// over the notice without it; gossipsub signs nothing itself). The requester it names reports the
// node as "acted, reply undeliverable" with the outcome's status, rather than "no response"
// (issue 12).
import { z } from 'zod'
import { domainBytes, jsonBytes, parseJsonBytes } from './canonical.js'
import { WireError } from './errors.js'
import { REQUEST_ID } from './limits.js'
import { verifyPeerSignature, type PeerSigner } from '../security/peer-signature.js'

export const MAX_NOTICE_BYTES = 8 * 1024

const noticeSchema = z.object({
  v: z.literal(1),
  id: z.string().regex(REQUEST_ID),
  identity: z.string().min(1).max(256),
  /** peer id of the requester the reply was for */
  requester: z.string().min(1).max(128),
  status: z.number().int().min(0).max(5),
  statusmsg: z.string().max(1024),
  /** peer id of the node that acted: the notice is signed by its key */
  peer: z.string().min(1).max(128),
  sig: z.string().max(100)
}).strict()

export type UndeliveredNotice = z.infer<typeof noticeSchema>
export type UnsignedNotice = Omit<UndeliveredNotice, 'sig'>

const NOTICE_DOMAIN = new TextEncoder().encode('troupe-undelivered-v1\0')

/** The notice, signed by the acting node's peer key (statusmsg cut to its bound first: what is signed is what is sent). */
export function encodeNotice (unsigned: UnsignedNotice, sign: PeerSigner): Uint8Array {
  const bounded = { ...unsigned, statusmsg: unsigned.statusmsg.slice(0, 1024) }
  return jsonBytes({ ...bounded, sig: Buffer.from(sign(domainBytes(NOTICE_DOMAIN, bounded))).toString('base64') })
}

/** True when the notice was signed by the peer it names. */
export function noticeSignedByItsPeer (notice: UndeliveredNotice): boolean {
  const { sig, ...unsigned } = notice
  return verifyPeerSignature(notice.peer, domainBytes(NOTICE_DOMAIN, unsigned), Buffer.from(sig, 'base64'))
}

export function decodeNotice (bytes: Uint8Array): UndeliveredNotice {
  if (bytes.length > MAX_NOTICE_BYTES) throw new WireError('size', `notice of ${bytes.length} bytes exceeds ${MAX_NOTICE_BYTES}`)
  let raw: unknown
  try {
    raw = parseJsonBytes(bytes)
  } catch {
    throw new WireError('format', 'notice is not UTF-8 JSON')
  }
  const parsed = noticeSchema.safeParse(raw)
  if (!parsed.success) throw new WireError('format', `notice field '${parsed.error.issues[0]?.path.join('.') ?? '?'}' is invalid`)
  return parsed.data
}
