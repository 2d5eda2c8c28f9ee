// Certificates made to order for the unit tests of src/security: a CA, an intermediate, a node
// certificate, with any validity period, serial, issuer name or key type, made with
// @peculiar/x509 (the library `troupe ca` uses) and returned as node:crypto sees them.
import 'reflect-metadata'
import * as x509 from '@peculiar/x509'
import { webcrypto, X509Certificate, createPrivateKey } from 'node:crypto'

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0])

type CryptoKeyPair = webcrypto.CryptoKeyPair
export type KeyKind = 'ed25519' | 'ecdsa' | 'rsa'

const DAY_MS = 86_400_000

export interface TestCert {
  cert: X509Certificate
  /** the certificate as @peculiar/x509 made it */
  peculiar: x509.X509Certificate
  pem: string
  /** PKCS#8 PEM of its private key */
  keyPem: string
  keys: CryptoKeyPair
  kind: KeyKind
}

type Algorithm = { name: string } & Record<string, unknown>

function algorithm (kind: KeyKind): { generate: Algorithm, sign: Algorithm } {
  if (kind === 'ecdsa') return { generate: { name: 'ECDSA', namedCurve: 'P-256' }, sign: { name: 'ECDSA', hash: 'SHA-256' } }
  if (kind === 'rsa') return { generate: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256', publicExponent: new Uint8Array([1, 0, 1]), modulusLength: 2048 }, sign: { name: 'RSASSA-PKCS1-v1_5' } }
  return { generate: { name: 'Ed25519' }, sign: { name: 'Ed25519' } }
}

export async function generateKeys (kind: KeyKind = 'ed25519'): Promise<CryptoKeyPair> {
  return await webcrypto.subtle.generateKey(algorithm(kind).generate as Parameters<typeof webcrypto.subtle.generateKey>[0], true, ['sign', 'verify']) as CryptoKeyPair
}

export interface CertOptions {
  /** distinguished name, e.g. 'CN=node1' */
  subject: string
  /** signed by this certificate's key; self-signed when absent */
  issuer?: TestCert
  /** the issuer name written in the certificate (default: the issuer's subject) */
  issuerName?: string
  ca?: boolean
  /** no extensions at all: not a CA, and no key usage that limits what the key may sign */
  bare?: boolean
  notBefore?: Date
  notAfter?: Date
  serial?: string
  kind?: KeyKind
  /** reuse a key pair instead of making one */
  keys?: CryptoKeyPair
}

export async function makeCert (options: CertOptions): Promise<TestCert> {
  const kind = options.kind ?? options.issuer?.kind ?? 'ed25519'
  const keys = options.keys ?? await generateKeys(kind)
  const now = Date.now()
  const signer = options.issuer?.keys ?? keys
  const signerKind = options.issuer?.kind ?? kind
  const extensions: x509.Extension[] = options.bare === true
    ? []
    : options.ca === true
    ? [new x509.BasicConstraintsExtension(true, undefined, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true)]
    : [new x509.BasicConstraintsExtension(false, undefined, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true)]
  const peculiar = await x509.X509CertificateGenerator.create({
    serialNumber: options.serial ?? webcrypto.getRandomValues(new Uint8Array(8)).reduce((hex, byte) => hex + byte.toString(16).padStart(2, '0'), '01'),
    subject: options.subject,
    issuer: options.issuerName ?? options.issuer?.peculiar.subject ?? options.subject,
    notBefore: options.notBefore ?? new Date(now - DAY_MS),
    notAfter: options.notAfter ?? new Date(now + 30 * DAY_MS),
    signingKey: signer.privateKey,
    publicKey: keys.publicKey,
    signingAlgorithm: algorithm(signerKind).sign,
    extensions
  })
  const pem = peculiar.toString('pem') + '\n'
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)
  const keyPem = createPrivateKey({ key: Buffer.from(pkcs8), format: 'der', type: 'pkcs8' }).export({ format: 'pem', type: 'pkcs8' }).toString()
  return { cert: new X509Certificate(pem), peculiar, pem, keyPem, keys, kind }
}

export async function makeCrl (options: { issuer: TestCert, serials: string[], issuerName?: string }): Promise<string> {
  const now = new Date()
  const crl = await x509.X509CrlGenerator.create({
    issuer: options.issuerName ?? options.issuer.peculiar.subject,
    thisUpdate: now,
    nextUpdate: new Date(now.getTime() + 30 * DAY_MS),
    entries: options.serials.map(serialNumber => ({ serialNumber, revocationDate: now })),
    signingKey: options.issuer.keys.privateKey,
    signingAlgorithm: algorithm(options.issuer.kind).sign
  })
  return crl.toString('pem') + '\n'
}
