// enrollment.ts: a node's certificate loaded and checked at start-up (NodeCertificate) and the
// enrollment proof every peer checks before it lists, selects or admits a node
// (EnrollmentVerifier): a chain to the fleet's CA and a signature binding the certificate's name
// to the collective and the peer id. Certificates from the project's own CA (ca.ts) and, for
// Puppet-like RSA/ECDSA keys and intermediates, from test/helpers/x509.ts.
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { X509Certificate, createPrivateKey, sign } from 'node:crypto'
import { initCa, issueCertificate, revokeCertificates, CRL_FILE } from '../../src/security/ca.js'
import { readPemCertificates } from '../../src/security/certificates.js'
import { readRevocations, Revocations } from '../../src/security/crl.js'
import { CertificateError, EnrollmentVerifier, NodeCertificate, type Binding, type EnrollmentProof } from '../../src/security/enrollment.js'
import { makeCert, type TestCert } from '../helpers/x509.js'

const PEER = '12D3KooWGzUvW1UBa6Qd3Nx5z4hMXWk1pgrYSwVxT1ZPSGx1EZYF'
const OTHER_PEER = '12D3KooWSQLhZqV1sV6EHxmaWmUhd9mFnddBF1MuKfkfS9Pn2rVm'

function refusedWith (expected: string | RegExp): (err: Error) => boolean {
  return err => err instanceof CertificateError && (typeof expected === 'string' ? err.message === expected : expected.test(err.message))
}

