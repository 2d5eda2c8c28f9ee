// What a node says of itself on the collective's registry topic, and what every peer keeps in its
// directory. Each message is signed by the node's own peer key (`sig`), and receivers check it
// against the peer id the message names: gossipsub signs nothing itself (StrictNoSign,
// src/transport/libp2p-settings.ts), and a full registration is passed on again in directory
// snapshots, where no gossip envelope would protect it anyway. A full registration also carries
// the node's enrollment proof (its certificate from the fleet's CA, bound to this peer id).
//
// Two messages: the full registration (who it is, what it serves, its facts), sent when the node
// starts and whenever that changes; and the beat, a few hundred bytes that say "still here, at
// revision R" on every interval. A fleet's steady traffic is beats: facts travel once per change,
// not once per interval (facter facts are tens of KiB per node).
import { z } from 'zod'
import { domainBytes, jsonBytes, parseJsonBytes } from './canonical.js'
import { WireError } from './errors.js'
import { MAX_REGISTRATION_BYTES } from './limits.js'
import { verifyPeerSignature, type PeerSigner } from '../security/peer-signature.js'

const common = {
  v: z.literal(1),
  identity: z.string().min(1).max(256),
  peer: z.string().min(1).max(128),
  /** when the node's process started (ms): a restarted node's messages supersede the old ones */
  started: z.number().int().nonnegative(),
  /** orders the messages of one run of a node */
  seq: z.number().int().nonnegative(),
  /** seq of the full registration that last changed what the node says of itself */
  rev: z.number().int().nonnegative(),
  /** seconds until the next beat; the directory expires an entry after three missed ones */
  interval: z.number().positive().max(86_400),
  /** where the node listens: a peer that lacks its registration fetches it from there */
  addrs: z.array(z.string().max(512)).max(32)
}

const proofSchema = z.object({
  chain: z.array(z.string().max(11_000)).min(1).max(4),
  sig: z.string().max(1400)
}).strict()

const registrationSchema = z.object({
  ...common,
  kind: z.enum(['announce', 'leave']),
  collective: z.string().min(1).max(128),
  /** the node's certificate chain and its signature binding identity, collective and peer id */
  proof: proofSchema.optional(),
  /** base64 Ed25519 signature by the peer key over the registration without this field */
  sig: z.string().max(100),
  agents: z.array(z.string().max(256)).max(256),
  classes: z.array(z.string().max(512)).max(4096),
  facts: z.record(z.unknown()),
  facts_truncated: z.boolean().optional(),
  version: z.string().max(64)
}).strict()

const beatSchema = z.object({
  ...common,
  kind: z.literal('beat'),
  /** base64 Ed25519 signature by the peer key over the beat without this field */
  sig: z.string().max(100)
}).strict()

export type Registration = z.infer<typeof registrationSchema>
export type UnsignedRegistration = Omit<Registration, 'sig'>
export type Beat = z.infer<typeof beatSchema>
export type UnsignedBeat = Omit<Beat, 'sig'>
export type RegistryMessage = Registration | Beat

const REGISTRATION_DOMAIN = new TextEncoder().encode('troupe-registration-v1\0')
const BEAT_DOMAIN = new TextEncoder().encode('troupe-beat-v1\0')

function signedBytes (registration: UnsignedRegistration): Uint8Array {
  return domainBytes(REGISTRATION_DOMAIN, registration)
}

/**
 * Signs a registration with the node's peer key, dropping facts (and saying so) when it would
 * exceed the size limit: what is signed is what is sent.
 */
export function signRegistration (unsigned: UnsignedRegistration, sign: PeerSigner): Registration {
  const sized = jsonBytes(unsigned).length + 200 > MAX_REGISTRATION_BYTES ? { ...unsigned, facts: {}, facts_truncated: true } : unsigned
  return { ...sized, sig: Buffer.from(sign(signedBytes(sized))).toString('base64') }
}

/**
 * Registrations whose signature was found valid. troupe never changes a registration once it is
 * parsed or signed (a change is a new object), so one found valid stays so: a gossiped
 * registration is checked by the topic validator and again before the directory takes it, and
 * the second check is now a lookup.
 */
const validSignatures = new WeakSet<Registration>()

/** True when the registration was signed by the peer it describes. */
export function registrationSignatureValid (registration: Registration): boolean {
  if (validSignatures.has(registration)) return true
  const { sig, ...unsigned } = registration
  const valid = verifyPeerSignature(registration.peer, signedBytes(unsigned), Buffer.from(sig, 'base64'))
  if (valid) validSignatures.add(registration)
  return valid
}

export function signBeat (unsigned: UnsignedBeat, sign: PeerSigner): Beat {
  return { ...unsigned, sig: Buffer.from(sign(domainBytes(BEAT_DOMAIN, unsigned))).toString('base64') }
}

/** True when the message (a beat or a registration) was signed by the peer it names. */
export function signedByItsPeer (message: RegistryMessage): boolean {
  if (message.kind !== 'beat') return registrationSignatureValid(message)
  const { sig, ...unsigned } = message
  return verifyPeerSignature(message.peer, domainBytes(BEAT_DOMAIN, unsigned), Buffer.from(sig, 'base64'))
}

export function encodeRegistryMessage (message: RegistryMessage): Uint8Array {
  return jsonBytes(message)
}

export function decodeRegistryMessage (bytes: Uint8Array): RegistryMessage {
  if (bytes.length > MAX_REGISTRATION_BYTES) throw new WireError('size', `registry message of ${bytes.length} bytes exceeds ${MAX_REGISTRATION_BYTES}`)
  let raw: unknown
  try {
    raw = parseJsonBytes(bytes)
  } catch (err) {
    throw new WireError('format', `registry message: ${(err as Error).message}`)
  }
  if (typeof raw === 'object' && raw !== null && (raw as { kind?: unknown }).kind === 'beat') return checked(beatSchema, raw, 'beat')
  return parseRegistration(raw)
}

export function parseRegistration (raw: unknown): Registration {
  return checked(registrationSchema, raw, 'registration')
}

function checked<T> (schema: z.ZodType<T>, raw: unknown, what: string): T {
  const parsed = schema.safeParse(raw)
  if (!parsed.success) throw new WireError('format', `${what} field '${parsed.error.issues[0]?.path.join('.') ?? '?'}' is invalid`)
  return parsed.data
}
