// X.509 certificates as troupe reads them: PEM bundles, the chain from a node's certificate to the
// fleet's CA, and the name a certificate vouches for. Only node:crypto is used here (OpenSSL), so
// checking a certificate costs a parse and one signature check per link, and a daemon loads no
// certificate library. Making certificates (`troupe ca`) lives in ca.ts.
import { X509Certificate, type KeyObject } from 'node:crypto'
import { readFileSync } from 'node:fs'

/** A chain longer than this is refused unread: PE's is node <- intermediate <- root. */
export const MAX_CHAIN_CERTS = 4
/** One certificate's DER; a 4096-bit RSA certificate with Puppet's extensions is ~2 KiB. */
export const MAX_CERT_BYTES = 8 * 1024

export class CertificateError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'CertificateError'
  }
}

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g

/** Every certificate in a PEM file (a CA bundle may hold a root and intermediates). */
export function readPemCertificates (path: string, what: string): X509Certificate[] {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    throw new CertificateError(`cannot read ${what} ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`)
  }
  const blocks = text.match(PEM_BLOCK) ?? []
  if (blocks.length === 0) throw new CertificateError(`${what} ${path} holds no PEM certificate`)
  return blocks.map((block, index) => {
    try {
      return new X509Certificate(block)
    } catch (err) {
      throw new CertificateError(`${what} ${path}: certificate ${index + 1} cannot be read: ${(err as Error).message}`)
    }
  })
}

/** The common name a certificate was issued to (Puppet's certname), or undefined. */
export function commonName (cert: X509Certificate): string | undefined {
  for (const line of cert.subject.split('\n')) {
    if (line.startsWith('CN=')) return line.slice(3)
  }
  return undefined
}

export type ChainCheck = { ok: true, name: string, notAfter: number, publicKey: KeyObject } | { ok: false, reason: string }

/**
 * Checks that the first certificate was issued, through the others if needed, by one of the trust
 * anchors, that every link is within its validity period, and returns the name it vouches for.
 */
/** Whether a certificate issued by this issuer has been revoked (see crl.ts). */
export type RevocationCheck = (cert: X509Certificate, issuer: X509Certificate) => boolean

export function checkChain (chain: X509Certificate[], anchors: X509Certificate[], now = Date.now(), isRevoked: RevocationCheck = () => false): ChainCheck {
  const leaf = chain[0]
  if (leaf === undefined) return { ok: false, reason: 'no certificate' }
  if (chain.length > MAX_CHAIN_CERTS) return { ok: false, reason: `certificate chain of ${chain.length} exceeds ${MAX_CHAIN_CERTS}` }
  const name = commonName(leaf)
  if (name === undefined || name === '') return { ok: false, reason: 'certificate has no common name' }
  let notAfter = Infinity
  let current = leaf
  for (let links = 0; links <= MAX_CHAIN_CERTS; links++) {
    const validFrom = Date.parse(current.validFrom)
    const validTo = Date.parse(current.validTo)
    if (!(validFrom <= now)) return { ok: false, reason: `certificate '${commonName(current) ?? '?'}' is not valid before ${current.validFrom}` }
    if (!(now <= validTo)) return { ok: false, reason: `certificate '${commonName(current) ?? '?'}' expired on ${current.validTo}` }
    notAfter = Math.min(notAfter, validTo)
    const anchor = anchors.find(candidate => issuedBy(current, candidate))
    const issuer = anchor ?? chain.slice(1).find(candidate => candidate !== current && candidate.ca && issuedBy(current, candidate))
    if (issuer !== undefined && isRevoked(current, issuer)) return { ok: false, reason: `certificate '${commonName(current) ?? '?'}' (serial ${current.serialNumber}) is revoked` }
    if (anchor !== undefined) {
      if (!(Date.parse(anchor.validTo) >= now)) return { ok: false, reason: `the CA certificate expired on ${anchor.validTo}` }
      return { ok: true, name, notAfter: Math.min(notAfter, Date.parse(anchor.validTo)), publicKey: leaf.publicKey }
    }
    if (issuer === undefined) return { ok: false, reason: `certificate '${commonName(current) ?? '?'}' was not issued by the configured ca` }
    current = issuer
  }
  return { ok: false, reason: 'certificate chain does not end at the configured ca' }
}

function issuedBy (cert: X509Certificate, issuer: X509Certificate): boolean {
  if (!issuer.ca) return false
  try {
    return cert.checkIssued(issuer) && cert.verify(issuer.publicKey)
  } catch {
    return false
  }
}