describe('enrollment', function () {
  this.timeout(60_000)
  let dir: string
  let caDir: string
  let caPath: string
  let anchors: X509Certificate[]
  let web01: { cert: string, key: string }
  let web01b: { cert: string, key: string }
  let web02: { cert: string, key: string }
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'troupe-enroll-'))
    caDir = join(dir, 'ca')
    caPath = await initCa(caDir)
    anchors = readPemCertificates(caPath, 'ca')
    web01 = await issueCertificate(caDir, 'web01', join(dir, 'a'))
    web01b = await issueCertificate(caDir, 'web01', join(dir, 'b'))
    web02 = await issueCertificate(caDir, 'web02', join(dir, 'a'))
  })
  after(() => rmSync(dir, { recursive: true, force: true }))

  const binding = (over: Partial<Binding> = {}): Binding => ({ identity: 'web01', collective: 'main', peer: PEER, ...over })
  const load = (files: { cert: string, key: string }, identity?: string): NodeCertificate =>
    NodeCertificate.load({ certPath: files.cert, keyPath: files.key, anchors, ...(identity !== undefined ? { identity } : {}) })

  describe('NodeCertificate.load', () => {
    it('loads a certificate from the CA with its key: the identity is its name, notAfter its expiry', () => {
      const node = load(web01)
      assert.equal(node.identity, 'web01')
      const [cert] = readPemCertificates(web01.cert, 'cert')
      assert.equal(node.notAfter, Date.parse(cert?.validTo ?? ''))
      assert.equal(load(web01, 'web01').identity, 'web01')
    })

    it('a configured identity that is not the certificate\'s is refused with what to do', () => {
      assert.throws(() => load(web01, 'web02'), refusedWith(`cert ${web01.cert} is issued to 'web01', but identity is 'web02': a node is who its certificate says (remove identity, or use that node's certificate)`))
    })

    it('a certificate from another CA is refused', async () => {
      const otherDir = join(dir, 'other-ca')
      await initCa(otherDir)
      const foreign = await issueCertificate(otherDir, 'web01', join(dir, 'foreign'))
      assert.throws(() => load(foreign), refusedWith(`cert ${foreign.cert}: certificate 'web01' was not issued by the configured ca`))
    })

    it('a key that is missing, not a key, or another certificate\'s key is refused', () => {
      const missing = join(dir, 'missing.key')
      assert.throws(() => load({ cert: web01.cert, key: missing }), refusedWith(`cert_key ${missing}: ENOENT`))
      const notKey = join(dir, 'not.key')
      writeFileSync(notKey, 'hello\n')
      assert.throws(() => load({ cert: web01.cert, key: notKey }), refusedWith(`cert_key ${notKey}: not a PEM private key`))
      assert.throws(() => load({ cert: web01.cert, key: web02.key }), refusedWith(`cert_key ${web02.key} is not the key of cert ${web01.cert}`))
      assert.throws(() => load({ cert: web01.cert, key: web01b.key }), refusedWith(`cert_key ${web01b.key} is not the key of cert ${web01.cert}`))
    })

    it('a missing certificate is refused', () => {
      const missing = join(dir, 'missing.crt')
      assert.throws(() => load({ cert: missing, key: web01.key }), refusedWith(`cannot read cert ${missing}: ENOENT`))
    })

    for (const kind of ['rsa', 'ecdsa'] as const) {
      it(`a certificate with an ${kind} key (Puppet's are RSA) through an intermediate: loads, and its proofs verify`, async () => {
        const root = await makeCert({ subject: `CN=${kind} root`, ca: true, kind })
        const intermediate = await makeCert({ subject: `CN=${kind} intermediate`, ca: true, issuer: root })
        const node = await makeCert({ subject: 'CN=puppet01', issuer: intermediate })
        const certPath = join(dir, `${kind}.pem`)
        const keyPath = join(dir, `${kind}.key`)
        writeFileSync(certPath, node.pem + intermediate.pem)
        writeFileSync(keyPath, node.keyPem)
        const loaded = NodeCertificate.load({ certPath, keyPath, anchors: [root.cert], identity: 'puppet01' })
        const proof = loaded.proof({ collective: 'main', peer: PEER })
        assert.equal(proof.chain.length, 2)
        assert.equal(proof.chain[0], node.cert.raw.toString('base64'))
        const verifier = new EnrollmentVerifier([root.cert])
        assert.deepEqual(verifier.check(proof, { identity: 'puppet01', collective: 'main', peer: PEER }), { ok: true, notAfter: Math.min(...[root, intermediate, node].map(made => Date.parse(made.cert.validTo))) })
        assert.equal(verifier.check(proof, { identity: 'puppet01', collective: 'main', peer: OTHER_PEER }).ok, false)
        // A key of the right type that is not this certificate's.
        const stranger = await makeCert({ subject: 'CN=puppet01', issuer: intermediate })
        writeFileSync(keyPath, stranger.keyPem)
        assert.throws(() => NodeCertificate.load({ certPath, keyPath, anchors: [root.cert] }), refusedWith(`cert_key ${keyPath} is not the key of cert ${certPath}`))
      })
    }
  })

  describe('EnrollmentVerifier', () => {
    let proof: EnrollmentProof
    let verifier: EnrollmentVerifier
    let notAfter: number
    before(() => {
      const node = load(web01)
      notAfter = node.notAfter
      proof = node.proof({ collective: 'main', peer: PEER })
    })
    beforeEach(() => { verifier = new EnrollmentVerifier(anchors) })

    it('a proof made for this identity, collective and peer is accepted until the certificate expires', () => {
      assert.deepEqual(verifier.check(proof, binding()), { ok: true, notAfter })
      assert.deepEqual(verifier.check(proof, binding(), notAfter), { ok: true, notAfter })
      assert.deepEqual(verifier.check(proof, binding(), notAfter + 1), { ok: false, reason: 'certificate expired' })
    })

    it('the proof binds its peer id, collective and identity: any other is refused (also after a cached success)', () => {
      assert.equal(verifier.check(proof, binding()).ok, true)
      assert.deepEqual(verifier.check(proof, binding({ peer: OTHER_PEER })), { ok: false, reason: 'enrollment signature does not bind \'web01\' to this peer and collective' })
      assert.deepEqual(verifier.check(proof, binding({ collective: 'staging' })), { ok: false, reason: 'enrollment signature does not bind \'web01\' to this peer and collective' })
      assert.deepEqual(verifier.check(proof, binding({ identity: 'web02' })), { ok: false, reason: 'certificate is issued to \'web01\', not \'web02\'' })
      assert.equal(verifier.check(proof, binding()).ok, true)
    })

    it('another certificate\'s chain, or another signature, with the same binding is refused (also after a cached success)', () => {
      assert.equal(verifier.check(proof, binding()).ok, true)
      const sameName = load(web01b).proof({ collective: 'main', peer: PEER })
      assert.equal(verifier.check(sameName, binding()).ok, true)
      assert.equal(verifier.check({ chain: sameName.chain, sig: proof.sig }, binding()).ok, false)
      assert.equal(verifier.check({ chain: proof.chain, sig: sameName.sig }, binding()).ok, false)
      const other = load(web02).proof({ collective: 'main', peer: PEER })
      assert.deepEqual(verifier.check({ chain: other.chain, sig: proof.sig }, binding()), { ok: false, reason: 'certificate is issued to \'web02\', not \'web01\'' })
      assert.deepEqual(verifier.check({ chain: proof.chain, sig: Buffer.from('not a signature').toString('base64') }, binding()), { ok: false, reason: 'enrollment signature does not bind \'web01\' to this peer and collective' })
    })

    it('a cached success is never reused for a binding whose fields merely concatenate the same way', () => {
      assert.equal(verifier.check(proof, binding()).ok, true)
      const sig = proof.sig
      const der = proof.chain[0] ?? ''
      const shifted: Array<[EnrollmentProof, Binding]> = [
        [{ chain: proof.chain, sig: sig.slice(0, -1) }, binding({ peer: sig.slice(-1) + PEER })],
        [proof, binding({ peer: PEER + 'm', collective: 'ain' })],
        [proof, binding({ collective: 'mainw', identity: 'eb01' })],
        [{ chain: [der.slice(1)], sig }, binding({ identity: 'web01' + der.slice(0, 1) })]
      ]
      for (const [other, forBinding] of shifted) assert.equal(verifier.check(other, forBinding).ok, false, JSON.stringify(forBinding))
    })

    it('the signature is Ed25519 over "troupe-enroll-v1\\0" and the canonical JSON of the binding', () => {
      const key = createPrivateKey(readFileSync(web01.key))
      const message = Buffer.concat([Buffer.from('troupe-enroll-v1\0'), Buffer.from(JSON.stringify({ collective: 'main', identity: 'web01', peer: PEER }))])
      assert.equal(sign(null, message, key).toString('base64'), proof.sig)
      const withoutDomain = sign(null, Buffer.from(JSON.stringify({ collective: 'main', identity: 'web01', peer: PEER })), key).toString('base64')
      assert.equal(verifier.check({ chain: proof.chain, sig: withoutDomain }, binding()).ok, false)
    })

    it('a proof from another CA is refused with the chain\'s reason', async () => {
      const root = await makeCert({ subject: 'CN=elsewhere', ca: true })
      const foreign = await makeCert({ subject: 'CN=web01', issuer: root })
      const certPath = join(dir, 'foreign.pem')
      const keyPath = join(dir, 'foreign.key')
      writeFileSync(certPath, foreign.pem)
      writeFileSync(keyPath, foreign.keyPem)
      const foreignProof = NodeCertificate.load({ certPath, keyPath, anchors: [root.cert] }).proof({ collective: 'main', peer: PEER })
      assert.deepEqual(verifier.check(foreignProof, binding()), { ok: false, reason: 'certificate \'web01\' was not issued by the configured ca' })
    })

    it('an expired certificate is refused whatever time the caller gives', async () => {
      const root = await makeCert({ subject: 'CN=root', ca: true })
      const old: TestCert = await makeCert({ subject: 'CN=old', issuer: root, notBefore: new Date(Date.now() - 3 * 86_400_000), notAfter: new Date(Date.now() - 86_400_000) })
      const key = createPrivateKey(old.keyPem)
      const sig = sign(null, Buffer.concat([Buffer.from('troupe-enroll-v1\0'), Buffer.from(JSON.stringify({ collective: 'main', identity: 'old', peer: PEER }))]), key).toString('base64')
      const check = new EnrollmentVerifier([root.cert]).check({ chain: [old.cert.raw.toString('base64')], sig }, { identity: 'old', collective: 'main', peer: PEER }, 0)
      assert.deepEqual(check, { ok: false, reason: `certificate 'old' expired on ${old.cert.validTo}` })
    })

    it('what is not a proof is refused before any certificate is read', () => {
      const none = { ok: false, reason: 'no enrollment proof (a certificate from the fleet\'s ca)' }
      const der = proof.chain[0] ?? ''
      for (const bad of [undefined, null, 'proof', 42, {}, { chain: proof.chain }, { sig: proof.sig }, { chain: [], sig: proof.sig }, { chain: der, sig: proof.sig },
        { chain: proof.chain, sig: '' }, { chain: proof.chain, sig: 7 }, { chain: [der, der, der, der, der], sig: proof.sig }, { chain: [der, ''], sig: proof.sig }, { chain: [der, 5], sig: proof.sig }]) {
        assert.deepEqual(verifier.check(bad, binding()), none, JSON.stringify(bad)?.slice(0, 80))
      }
    })

    it('size limits: a signature of 1369 base64 characters and a certificate of 10926 are read, one more is refused unread', () => {
      const none = { ok: false, reason: 'no enrollment proof (a certificate from the fleet\'s ca)' }
      assert.deepEqual(verifier.check({ chain: proof.chain, sig: 'A'.repeat(1369) }, binding()), { ok: false, reason: 'enrollment signature does not bind \'web01\' to this peer and collective' })
      assert.deepEqual(verifier.check({ chain: proof.chain, sig: 'A'.repeat(1370) }, binding()), none)
      assert.deepEqual(verifier.check({ chain: ['A'.repeat(10_926)], sig: proof.sig }, binding()), { ok: false, reason: 'enrollment certificate cannot be read' })
      assert.deepEqual(verifier.check({ chain: ['A'.repeat(10_927)], sig: proof.sig }, binding()), none)
      const der = proof.chain[0] ?? ''
      // Four certificates are read (and this one is not its own issuer).
      assert.notDeepEqual(verifier.check({ chain: [der, der, der, der], sig: proof.sig }, binding()), none)
    })

    it('a revoked certificate is refused once the CRL changed and the cache was reset', async () => {
      let revocations = new Revocations()
      const live = new EnrollmentVerifier(anchors, () => revocations)
      const web02Proof = load(web02).proof({ collective: 'main', peer: PEER })
      assert.equal(live.check(proof, binding()).ok, true)
      const { crl } = await revokeCertificates(caDir, 'web01')
      assert.equal(crl, join(caDir, CRL_FILE))
      revocations = readRevocations(readFileSync(crl, 'utf8'), crl, anchors).revocations
      assert.equal(live.check(proof, binding()).ok, true, 'cached until reset')
      live.reset()
      const [cert] = readPemCertificates(web01.cert, 'cert')
      assert.deepEqual(live.check(proof, binding()), { ok: false, reason: `certificate 'web01' (serial ${cert?.serialNumber ?? ''}) is revoked` })
      assert.equal(live.check(web02Proof, binding({ identity: 'web02' })).ok, true)
    })

    it('the cache is bounded: after 10000 other results the oldest is checked again', () => {
      let revoked = false
      const [cert] = readPemCertificates(web01.cert, 'cert')
      assert.ok(cert !== undefined)
      const bounded = new EnrollmentVerifier(anchors, () => new Revocations(new Set(revoked ? [Revocations.key(anchors[0] ?? cert, cert.serialNumber)] : [])))
      assert.equal(bounded.check(proof, binding()).ok, true)
      revoked = true
      const filler = (i: number): void => { bounded.check({ chain: ['AAAA'], sig: `s${i}` }, binding()) }
      for (let i = 0; i < 9_999; i++) filler(i)
      assert.equal(bounded.check(proof, binding()).ok, true, 'still cached with 10000 results')
      filler(9_999)
      assert.equal(bounded.check(proof, binding()).ok, false, 'forgotten at the 10001st')
    })

    it('fromFile reads the CA bundle', () => {
      const fromFile = EnrollmentVerifier.fromFile(caPath)
      assert.equal(fromFile.anchors.length, 1)
      assert.equal(fromFile.check(proof, binding()).ok, true)
      assert.throws(() => EnrollmentVerifier.fromFile(join(dir, 'none.crt')), refusedWith(`cannot read ca ${join(dir, 'none.crt')}: ENOENT`))
    })
  })
})
