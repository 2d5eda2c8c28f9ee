// crl.ts: revocation lists, how a compromised node is cut off. A CRL counts only when a trust
// anchor signed it, a revocation applies only to certificates of that anchor, and the live list
// (CrlStore) follows the file without ever undoing revocations because of a broken file.
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { AsnConvert } from '@peculiar/asn1-schema'
import { CertificateList } from '@peculiar/asn1-x509'
import { CrlStore, Revocations, readRevocations } from '../../src/security/crl.js'
import { makeCert, makeCrl, type TestCert } from '../helpers/x509.js'

function pemBody (pem: string): Buffer {
  return Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64')
}

function toPem (der: ArrayBuffer | Buffer, label = 'X509 CRL'): string {
  const base64 = Buffer.from(der as ArrayBuffer).toString('base64').replace(/.{64}/g, '$&\n')
  return `-----BEGIN ${label}-----\n${base64}\n-----END ${label}-----\n`
}

async function waitFor (condition: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms
  while (!condition()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, 20))
  }
}

describe('crl: reading revocation lists', () => {
  let ca: TestCert
  let otherCa: TestCert
  let revoked: TestCert
  let kept: TestCert
  let sameSerialElsewhere: TestCert
  before(async () => {
    ca = await makeCert({ subject: 'CN=Fleet CA', ca: true })
    otherCa = await makeCert({ subject: 'CN=Other CA', ca: true })
    revoked = await makeCert({ subject: 'CN=web01', issuer: ca, serial: '0a1b2c' })
    kept = await makeCert({ subject: 'CN=web02', issuer: ca, serial: '0a1b2d' })
    sameSerialElsewhere = await makeCert({ subject: 'CN=web01', issuer: otherCa, serial: '0a1b2c' })
  })

  it('a CRL the anchor signed revokes the serials it lists, for that anchor\'s certificates only', async () => {
    const { revocations, problems } = readRevocations(await makeCrl({ issuer: ca, serials: ['0a1b2c'] }), 'crl.pem', [otherCa.cert, ca.cert])
    assert.deepEqual(problems, [])
    assert.equal(revocations.size, 1)
    assert.equal(revocations.isRevoked(revoked.cert, ca.cert), true)
    assert.equal(revocations.isRevoked(kept.cert, ca.cert), false)
    // Serial numbers are unique per issuer only.
    assert.equal(revocations.isRevoked(sameSerialElsewhere.cert, otherCa.cert), false)
  })

  it('a CRL no anchor signed is ignored, and said so', async () => {
    const forged = await makeCrl({ issuer: otherCa, serials: ['0a1b2d'], issuerName: 'CN=Fleet CA' })
    const { revocations, problems } = readRevocations(forged, '/etc/crl.pem', [ca.cert])
    assert.equal(revocations.size, 0)
    assert.deepEqual(problems, ['/etc/crl.pem: CRL 1 is not signed by the configured ca; ignored'])
  })

  it('a CRL whose list was altered after signing is ignored', async () => {
    const crl = AsnConvert.parse(pemBody(await makeCrl({ issuer: ca, serials: ['0a1b2c'] })), CertificateList)
    const entry = crl.tbsCertList.revokedCertificates?.[0]
    assert.ok(entry !== undefined)
    entry.userCertificate = new Uint8Array([0x0a, 0x1b, 0x2d]).buffer
    crl.tbsCertListRaw = undefined
    const { revocations, problems } = readRevocations(toPem(AsnConvert.serialize(crl)), 'crl.pem', [ca.cert])
    assert.equal(revocations.size, 0)
    assert.deepEqual(problems, ['crl.pem: CRL 1 is not signed by the configured ca; ignored'])
  })

  it('every CRL of the file counts when signed by an anchor, each by its own issuer', async () => {
    const text = (await makeCrl({ issuer: ca, serials: ['0a1b2c'] })) + (await makeCrl({ issuer: otherCa, serials: ['0a1b2c'] }))
    const { revocations, problems } = readRevocations(text, 'crl.pem', [ca.cert, otherCa.cert])
    assert.deepEqual(problems, [])
    assert.equal(revocations.size, 2)
    assert.equal(revocations.isRevoked(revoked.cert, ca.cert), true)
    assert.equal(revocations.isRevoked(sameSerialElsewhere.cert, otherCa.cert), true)
    assert.equal(revocations.isRevoked(kept.cert, ca.cert), false)
  })

  it('problems are numbered by the CRL\'s place in the file; the good ones still count', async () => {
    const text = '-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n' + (await makeCrl({ issuer: otherCa, serials: ['01'] })) + (await makeCrl({ issuer: ca, serials: ['0a1b2c'] }))
    const { revocations, problems } = readRevocations(text, 'crl.pem', [ca.cert])
    assert.equal(problems.length, 2)
    assert.match(problems[0] ?? '', /^crl\.pem: CRL 1 cannot be read: \S/)
    assert.equal(problems[1], 'crl.pem: CRL 2 is not signed by the configured ca; ignored')
    assert.equal(revocations.isRevoked(revoked.cert, ca.cert), true)
  })

  it('reads the "-----BEGIN CRL-----" label too', async () => {
    const text = toPem(pemBody(await makeCrl({ issuer: ca, serials: ['0a1b2c'] })), 'CRL')
    const { revocations, problems } = readRevocations(text, 'crl.pem', [ca.cert])
    assert.deepEqual(problems, [])
    assert.equal(revocations.isRevoked(revoked.cert, ca.cert), true)
  })

  it('a signature algorithm troupe does not check is reported by its OID', async () => {
    const crl = AsnConvert.parse(pemBody(await makeCrl({ issuer: ca, serials: ['0a1b2c'] })), CertificateList)
    crl.signatureAlgorithm.algorithm = '1.2.3.4'
    const { revocations, problems } = readRevocations(toPem(AsnConvert.serialize(crl)), 'crl.pem', [ca.cert])
    assert.equal(revocations.size, 0)
    assert.deepEqual(problems, ['crl.pem: CRL 1 uses signature algorithm 1.2.3.4, which troupe does not check'])
  })

  it('CRLs signed with ECDSA and RSA (Puppet\'s) are checked too', async function () {
    this.timeout(60_000)
    for (const kind of ['ecdsa', 'rsa'] as const) {
      const kindCa = await makeCert({ subject: `CN=${kind} CA`, ca: true, kind })
      const node = await makeCert({ subject: 'CN=node', issuer: kindCa, serial: '05' })
      const { revocations, problems } = readRevocations(await makeCrl({ issuer: kindCa, serials: ['05'] }), 'crl.pem', [kindCa.cert])
      assert.deepEqual(problems, [], kind)
      assert.equal(revocations.isRevoked(node.cert, kindCa.cert), true, kind)
    }
  })

  it('a file with text but no CRL is reported; an empty file is not', () => {
    assert.deepEqual(readRevocations('garbage\n', 'crl.pem', [ca.cert]).problems, ['crl.pem holds no PEM CRL (-----BEGIN X509 CRL-----)'])
    assert.deepEqual(readRevocations(' \n', 'crl.pem', [ca.cert]).problems, [])
    assert.deepEqual(readRevocations(ca.pem, 'crl.pem', [ca.cert]).problems, ['crl.pem holds no PEM CRL (-----BEGIN X509 CRL-----)'])
  })

  it('serial numbers match whatever their case or leading zeros (a serial with the high bit set is DER-padded)', async () => {
    const high = await makeCert({ subject: 'CN=high', issuer: ca, serial: '00f1e2' })
    const { revocations } = readRevocations(await makeCrl({ issuer: ca, serials: ['00f1e2'] }), 'crl.pem', [ca.cert])
    assert.equal(revocations.isRevoked(high.cert, ca.cert), true)
    assert.equal(Revocations.key(ca.cert, '000aBc'), Revocations.key(ca.cert, 'ABC'))
    assert.equal(Revocations.key(ca.cert, '00'), `${ca.cert.fingerprint256}/0`)
    assert.notEqual(Revocations.key(ca.cert, '10'), Revocations.key(ca.cert, '1'))
    assert.notEqual(Revocations.key(ca.cert, 'A00B'), Revocations.key(ca.cert, 'AB'), 'only leading zeros are dropped')
    assert.notEqual(Revocations.key(ca.cert, 'ABC'), Revocations.key(otherCa.cert, 'ABC'))
  })
})

