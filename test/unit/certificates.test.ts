// certificates.ts: reading PEM bundles and checking a node's chain to the fleet's CA, the check
// every peer makes before it lists, selects or admits a node. Real certificates throughout.
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { X509Certificate } from 'node:crypto'
import { CertificateError, MAX_CHAIN_CERTS, checkChain, commonName, readPemCertificates } from '../../src/security/certificates.js'
import { makeCert, type TestCert } from '../helpers/x509.js'

const DAY_MS = 86_400_000

describe('certificates: reading PEM files', () => {
  let dir: string
  let root: TestCert
  let node: TestCert
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'troupe-certs-'))
    root = await makeCert({ subject: 'CN=Test CA', ca: true })
    node = await makeCert({ subject: 'CN=node1', issuer: root })
  })
  after(() => rmSync(dir, { recursive: true, force: true }))

  it('reads every certificate of a bundle, in order', () => {
    const path = join(dir, 'bundle.pem')
    writeFileSync(path, `# a comment before\n${node.pem}some text between\n${root.pem}`)
    const certs = readPemCertificates(path, 'cert')
    assert.equal(certs.length, 2)
    assert.equal(certs[0]?.fingerprint256, node.cert.fingerprint256)
    assert.equal(certs[1]?.fingerprint256, root.cert.fingerprint256)
  })

  it('a missing file is a CertificateError naming what and where, with the errno code', () => {
    const path = join(dir, 'absent.pem')
    assert.throws(() => readPemCertificates(path, 'ca'), (err: Error) => err instanceof CertificateError && err.name === 'CertificateError' && err.message === `cannot read ca ${path}: ENOENT`)
  })

  it('a file with no PEM certificate is refused', () => {
    const path = join(dir, 'key.pem')
    writeFileSync(path, node.keyPem)
    assert.throws(() => readPemCertificates(path, 'cert'), (err: Error) => err instanceof CertificateError && err.message === `cert ${path} holds no PEM certificate`)
  })

  it('a broken block is refused with its position in the bundle', () => {
    const path = join(dir, 'broken.pem')
    writeFileSync(path, `${root.pem}-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n`)
    assert.throws(() => readPemCertificates(path, 'ca'), (err: Error) => err instanceof CertificateError && err.message.startsWith(`ca ${path}: certificate 2 cannot be read: `))
  })
})

describe('certificates: common name', () => {
  it('reads CN among the other parts of the subject', async () => {
    const cert = await makeCert({ subject: 'O=Acme, CN=web01.example.com, OU=ops' })
    assert.equal(commonName(cert.cert), 'web01.example.com')
  })

  it('undefined when the subject has no CN (a name that merely contains CN= is not one)', async () => {
    const cert = await makeCert({ subject: 'O=XCN=evil' })
    assert.equal(commonName(cert.cert), undefined)
  })
})

