// What a peer requires of a registration before it lists the node: signed by the peer it
// describes (so no one can rewrite it on the way, in gossip or in a directory snapshot), for this
// collective, and, when the fleet has a CA, carrying a valid enrollment proof for its identity.
import { registrationSignatureValid, type Registration } from '../wire/registration.js'
import type { EnrollmentVerifier } from './enrollment.js'

/** Returns why a registration is refused, or undefined when it may be listed. */
export type RegistrationCheck = (registration: Registration, now?: number) => string | undefined

export function registrationCheck (options: { collective: string, enrollment?: EnrollmentVerifier }): RegistrationCheck {
  return (registration, now = Date.now()) => {
    if (registration.collective !== options.collective) return `registration is for collective '${registration.collective}', not '${options.collective}'`
    if (!registrationSignatureValid(registration)) return 'registration is not signed by the peer it describes'
    if (options.enrollment === undefined) return undefined
    const proof = options.enrollment.check(registration.proof, { identity: registration.identity, collective: registration.collective, peer: registration.peer }, now)
    return proof.ok ? undefined : `identity '${registration.identity}' not proven: ${proof.reason}`
  }
}