describe('crl: the live list (CrlStore)', () => {
  let dir: string
  let path: string
  let ca: TestCert
  let web01: TestCert
  let web02: TestCert
  let crl1: string
  let crl12: string
  let store: CrlStore | undefined
  let warnings: string[]
  before(async () => {
    ca = await makeCert({ subject: 'CN=Fleet CA', ca: true })
    web01 = await makeCert({ subject: 'CN=web01', issuer: ca, serial: '11' })
    web02 = await makeCert({ subject: 'CN=web02', issuer: ca, serial: '12' })
    crl1 = await makeCrl({ issuer: ca, serials: ['11'] })
    crl12 = await makeCrl({ issuer: ca, serials: ['11', '12'] })
  })
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'troupe-crl-'))
    path = join(dir, 'crl.pem')
    warnings = []
  })
  afterEach(() => {
    store?.stop()
    store = undefined
    rmSync(dir, { recursive: true, force: true })
  })

  const open = (): CrlStore => {
    store = new CrlStore(path, [ca.cert], message => warnings.push(message))
    return store
  }
  const isRevoked = (cert: TestCert): boolean => store?.revocations.isRevoked(cert.cert, ca.cert) ?? false

  it('no file yet: nothing revoked, nothing to warn about', () => {
    open().start()
    assert.equal(store?.revocations.size, 0)
    assert.deepEqual(warnings, [])
  })

  it('reads the file at start and follows it when it is replaced, telling its listeners', async () => {
    writeFileSync(path, crl1)
    const crl = open()
    let changes = 0
    crl.onChange(() => { changes++ })
    crl.start()
    assert.equal(isRevoked(web01), true)
    assert.equal(isRevoked(web02), false)
    assert.equal(changes, 1)
    writeFileSync(`${path}.new`, crl12)
    renameSync(`${path}.new`, path)
    await waitFor(() => isRevoked(web02), 'the new CRL to be read')
    assert.equal(changes, 2)
    assert.deepEqual(warnings, [])
  })

  it('the same text read again changes nothing and tells no one', () => {
    writeFileSync(path, crl1)
    const crl = open()
    let changes = 0
    crl.onChange(() => { changes++ })
    crl.start()
    const before = crl.revocations
    crl.reload()
    writeFileSync(path, crl1)
    crl.reload()
    assert.equal(changes, 1)
    assert.equal(crl.revocations, before)
  })

  it('a CRL that disappears keeps the revocations read before, and says so', () => {
    writeFileSync(path, crl1)
    open().start()
    unlinkSync(path)
    store?.reload()
    assert.equal(isRevoked(web01), true)
    assert.deepEqual(warnings, [`cannot read crl ${path}: ENOENT; keeping the revocations read before`])
  })

  it('a file that cannot be read for another reason is reported even before any revocation', () => {
    // A directory where the file should be: EISDIR.
    rmSync(dir, { recursive: true })
    writeFileSync(dir, '')
    path = join(dir, 'crl.pem')
    const crl = open()
    crl.reload()
    assert.deepEqual(warnings, [`cannot read crl ${path}: ENOTDIR`])
    rmSync(dir)
  })

  it('problems in the file are warned about', () => {
    writeFileSync(path, `${crl1}-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n`)
    open().start()
    assert.equal(isRevoked(web01), true)
    assert.equal(warnings.length, 1)
    assert.match(warnings[0] ?? '', new RegExp(`^${path}: CRL 2 cannot be read: `))
  })

  it('a CRL replaced by a broken or foreign one keeps the revocations read before (docs/security.md)', async () => {
    writeFileSync(path, crl12)
    open().start()
    assert.equal(isRevoked(web02), true)
    const other = await makeCert({ subject: 'CN=Fleet CA', ca: true })
    for (const broken of ['-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n', await makeCrl({ issuer: other, serials: [] }), 'garbage', '']) {
      writeFileSync(path, broken)
      store?.reload()
      assert.equal(isRevoked(web01), true, JSON.stringify(broken.slice(0, 30)))
      assert.equal(isRevoked(web02), true, JSON.stringify(broken.slice(0, 30)))
    }
    assert.deepEqual(warnings.filter(warning => warning.includes('keeping')), [
      `crl ${path} has problems; keeping the revocations read before`,
      `crl ${path} has problems; keeping the revocations read before`,
      `crl ${path} has problems; keeping the revocations read before`,
      `crl ${path} is empty; keeping the revocations read before`
    ])
    // A good CRL again is believed, even one that revokes less.
    writeFileSync(path, crl1)
    store?.reload()
    assert.equal(isRevoked(web01), true)
    assert.equal(isRevoked(web02), false)
  })

  it('a file with a problem still adds the revocations of its good CRLs', () => {
    writeFileSync(path, crl1)
    open().start()
    writeFileSync(path, `${crl12}-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n`)
    store?.reload()
    assert.equal(isRevoked(web01), true)
    assert.equal(isRevoked(web02), true)
  })

  it('changes to other files in the directory are not read as the CRL', async () => {
    writeFileSync(path, crl1)
    const crl = open()
    let changes = 0
    crl.onChange(() => { changes++ })
    crl.start()
    writeFileSync(join(dir, 'other.pem'), 'x')
    await new Promise(resolve => setTimeout(resolve, 300))
    writeFileSync(path, readFileSync(path, 'utf8') + '\n')
    await waitFor(() => changes === 2, 'the CRL file change')
  })

  it('stop() ends the watching: later changes are not read', async () => {
    writeFileSync(path, crl1)
    const crl = open()
    crl.start()
    crl.stop()
    writeFileSync(path, crl12)
    await new Promise(resolve => setTimeout(resolve, 300))
    assert.equal(isRevoked(web02), false)
  })
})
