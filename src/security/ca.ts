// `troupe ca`: a certificate authority for fleets without Puppet (on Puppet Enterprise, nodes
// already hold certificates from Puppet's CA). Ed25519 keys; the CA key never leaves DIR.
// Certificates are made with @peculiar/x509, which needs the reflect-metadata polyfill: both are
// loaded only by this module, never by a daemon.
import 'reflect-metadata'
import * as x509 from '@peculiar/x509'
import { webcrypto, randomBytes, createPrivateKey } from 'node:crypto'
import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { CertificateError } from './certificates.js'

type CryptoKey = webcrypto.CryptoKey
type CryptoKeyPair = webcrypto.CryptoKeyPair

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0])

const ALGORITHM = { name: 'Ed25519' }
const DAY_MS = 86_400_000
export const CA_CERT_FILE = 'ca.crt'
const CA_KEY_FILE = 'ca.key'
/** one line per certificate issued: "<serial hex> <identity>" */
const ISSUED_FILE = 'issued.txt'
/** one line per certificate revoked: "<serial hex> <identity> <ISO time>" */
const REVOKED_FILE = 'revoked.txt'
export const CRL_FILE = 'crl.pem'
/** Identities are host names: what a certificate's common name may hold. */
const IDENTITY = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/

export interface IssuedFiles {
  cert: string
  key: string
}

function serialNumber (): string {
  // Positive, 16 random bytes (RFC 5280 allows up to 20).
  const bytes = randomBytes(16)
  bytes[0] = (bytes[0] ?? 0) & 0x7f
  return bytes.toString('hex')
}

function pemKey (pkcs8: ArrayBuffer): string {
  return createPrivateKey({ key: Buffer.from(pkcs8), format: 'der', type: 'pkcs8' }).export({ format: 'pem', type: 'pkcs8' }).toString()
}

function writeNew (path: string, text: string, mode: number): void {
  try {
    writeFileSync(path, text, { mode, flag: 'wx' })
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    throw new CertificateError(code === 'EEXIST' ? `${path} already exists; move it away first` : `cannot write ${path}: ${code ?? String(err)}`)
  }
}

/** Creates DIR/ca.crt and DIR/ca.key (0600). */
export async function initCa (dir: string, name = 'troupe CA', years = 10): Promise<string> {
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  if (existsSync(join(dir, CA_KEY_FILE))) throw new CertificateError(`${join(dir, CA_KEY_FILE)} already exists: this directory already holds a CA`)
  const keys = await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']) as CryptoKeyPair
  const now = Date.now()
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    name: `CN=${name.replace(/[,=+<>#;"\\]/g, ' ')}`,
    notBefore: new Date(now - DAY_MS),
    notAfter: new Date(now + years * 365 * DAY_MS),
    keys,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true)
    ]
  })
  writeNew(join(dir, CA_KEY_FILE), pemKey(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)), 0o600)
  writeNew(join(dir, CA_CERT_FILE), cert.toString('pem') + '\n', 0o644)
  return join(dir, CA_CERT_FILE)
}

/** Issues a certificate for one identity: OUT/NAME.crt and OUT/NAME.key (0600). */
export async function issueCertificate (caDir: string, identity: string, outDir: string, days = 5 * 365): Promise<IssuedFiles> {
  if (!IDENTITY.test(identity)) throw new CertificateError(`identity '${identity}' must be a host name: letters, digits, dot, dash, underscore`)
  const { caCert, caKey } = await openCa(caDir)
  const keys = await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']) as CryptoKeyPair
  const now = Date.now()
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serialNumber(),
    subject: `CN=${identity}`,
    issuer: caCert.subject,
    notBefore: new Date(now - DAY_MS),
    notAfter: new Date(Math.min(now + days * DAY_MS, caCert.notAfter.getTime())),
    signingKey: caKey,
    publicKey: keys.publicKey,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: identity }])
    ]
  })
  mkdirSync(outDir, { recursive: true, mode: 0o700 })
  const files = { cert: join(outDir, `${identity}.crt`), key: join(outDir, `${identity}.key`) }
  writeNew(files.key, pemKey(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)), 0o600)
  writeNew(files.cert, cert.toString('pem') + '\n', 0o644)
  appendFileSync(join(caDir, ISSUED_FILE), `${cert.serialNumber} ${identity}\n`, { mode: 0o600 })
  return files
}

/**
 * Revokes every certificate issued to an identity and writes DIR/crl.pem, the list every peer
 * reads as `crl`. Returns the CRL's path and how many certificates it now revokes.
 */
export async function revokeCertificates (caDir: string, identity: string): Promise<{ crl: string, revoked: number }> {
  const { caCert, caKey } = await openCa(caDir)
  const lines = (path: string): string[][] => existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter(line => line !== '').map(line => line.split(' ')) : []
  const serials = lines(join(caDir, ISSUED_FILE)).filter(([, name]) => name === identity).map(([serial]) => serial ?? '')
  if (serials.length === 0) throw new CertificateError(`${caDir} has issued no certificate to '${identity}'`)
  const already = new Set(lines(join(caDir, REVOKED_FILE)).map(([serial]) => serial))
  const now = new Date()
  for (const serial of serials) if (!already.has(serial)) appendFileSync(join(caDir, REVOKED_FILE), `${serial} ${identity} ${now.toISOString()}\n`, { mode: 0o600 })
  const entries = lines(join(caDir, REVOKED_FILE)).map(([serial, , when]) => ({ serialNumber: serial ?? '', revocationDate: new Date(when ?? now.toISOString()) }))
  const crl = await x509.X509CrlGenerator.create({
    issuer: caCert.subject,
    thisUpdate: now,
    nextUpdate: new Date(now.getTime() + 365 * DAY_MS),
    entries,
    signingKey: caKey,
    signingAlgorithm: ALGORITHM
  })
  const path = join(caDir, CRL_FILE)
  // Replaced by rename, so a peer watching it never reads half a file.
  writeFileSync(`${path}.new`, crl.toString('pem') + '\n', { mode: 0o644 })
  renameSync(`${path}.new`, path)
  return { crl: path, revoked: entries.length }
}

async function openCa (caDir: string): Promise<{ caCert: x509.X509Certificate, caKey: CryptoKey }> {
  try {
    const caCert = new x509.X509Certificate(readFileSync(join(caDir, CA_CERT_FILE), 'utf8'))
    const der = createPrivateKey(readFileSync(join(caDir, CA_KEY_FILE))).export({ format: 'der', type: 'pkcs8' })
    const caKey = await webcrypto.subtle.importKey('pkcs8', der, ALGORITHM, false, ['sign'])
    return { caCert, caKey }
  } catch (err) {
    throw new CertificateError(`${caDir} is not a troupe CA directory (make one with 'troupe ca init --dir ${caDir}'): ${(err as Error).message.split('\n')[0] ?? ''}`)
  }
}
