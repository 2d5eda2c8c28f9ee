// Who may take part in the mesh. A peer is admitted when it proves, on the connection, that it
// is an enrolled node (a certificate from the fleet's CA bound to its peer id) or a requester
// holding a caller key this peer authorizes; and always only within one collective. Without a CA
// (lab mode) identities cannot be checked and every peer of the collective is admitted.
import { jsonBytes } from '../wire/canonical.js'
import type { Hello } from '../wire/admission.js'
import type { EnrollmentProof, EnrollmentVerifier } from './enrollment.js'
import { signBytes, verifyBytes, type RequesterKey } from './keys.js'

export type MeshRole = Hello['role']

/** What an admitted peer proved itself to be. */
export type Admitted =
  | { kind: 'node', identity: string }
  | { kind: 'caller', name: string, key: string }
  /** lab mode: nothing was proven */
  | { kind: 'unverified', role: MeshRole }

export type AdmissionDecision = { ok: true, as: Admitted } | { ok: false, reason: string }

const CALLER_DOMAIN = 'troupe-admit-v1\0'

function callerBinding (collective: string, peer: string): Uint8Array {
  const body = jsonBytes({ collective, peer })
  const out = new Uint8Array(CALLER_DOMAIN.length + body.length)
  out.set(new TextEncoder().encode(CALLER_DOMAIN))
  out.set(body, CALLER_DOMAIN.length)
  return out
}

export interface OwnCredentials {
  role: MeshRole
  collective: string
  peer: string
  /** enrolled nodes and bootstraps */
  enrollment?: { identity: string, proof: EnrollmentProof }
  /** requesters */
  callerKey?: RequesterKey
}

export function helloFor (own: OwnCredentials): Hello {
  const hello: Hello = { v: 1, collective: own.collective, peer: own.peer, role: own.role }
  if (own.enrollment !== undefined) {
    hello.identity = own.enrollment.identity
    hello.enrollment = own.enrollment.proof
  }
  if (own.callerKey !== undefined) {
    hello.caller = { key: own.callerKey.publicKey, sig: Buffer.from(signBytes(own.callerKey, callerBinding(own.collective, own.peer))).toString('base64') }
  }
  return hello
}

export interface AdmissionPolicyOptions {
  collective: string
  /** the fleet's CA; undefined is lab mode */
  enrollment?: EnrollmentVerifier
  /** the caller name of an authorized key (daemons, bootstraps); requesters admit no callers */
  callerName?: (key: string) => string | undefined
}

export class AdmissionPolicy {
  constructor (private readonly options: AdmissionPolicyOptions) {}

  get labMode (): boolean {
    return this.options.enrollment === undefined
  }

  /** Decides on a hello received over a connection authenticated (by noise) as remotePeer. */
  decide (hello: Hello, remotePeer: string, now = Date.now()): AdmissionDecision {
    if (hello.peer !== remotePeer) return { ok: false, reason: 'hello names another peer than the connection\'s' }
    if (hello.collective !== this.options.collective) return { ok: false, reason: `collective '${hello.collective}' is not this peer's ('${this.options.collective}')` }
    const enrollment = this.options.enrollment
    if (enrollment === undefined) return { ok: true, as: { kind: 'unverified', role: hello.role } }
    const reasons: string[] = []
    if (hello.enrollment !== undefined && hello.identity !== undefined) {
      const check = enrollment.check(hello.enrollment, { identity: hello.identity, collective: hello.collective, peer: remotePeer }, now)
      if (check.ok) return { ok: true, as: { kind: 'node', identity: hello.identity } }
      reasons.push(`enrollment of '${hello.identity}' refused: ${check.reason}`)
    }
    if (hello.caller !== undefined) {
      const name = this.options.callerName?.(hello.caller.key)
      if (name === undefined) {
        reasons.push(this.options.callerName === undefined ? 'this peer admits only enrolled nodes' : 'caller key is not in authorized_keys here')
      } else if (!verifyBytes(hello.caller.key, callerBinding(hello.collective, remotePeer), Buffer.from(hello.caller.sig, 'base64'))) {
        reasons.push('caller signature does not verify')
      } else {
        return { ok: true, as: { kind: 'caller', name, key: hello.caller.key } }
      }
    }
    if (reasons.length === 0) reasons.push(hello.role === 'requester' ? 'no caller key presented' : 'no enrollment presented (cert and cert_key from the fleet\'s ca)')
    return { ok: false, reason: reasons.join('; ') }
  }
}
