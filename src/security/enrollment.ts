// Node identity. A node is who its certificate from the fleet's CA says (Puppet's CA on Puppet
// Enterprise, `troupe ca` elsewhere). It proves it by an enrollment proof: its certificate chain
// and a signature, made with the certificate's key, over the identity, the collective and the
// libp2p peer id it runs as. Every peer checks the proof before it lists, selects or believes a
// node, and before it admits a connection; because the peer id is authenticated on every
// connection (noise) and every registration (its signature), a proof copied by another peer
// proves nothing.
import { X509Certificate, createPrivateKey, createHash, sign, verify, type KeyObject } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { jsonBytes } from '../wire/canonical.js'
import { CertificateError, MAX_CERT_BYTES, MAX_CHAIN_CERTS, checkChain, readPemCertificates } from './certificates.js'
import type { Revocations } from './crl.js'

export interface EnrollmentProof {
  /** base64 DER certificates, the node's first, then any intermediates */
  chain: string[]
  /** base64 signature by the certificate's key over the binding (see bindingBytes) */
  sig: string
}

export interface Binding {
  identity: string
  collective: string
  peer: string
}

const DOMAIN = 'troupe-enroll-v1\0'
const MAX_SIGNATURE_BYTES = 1024

function bindingBytes (binding: Binding): Uint8Array {
  const body = jsonBytes({ collective: binding.collective, identity: binding.identity, peer: binding.peer })
  const out = new Uint8Array(DOMAIN.length + body.length)
  out.set(new TextEncoder().encode(DOMAIN))
  out.set(body, DOMAIN.length)
  return out
}

/** The digest each key type signs with: RSA and EC keys sign SHA-256, Ed25519 signs the message. */
function digestFor (key: KeyObject): string | null {
  return key.asymmetricKeyType === 'ed25519' || key.asymmetricKeyType === 'ed448' ? null : 'sha256'
}

/** This node's certificate and key, checked against the CA once at start-up. */
export class NodeCertificate {
  private constructor (readonly identity: string, private readonly chain: string[], private readonly key: KeyObject, readonly notAfter: number) {}

  /**
   * Loads `cert` and `cert_key` and checks them: issued by `ca`, valid now, the key matching the
   * certificate, and naming the configured identity (when one is configured). Throws
   * CertificateError with a line saying what to fix.
   */
  static load (options: { certPath: string, keyPath: string, anchors: X509Certificate[], identity?: string }): NodeCertificate {
    const chain = readPemCertificates(options.certPath, 'cert')
    const check = checkChain(chain, options.anchors)
    if (!check.ok) throw new CertificateError(`cert ${options.certPath}: ${check.reason}`)
    if (options.identity !== undefined && options.identity !== check.name) {
      throw new CertificateError(`cert ${options.certPath} is issued to '${check.name}', but identity is '${options.identity}': a node is who its certificate says (remove identity, or use that node's certificate)`)
    }
    let key: KeyObject
    try {
      key = createPrivateKey(readFileSync(options.keyPath))
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      throw new CertificateError(`cert_key ${options.keyPath}: ${code !== undefined && !code.startsWith('ERR_') ? code : 'not a PEM private key'}`)
    }
    const probe = new TextEncoder().encode('troupe key check')
    if (!verify(digestFor(check.publicKey), probe, check.publicKey, sign(digestFor(key), probe, key))) {
      throw new CertificateError(`cert_key ${options.keyPath} is not the key of cert ${options.certPath}`)
    }
    return new NodeCertificate(check.name, chain.map(cert => cert.raw.toString('base64')), key, check.notAfter)
  }

  proof (binding: Omit<Binding, 'identity'>): EnrollmentProof {
    const signature = sign(digestFor(this.key), bindingBytes({ ...binding, identity: this.identity }), this.key)
    return { chain: this.chain, sig: signature.toString('base64') }
  }
}

export type ProofCheck = { ok: true, notAfter: number } | { ok: false, reason: string }

const MAX_CACHED = 10_000

/**
 * Checks enrollment proofs against the trust anchors. Results are cached by the proof and the
 * binding it is checked for (a node's proof is the same in every message it sends), so a peer's
 * repeated registrations cost one map lookup; the cache is bounded.
 */
export class EnrollmentVerifier {
  private readonly cache = new Map<string, ProofCheck>()

  /** revocations: the live CRL, when one is configured */
  constructor (readonly anchors: X509Certificate[], private readonly revocations?: () => Revocations) {}

  static fromFile (caPath: string): EnrollmentVerifier {
    return new EnrollmentVerifier(readPemCertificates(caPath, 'ca'))
  }

  /** Forgets every cached result (the CRL changed). */
  reset (): void {
    this.cache.clear()
  }

  check (proof: unknown, binding: Binding, now = Date.now()): ProofCheck {
    if (!isProofShape(proof)) return { ok: false, reason: 'no enrollment proof (a certificate from the fleet\'s ca)' }
    const key = createHash('sha256').update(proof.sig).update('\0').update(binding.peer).update('\0').update(binding.collective).update('\0').update(binding.identity).update('\0').update(proof.chain.join(',')).digest('base64')
    let result = this.cache.get(key)
    if (result === undefined) {
      result = this.checkUncached(proof, binding)
      if (this.cache.size >= MAX_CACHED) this.cache.delete(this.cache.keys().next().value as string)
      this.cache.set(key, result)
    }
    if (result.ok && result.notAfter < now) return { ok: false, reason: 'certificate expired' }
    return result
  }

  private checkUncached (proof: EnrollmentProof, binding: Binding): ProofCheck {
    let chain: X509Certificate[]
    try {
      chain = proof.chain.map(der => new X509Certificate(Buffer.from(der, 'base64')))
    } catch {
      return { ok: false, reason: 'enrollment certificate cannot be read' }
    }
    const revocations = this.revocations?.()
    const check = checkChain(chain, this.anchors, Date.now(), revocations !== undefined ? (cert, issuer) => revocations.isRevoked(cert, issuer) : undefined)
    if (!check.ok) return check
    if (check.name !== binding.identity) return { ok: false, reason: `certificate is issued to '${check.name}', not '${binding.identity}'` }
    let valid = false
    try {
      valid = verify(digestFor(check.publicKey), bindingBytes(binding), check.publicKey, Buffer.from(proof.sig, 'base64'))
    } catch {
      valid = false
    }
    if (!valid) return { ok: false, reason: `enrollment signature does not bind '${binding.identity}' to this peer and collective` }
    return { ok: true, notAfter: check.notAfter }
  }
}

/** Shape and size only: what is cheap to refuse before any certificate is parsed. */
function isProofShape (value: unknown): value is EnrollmentProof {
  if (typeof value !== 'object' || value === null) return false
  const { chain, sig } = value as { chain?: unknown, sig?: unknown }
  if (typeof sig !== 'string' || sig.length === 0 || sig.length > MAX_SIGNATURE_BYTES * 4 / 3 + 4) return false
  if (!Array.isArray(chain) || chain.length === 0 || chain.length > MAX_CHAIN_CERTS) return false
  return chain.every(der => typeof der === 'string' && der.length > 0 && der.length <= MAX_CERT_BYTES * 4 / 3 + 4)
}

export { CertificateError }
