// What a mesh member proves about itself and checks of others, from its config: the fleet's CA
// (`ca`), this node's certificate (`cert`, `cert_key`) and, for requesters, the caller key.
// Problems are ConfigErrors that say what to fix.
import type { LoadedConfig } from '../config/load.js'
import { ConfigError } from '../config/load.js'
import { CertificateError, readPemCertificates } from '../security/certificates.js'
import { CrlStore } from '../security/crl.js'
import { EnrollmentVerifier, NodeCertificate } from '../security/enrollment.js'
import { readRequesterKey, type RequesterKey, KeyError } from '../security/keys.js'
import type { MeshRole } from '../security/admission-policy.js'

export interface MeshCredentials {
  /** checks other nodes' certificates; undefined in lab mode (no `ca`) */
  verifier?: EnrollmentVerifier
  /** this node's certificate (daemons and bootstraps with a `ca`) */
  certificate?: NodeCertificate
  /** the caller key a requester is admitted with */
  callerKey?: RequesterKey
  /** the live certificate revocation list (`crl`), when one is configured */
  crl?: CrlStore
}

/** warn: where problems of the CRL go (it is re-read while the peer runs) */
export function loadCredentials (config: LoadedConfig, role: MeshRole, callerKeyPath?: string, warn: (message: string) => void = () => {}): MeshCredentials {
  try {
    const credentials: MeshCredentials = {}
    if (config.ca === undefined) {
      if (config.cert !== undefined || config.cert_key !== undefined || config.crl !== undefined) throw new ConfigError(`${config.file}: cert, cert_key and crl need ca (the CA that issued them) to be set too`)
    } else {
      const anchors = readPemCertificates(config.ca, 'ca')
      if (config.crl !== undefined) {
        const crl = new CrlStore(config.crl, anchors, message => { warn(message) })
        credentials.crl = crl
        credentials.verifier = new EnrollmentVerifier(anchors, () => crl.revocations)
      } else {
        credentials.verifier = new EnrollmentVerifier(anchors)
      }
      if (role !== 'requester') {
        if (config.cert === undefined || config.cert_key === undefined) {
          throw new ConfigError(`${config.file}: with ca set, a ${role} needs cert and cert_key: its certificate from that CA and the certificate's key (on Puppet: the agent's certname certificate; elsewhere: troupe ca issue)`)
        }
        const certificate = NodeCertificate.load({ certPath: config.cert, keyPath: config.cert_key, anchors: credentials.verifier.anchors, identity: role === 'daemon' ? config.identity : undefined })
        credentials.certificate = certificate
      }
    }
    if (role === 'requester' && callerKeyPath !== undefined) credentials.callerKey = readRequesterKey(callerKeyPath)
    return credentials
  } catch (err) {
    if (err instanceof CertificateError || err instanceof KeyError) throw new ConfigError(err.message)
    throw err
  }
}
