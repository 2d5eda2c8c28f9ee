// Certificate revocation lists: how a compromised node is cut off. On Puppet Enterprise the CA
// publishes one (`puppetserver ca revoke`, then Puppet copies it to every agent as crl.pem); for a
// troupe CA, `troupe ca revoke` writes one. A CRL is believed only when one of the trust anchors
// signed it, and a revocation applies to certificates issued by that same anchor: serial numbers
// are only unique per issuer (Puppet's root and intermediate both count from 1).
import { X509Certificate, verify, createHash } from 'node:crypto'
import { readFileSync, watch, type FSWatcher } from 'node:fs'
import { basename, dirname } from 'node:path'
import { AsnConvert } from '@peculiar/asn1-schema'
import { CertificateList } from '@peculiar/asn1-x509'

/** OpenSSL and Puppet write "X509 CRL"; some tools write "CRL". */
const PEM_BLOCK = /-----BEGIN (?:X509 )?CRL-----([\s\S]+?)-----END (?:X509 )?CRL-----/g
/** The signature algorithms CAs use, by OID, as node:crypto names their digest (null: Ed25519). */
const DIGESTS: Record<string, string | null> = {
  '1.2.840.113549.1.1.11': 'sha256',
  '1.2.840.113549.1.1.12': 'sha384',
  '1.2.840.113549.1.1.13': 'sha512',
  '1.2.840.113549.1.1.5': 'sha1',
  '1.2.840.10045.4.3.2': 'sha256',
  '1.2.840.10045.4.3.3': 'sha384',
  '1.2.840.10045.4.3.4': 'sha512',
  '1.3.101.112': null
}

/** Which certificates are revoked: by the issuer that signed them and their serial number. */
export class Revocations {
  constructor (private readonly revoked: Set<string> = new Set()) {}

  static key (issuer: X509Certificate, serial: string): string {
    return `${issuer.fingerprint256}/${normalizeSerial(serial)}`
  }

  isRevoked (cert: X509Certificate, issuer: X509Certificate): boolean {
    return this.revoked.has(Revocations.key(issuer, cert.serialNumber))
  }

  get size (): number {
    return this.revoked.size
  }

  /** These revocations and another list's. */
  with (other: Revocations): Revocations {
    return new Revocations(new Set([...this.revoked, ...other.revoked]))
  }
}

function normalizeSerial (hex: string): string {
  return hex.toUpperCase().replace(/^0+(?=.)/, '')
}

/**
 * Reads every CRL in a PEM file and keeps the revocations of those a trust anchor signed.
 * Returns the problems (a CRL no anchor signed, an unreadable block) for the log.
 */
export function readRevocations (text: string, path: string, anchors: X509Certificate[]): { revocations: Revocations, problems: string[] } {
  const revoked = new Set<string>()
  const problems: string[] = []
  const blocks = [...text.matchAll(PEM_BLOCK)]
  for (const [index, match] of blocks.entries()) {
    try {
      const der = Buffer.from((match[1] ?? '').replace(/\s+/g, ''), 'base64')
      const crl = AsnConvert.parse(der, CertificateList)
      const digest = DIGESTS[crl.signatureAlgorithm.algorithm]
      if (digest === undefined) {
        problems.push(`${path}: CRL ${index + 1} uses signature algorithm ${crl.signatureAlgorithm.algorithm}, which troupe does not check`)
        continue
      }
      const tbs = Buffer.from(crl.tbsCertListRaw ?? AsnConvert.serialize(crl.tbsCertList))
      const signature = Buffer.from(crl.signature)
      const issuer = anchors.find(anchor => {
        try { return verify(digest, tbs, anchor.publicKey, signature) } catch { return false }
      })
      if (issuer === undefined) {
        problems.push(`${path}: CRL ${index + 1} is not signed by the configured ca; ignored`)
        continue
      }
      for (const entry of crl.tbsCertList.revokedCertificates ?? []) {
        revoked.add(Revocations.key(issuer, Buffer.from(entry.userCertificate).toString('hex')))
      }
    } catch (err) {
      problems.push(`${path}: CRL ${index + 1} cannot be read: ${(err as Error).message.split('\n')[0] ?? ''}`)
    }
  }
  if (blocks.length === 0 && text.trim() !== '') problems.push(`${path} holds no PEM CRL (-----BEGIN X509 CRL-----)`)
  return { revocations: new Revocations(revoked), problems }
}

/**
 * The live CRL: re-read when the file changes (Puppet rewrites crl.pem on its runs), with a
 * callback so that peers already admitted and nodes already listed are checked again.
 * A CRL that disappears or cannot be read keeps the last good one: revocations are not undone
 * by a broken file.
 */
export class CrlStore {
  private current = new Revocations()
  private digest = ''
  private watcher: FSWatcher | undefined
  private timer: NodeJS.Timeout | undefined
  private readonly listeners: Array<() => void> = []

  constructor (private readonly path: string, private readonly anchors: X509Certificate[], private readonly warn: (message: string) => void) {}

  start (): void {
    this.reload()
    const file = basename(this.path)
    try {
      this.watcher = watch(dirname(this.path), (_event, changed) => {
        if (changed !== null && changed !== file) return
        clearTimeout(this.timer)
        this.timer = setTimeout(() => this.reload(), 50)
      })
      this.watcher.on('error', err => this.warn(`cannot watch ${this.path}: ${err.message}`))
    } catch (err) {
      this.warn(`cannot watch ${this.path}: ${(err as Error).message}`)
    }
  }

  stop (): void {
    this.watcher?.close()
    clearTimeout(this.timer)
  }

  get revocations (): Revocations {
    return this.current
  }

  onChange (listener: () => void): void {
    this.listeners.push(listener)
  }

  reload (): void {
    let text: string
    try {
      text = readFileSync(this.path, 'utf8')
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      if (code !== 'ENOENT' || this.current.size > 0) this.warn(`cannot read crl ${this.path}: ${code ?? String(err)}${this.current.size > 0 ? '; keeping the revocations read before' : ''}`)
      return
    }
    const digest = createHash('sha256').update(text).digest('hex')
    if (digest === this.digest) return
    const { revocations, problems } = readRevocations(text, this.path, this.anchors)
    for (const problem of problems) this.warn(problem)
    this.digest = digest
    // A broken, foreign or emptied file never undoes a revocation read before; what it does revoke is added.
    const broken = problems.length > 0 || text.trim() === ''
    if (broken && this.current.size > 0) this.warn(`crl ${this.path} ${problems.length > 0 ? 'has problems' : 'is empty'}; keeping the revocations read before`)
    this.current = broken ? this.current.with(revocations) : revocations
    for (const listener of this.listeners) listener()
  }
}