describe('certificates: checking a chain to the trust anchors', () => {
  let root: TestCert
  let node: TestCert
  before(async () => {
    root = await makeCert({ subject: 'CN=Test CA', ca: true })
    node = await makeCert({ subject: 'CN=node1', issuer: root })
  })

  it('a certificate the anchor issued: its name, its key and the earlier of the two expiries', () => {
    const check = checkChain([node.cert], [root.cert])
    assert.ok(check.ok, JSON.stringify(check))
    assert.equal(check.name, 'node1')
    assert.equal(check.notAfter, Date.parse(node.cert.validTo))
    assert.ok(check.publicKey.equals(node.cert.publicKey))
  })

  it('notAfter is the anchor\'s expiry when the anchor expires first', async () => {
    const shortRoot = await makeCert({ subject: 'CN=Short CA', ca: true, notAfter: new Date(Date.now() + 2 * DAY_MS) })
    const long = await makeCert({ subject: 'CN=node2', issuer: shortRoot, notAfter: new Date(Date.now() + 20 * DAY_MS) })
    const check = checkChain([long.cert], [shortRoot.cert])
    assert.ok(check.ok, JSON.stringify(check))
    assert.equal(check.notAfter, Date.parse(shortRoot.cert.validTo))
  })

  it('an empty chain is refused', () => {
    assert.deepEqual(checkChain([], [root.cert]), { ok: false, reason: 'no certificate' })
  })

  it('a certificate from another CA of the same name is refused (the signature, not the name, counts)', async () => {
    const impostor = await makeCert({ subject: 'CN=Test CA', ca: true })
    const forged = await makeCert({ subject: 'CN=node1', issuer: impostor })
    assert.deepEqual(checkChain([forged.cert], [root.cert]), { ok: false, reason: 'certificate \'node1\' was not issued by the configured ca' })
  })

  it('a certificate signed by the anchor\'s key but naming another issuer is refused', async () => {
    const misnamed = await makeCert({ subject: 'CN=node1', issuer: root, issuerName: 'CN=Other CA' })
    assert.equal(misnamed.cert.verify(root.cert.publicKey), true, 'the signature itself is good')
    assert.deepEqual(checkChain([misnamed.cert], [root.cert]), { ok: false, reason: 'certificate \'node1\' was not issued by the configured ca' })
  })

  it('a certificate issued by a certificate that is not a CA is refused, as anchor or as link', async () => {
    // No basic constraints and no key usage: OpenSSL's issuer check alone would accept it.
    const bare = await makeCert({ subject: 'CN=bare', issuer: root, bare: true })
    const child = await makeCert({ subject: 'CN=child', issuer: bare })
    assert.equal(bare.cert.ca, false)
    assert.equal(child.cert.checkIssued(bare.cert), true)
    assert.equal(child.cert.verify(bare.cert.publicKey), true)
    assert.equal(checkChain([bare.cert], [root.cert]).ok, true)
    assert.deepEqual(checkChain([child.cert], [bare.cert]), { ok: false, reason: 'certificate \'child\' was not issued by the configured ca' })
    assert.deepEqual(checkChain([child.cert, bare.cert], [root.cert]), { ok: false, reason: 'certificate \'child\' was not issued by the configured ca' })
  })

  it('a self-signed certificate that is not an anchor is refused', async () => {
    const rogue = await makeCert({ subject: 'CN=rogue', ca: true })
    assert.deepEqual(checkChain([rogue.cert], [root.cert]), { ok: false, reason: 'certificate \'rogue\' was not issued by the configured ca' })
    // Its chain names itself as the next link: still not the configured ca.
    const leaf = await makeCert({ subject: 'CN=leaf', issuer: rogue })
    assert.deepEqual(checkChain([leaf.cert, rogue.cert], [root.cert]), { ok: false, reason: 'certificate \'rogue\' was not issued by the configured ca' })
  })

  it('a certificate without a common name is refused', async () => {
    const anonymous = await makeCert({ subject: 'O=nobody', issuer: root })
    assert.deepEqual(checkChain([anonymous.cert], [root.cert]), { ok: false, reason: 'certificate has no common name' })
  })

  it('valid from its first second to its last, not a millisecond outside', () => {
    const from = Date.parse(node.cert.validFrom)
    const to = Date.parse(node.cert.validTo)
    assert.equal(checkChain([node.cert], [root.cert], from).ok, true)
    assert.equal(checkChain([node.cert], [root.cert], to).ok, true)
    assert.deepEqual(checkChain([node.cert], [root.cert], from - 1), { ok: false, reason: `certificate 'node1' is not valid before ${node.cert.validFrom}` })
    assert.deepEqual(checkChain([node.cert], [root.cert], to + 1), { ok: false, reason: `certificate 'node1' expired on ${node.cert.validTo}` })
  })

  it('an expired or not yet valid certificate is refused at the current time by default', async () => {
    const expired = await makeCert({ subject: 'CN=old', issuer: root, notBefore: new Date(Date.now() - 10 * DAY_MS), notAfter: new Date(Date.now() - DAY_MS) })
    const early = await makeCert({ subject: 'CN=early', issuer: root, notBefore: new Date(Date.now() + DAY_MS), notAfter: new Date(Date.now() + 10 * DAY_MS) })
    assert.deepEqual(checkChain([expired.cert], [root.cert]), { ok: false, reason: `certificate 'old' expired on ${expired.cert.validTo}` })
    assert.deepEqual(checkChain([early.cert], [root.cert]), { ok: false, reason: `certificate 'early' is not valid before ${early.cert.validFrom}` })
  })

  it('an expired CA refuses the certificates it issued, even those still valid', async () => {
    const oldRoot = await makeCert({ subject: 'CN=Old CA', ca: true, notBefore: new Date(Date.now() - 10 * DAY_MS), notAfter: new Date(Date.now() + DAY_MS) })
    const leaf = await makeCert({ subject: 'CN=node3', issuer: oldRoot, notAfter: new Date(Date.now() + 5 * DAY_MS) })
    const caEnd = Date.parse(oldRoot.cert.validTo)
    assert.equal(checkChain([leaf.cert], [oldRoot.cert], caEnd).ok, true)
    assert.deepEqual(checkChain([leaf.cert], [oldRoot.cert], caEnd + 1), { ok: false, reason: `the CA certificate expired on ${oldRoot.cert.validTo}` })
  })

  describe('through intermediates', () => {
    let intermediate: TestCert
    let leaf: TestCert
    before(async () => {
      intermediate = await makeCert({ subject: 'CN=Intermediate', issuer: root, ca: true, notAfter: new Date(Date.now() + 10 * DAY_MS) })
      leaf = await makeCert({ subject: 'CN=node4', issuer: intermediate, notAfter: new Date(Date.now() + 20 * DAY_MS) })
    })

    it('leaf <- intermediate <- anchor: the leaf\'s name and key, the earliest expiry of the links', () => {
      const check = checkChain([leaf.cert, intermediate.cert], [root.cert])
      assert.ok(check.ok, JSON.stringify(check))
      assert.equal(check.name, 'node4')
      assert.ok(check.publicKey.equals(leaf.cert.publicKey))
      assert.equal(check.notAfter, Date.parse(intermediate.cert.validTo))
    })

    it('the intermediate itself may be the anchor', () => {
      const check = checkChain([leaf.cert], [intermediate.cert])
      assert.ok(check.ok)
      assert.equal(check.name, 'node4')
    })

    it('without the intermediate the leaf is refused', () => {
      assert.deepEqual(checkChain([leaf.cert], [root.cert]), { ok: false, reason: 'certificate \'node4\' was not issued by the configured ca' })
    })

    it('an expired intermediate is refused by its own name', () => {
      const after = Date.parse(intermediate.cert.validTo) + 1
      assert.deepEqual(checkChain([leaf.cert, intermediate.cert], [root.cert], after), { ok: false, reason: `certificate 'Intermediate' expired on ${intermediate.cert.validTo}` })
    })

    it('a chain of MAX_CHAIN_CERTS is read, one more is refused unread', async () => {
      assert.equal(MAX_CHAIN_CERTS, 4)
      const second = await makeCert({ subject: 'CN=Second', issuer: intermediate, ca: true })
      const third = await makeCert({ subject: 'CN=Third', issuer: second, ca: true })
      const deep = await makeCert({ subject: 'CN=deep', issuer: third })
      const check = checkChain([deep.cert, third.cert, second.cert, intermediate.cert], [root.cert])
      assert.ok(check.ok, JSON.stringify(check))
      assert.equal(check.name, 'deep')
      assert.deepEqual(checkChain([deep.cert, third.cert, second.cert, intermediate.cert, root.cert], [root.cert]), { ok: false, reason: 'certificate chain of 5 exceeds 4' })
    })

    it('asks the revocation check about each link with the certificate that issued it', () => {
      const asked: Array<[string, string]> = []
      const check = checkChain([leaf.cert, intermediate.cert], [root.cert], Date.now(), (cert: X509Certificate, issuer: X509Certificate) => {
        asked.push([commonName(cert) ?? '', commonName(issuer) ?? ''])
        return false
      })
      assert.equal(check.ok, true)
      assert.deepEqual(asked, [['node4', 'Intermediate'], ['Intermediate', 'Test CA']])
    })

    it('a revoked leaf or a revoked intermediate is refused with its serial', () => {
      const revokeLeaf = checkChain([leaf.cert, intermediate.cert], [root.cert], Date.now(), cert => cert.serialNumber === leaf.cert.serialNumber)
      assert.deepEqual(revokeLeaf, { ok: false, reason: `certificate 'node4' (serial ${leaf.cert.serialNumber}) is revoked` })
      const revokeIntermediate = checkChain([leaf.cert, intermediate.cert], [root.cert], Date.now(), cert => cert.serialNumber === intermediate.cert.serialNumber)
      assert.deepEqual(revokeIntermediate, { ok: false, reason: `certificate 'Intermediate' (serial ${intermediate.cert.serialNumber}) is revoked` })
    })
  })
})
