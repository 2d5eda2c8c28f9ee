// ca.ts: `troupe ca init | issue | revoke`, the CA for fleets without Puppet. Real files in a
// temporary directory; what it writes is read back the way a peer reads it (certificates.ts,
// crl.ts).
import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createPrivateKey, sign, verify } from 'node:crypto'
import 'reflect-metadata'
import * as x509 from '@peculiar/x509'
import { CA_CERT_FILE, CRL_FILE, initCa, issueCertificate, revokeCertificates } from '../../src/security/ca.js'
import { CertificateError, checkChain, commonName, readPemCertificates } from '../../src/security/certificates.js'
import { readRevocations } from '../../src/security/crl.js'

const DAY_MS = 86_400_000

function refusedWith (expected: string | RegExp): (err: Error) => boolean {
  return err => err instanceof CertificateError && (typeof expected === 'string' ? err.message === expected : expected.test(err.message))
}

describe('troupe ca', function () {
  this.timeout(60_000)
  let root: string
  beforeEach(() => { root = mkdtempSync(join(tmpdir(), 'troupe-ca-')) })
  afterEach(() => rmSync(root, { recursive: true, force: true }))

  describe('init', () => {
    it('writes a self-signed CA certificate (0644) and its key (0600) in a 0700 directory', async () => {
      const dir = join(root, 'ca')
      const before = Date.now()
      const path = await initCa(dir)
      assert.equal(path, join(dir, CA_CERT_FILE))
      assert.equal(statSync(dir).mode & 0o777, 0o700)
      assert.equal(statSync(path).mode & 0o777, 0o644)
      assert.equal(statSync(join(dir, 'ca.key')).mode & 0o777, 0o600)
      const [cert] = readPemCertificates(path, 'ca')
      assert.ok(cert !== undefined)
      assert.equal(cert.ca, true)
      assert.equal(commonName(cert), 'troupe CA')
      assert.equal(cert.checkIssued(cert), true)
      assert.equal(cert.verify(cert.publicKey), true)
      assert.equal(cert.publicKey.asymmetricKeyType, 'ed25519')
      const usage = new x509.X509Certificate(readFileSync(path, 'utf8')).getExtension(x509.KeyUsagesExtension)
      assert.equal(usage?.usages, x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign)
      assert.equal(usage.critical, true)
      const constraints = new x509.X509Certificate(readFileSync(path, 'utf8')).getExtension(x509.BasicConstraintsExtension)
      assert.equal(constraints?.pathLength, 0, 'no intermediate below a troupe CA')
      // Valid from a day back (clock skew) for ten years.
      const from = Date.parse(cert.validFrom)
      const to = Date.parse(cert.validTo)
      assert.ok(Math.abs(from - (before - DAY_MS)) < 5000, cert.validFrom)
      assert.ok(Math.abs(to - (before + 10 * 365 * DAY_MS)) < 5000, cert.validTo)
      // The key is the certificate's.
      const key = createPrivateKey(readFileSync(join(dir, 'ca.key')))
      const data = Buffer.from('probe')
      assert.equal(verify(null, data, cert.publicKey, sign(null, data, key)), true)
    })

    it('the name and the lifetime are the caller\'s; characters that would change the DN are blanked', async () => {
      const before = Date.now()
      const [cert] = readPemCertificates(await initCa(join(root, 'ca'), 'Acme, Inc=ops+x', 2), 'ca')
      assert.ok(cert !== undefined)
      assert.equal(commonName(cert), 'Acme  Inc ops x')
      assert.equal(cert.subject.split('\n').length, 1)
      assert.ok(Math.abs(Date.parse(cert.validTo) - (before + 2 * 365 * DAY_MS)) < 5000, cert.validTo)
    })

    it('refuses a directory that already holds a CA, and never overwrites a certificate', async () => {
      const dir = join(root, 'ca')
      await initCa(dir)
      const cert = readFileSync(join(dir, CA_CERT_FILE), 'utf8')
      await assert.rejects(initCa(dir), refusedWith(`${join(dir, 'ca.key')} already exists: this directory already holds a CA`))
      assert.equal(readFileSync(join(dir, CA_CERT_FILE), 'utf8'), cert)
      const other = join(root, 'other')
      mkdirSync(other)
      writeFileSync(join(other, CA_CERT_FILE), 'keep me')
      await assert.rejects(initCa(other), refusedWith(`${join(other, CA_CERT_FILE)} already exists; move it away first`))
      assert.equal(readFileSync(join(other, CA_CERT_FILE), 'utf8'), 'keep me')
    })
  })

  describe('issue', () => {
    let dir: string
    beforeEach(async () => {
      dir = join(root, 'ca')
      await initCa(dir)
    })

    it('a certificate for the identity, from this CA, with its key (0600) and the identity as DNS name', async () => {
      const out = join(root, 'out')
      const before = Date.now()
      const files = await issueCertificate(dir, 'web01.example.com', out)
      assert.deepEqual(files, { cert: join(out, 'web01.example.com.crt'), key: join(out, 'web01.example.com.key') })
      assert.equal(statSync(out).mode & 0o777, 0o700)
      assert.equal(statSync(files.key).mode & 0o777, 0o600)
      assert.equal(statSync(files.cert).mode & 0o777, 0o644)
      const [cert] = readPemCertificates(files.cert, 'cert')
      assert.ok(cert !== undefined)
      assert.equal(cert.ca, false)
      assert.equal(cert.subjectAltName, 'DNS:web01.example.com')
      assert.equal(new x509.X509Certificate(readFileSync(files.cert, 'utf8')).getExtension(x509.KeyUsagesExtension)?.usages, x509.KeyUsageFlags.digitalSignature)
      const check = checkChain([cert], readPemCertificates(join(dir, CA_CERT_FILE), 'ca'))
      assert.ok(check.ok, JSON.stringify(check))
      assert.equal(check.name, 'web01.example.com')
      assert.ok(Math.abs(Date.parse(cert.validFrom) - (before - DAY_MS)) < 5000)
      assert.ok(Math.abs(Date.parse(cert.validTo) - (before + 5 * 365 * DAY_MS)) < 5000, cert.validTo)
      const key = createPrivateKey(readFileSync(files.key))
      const data = Buffer.from('probe')
      assert.equal(verify(null, data, cert.publicKey, sign(null, data, key)), true)
      // issued.txt: the serial and the identity, what revoke reads.
      assert.equal(readFileSync(join(dir, 'issued.txt'), 'utf8'), `${cert.serialNumber.toLowerCase()} web01.example.com\n`)
      assert.equal(statSync(join(dir, 'issued.txt')).mode & 0o777, 0o600)
    })

    it('the lifetime in days, never past the CA\'s own', async () => {
      const before = Date.now()
      const [short] = readPemCertificates((await issueCertificate(dir, 'short', join(root, 'out'), 3)).cert, 'cert')
      assert.ok(short !== undefined)
      assert.ok(Math.abs(Date.parse(short.validTo) - (before + 3 * DAY_MS)) < 5000, short.validTo)
      const small = join(root, 'small')
      await initCa(small, 'small CA', 1)
      const [capped] = readPemCertificates((await issueCertificate(small, 'long', join(root, 'out'), 1000)).cert, 'cert')
      const [ca] = readPemCertificates(join(small, CA_CERT_FILE), 'ca')
      assert.equal(capped?.validTo, ca?.validTo)
    })

    it('serial numbers differ and are positive', async () => {
      const serials = new Set<string>()
      for (const name of ['a', 'b', 'c']) {
        const [cert] = readPemCertificates((await issueCertificate(dir, name, join(root, 'out'))).cert, 'cert')
        assert.ok(cert !== undefined)
        assert.ok(Number.parseInt(cert.serialNumber.slice(0, 2), 16) < 0x80, cert.serialNumber)
        serials.add(cert.serialNumber)
      }
      assert.equal(serials.size, 3)
    })

    it('an identity must be a host name', async () => {
      for (const bad of ['', '-web', 'web 01', 'a/../b', 'x'.repeat(129), 'CN=x,O=y']) {
        await assert.rejects(issueCertificate(dir, bad, join(root, 'out')), refusedWith(`identity '${bad}' must be a host name: letters, digits, dot, dash, underscore`))
      }
      await issueCertificate(dir, 'x'.repeat(128), join(root, 'out'))
      await issueCertificate(dir, 'Web_01-a.example', join(root, 'out'))
    })

    it('never overwrites a certificate or key already issued', async () => {
      const out = join(root, 'out')
      const first = await issueCertificate(dir, 'web01', out)
      const cert = readFileSync(first.cert, 'utf8')
      await assert.rejects(issueCertificate(dir, 'web01', out), refusedWith(`${first.key} already exists; move it away first`))
      assert.equal(readFileSync(first.cert, 'utf8'), cert)
    })

    it('a directory without a CA is refused with the command that makes one', async () => {
      const empty = join(root, 'empty')
      mkdirSync(empty)
      await assert.rejects(issueCertificate(empty, 'web01', join(root, 'out')), refusedWith(new RegExp(`^${empty} is not a troupe CA directory \\(make one with 'troupe ca init --dir ${empty}'\\): `)))
      writeFileSync(join(empty, CA_CERT_FILE), readFileSync(join(dir, CA_CERT_FILE)))
      writeFileSync(join(empty, 'ca.key'), 'not a key')
      await assert.rejects(revokeCertificates(empty, 'web01'), refusedWith(/is not a troupe CA directory/))
      assert.equal(existsSync(join(root, 'out')), false)
    })
  })

  describe('revoke', () => {
    let dir: string
    let anchors: ReturnType<typeof readPemCertificates>
    beforeEach(async () => {
      dir = join(root, 'ca')
      anchors = readPemCertificates(await initCa(dir), 'ca')
    })

    const certOf = (path: string): ReturnType<typeof readPemCertificates>[number] => {
      const [cert] = readPemCertificates(path, 'cert')
      assert.ok(cert !== undefined)
      return cert
    }

    it('revokes every certificate of the identity, and only those; the CRL is signed by the CA', async () => {
      const first = certOf((await issueCertificate(dir, 'web01', join(root, 'a'))).cert)
      const second = certOf((await issueCertificate(dir, 'web01', join(root, 'b'))).cert)
      const other = certOf((await issueCertificate(dir, 'web02', join(root, 'a'))).cert)
      const result = await revokeCertificates(dir, 'web01')
      assert.deepEqual(result, { crl: join(dir, CRL_FILE), revoked: 2 })
      assert.equal(statSync(result.crl).mode & 0o777, 0o644)
      assert.equal(existsSync(`${result.crl}.new`), false)
      const { revocations, problems } = readRevocations(readFileSync(result.crl, 'utf8'), result.crl, anchors)
      assert.deepEqual(problems, [])
      assert.equal(revocations.size, 2)
      const [ca] = anchors
      assert.ok(ca !== undefined)
      assert.equal(revocations.isRevoked(first, ca), true)
      assert.equal(revocations.isRevoked(second, ca), true)
      assert.equal(revocations.isRevoked(other, ca), false)
      assert.equal(checkChain([other], anchors, Date.now(), (cert, issuer) => revocations.isRevoked(cert, issuer)).ok, true)
      assert.deepEqual(checkChain([first], anchors, Date.now(), (cert, issuer) => revocations.isRevoked(cert, issuer)), { ok: false, reason: `certificate 'web01' (serial ${first.serialNumber}) is revoked` })
    })

    it('revoking again adds nothing; revoking another adds it; the dates of earlier revocations are kept', async () => {
      await issueCertificate(dir, 'web01', join(root, 'a'))
      const other = certOf((await issueCertificate(dir, 'web02', join(root, 'a'))).cert)
      assert.equal((await revokeCertificates(dir, 'web01')).revoked, 1)
      const lines = readFileSync(join(dir, 'revoked.txt'), 'utf8')
      assert.match(lines, /^[0-9a-f]+ web01 \d{4}-\d\d-\d\dT[\d:.]+Z\n$/)
      assert.equal(statSync(join(dir, 'revoked.txt')).mode & 0o777, 0o600)
      await new Promise(resolve => setTimeout(resolve, 5))
      assert.equal((await revokeCertificates(dir, 'web01')).revoked, 1)
      assert.equal(readFileSync(join(dir, 'revoked.txt'), 'utf8'), lines)
      assert.equal((await revokeCertificates(dir, 'web02')).revoked, 2)
      const { revocations } = readRevocations(readFileSync(join(dir, CRL_FILE), 'utf8'), CRL_FILE, anchors)
      assert.equal(revocations.size, 2)
      assert.equal(revocations.isRevoked(other, anchors[0] ?? other), true)
      assert.ok(readFileSync(join(dir, 'revoked.txt'), 'utf8').startsWith(lines))
    })

    it('the CRL gives each certificate the date revoked.txt records for it', async () => {
      const first = certOf((await issueCertificate(dir, 'web01', join(root, 'a'))).cert)
      const second = certOf((await issueCertificate(dir, 'web02', join(root, 'a'))).cert)
      await revokeCertificates(dir, 'web01')
      const recorded = readFileSync(join(dir, 'revoked.txt'), 'utf8')
      writeFileSync(join(dir, 'revoked.txt'), recorded.replace(/ \S+\n$/, ' 2020-01-02T03:04:05.000Z\n'))
      const before = Date.now()
      await revokeCertificates(dir, 'web02')
      const crl = new x509.X509Crl(readFileSync(join(dir, CRL_FILE), 'utf8'))
      const dates = new Map(crl.entries.map(entry => [entry.serialNumber.toUpperCase(), entry.revocationDate.getTime()]))
      assert.equal(dates.get(first.serialNumber), Date.parse('2020-01-02T03:04:05Z'))
      assert.ok(Math.abs((dates.get(second.serialNumber) ?? 0) - before) < 5000)
      assert.ok(Math.abs(crl.thisUpdate.getTime() - before) < 5000)
      assert.ok(Math.abs((crl.nextUpdate?.getTime() ?? 0) - (before + 365 * DAY_MS)) < 5000)
    })

    it('an identity the CA never issued to is refused, and no CRL is written', async () => {
      await issueCertificate(dir, 'web01', join(root, 'a'))
      await assert.rejects(revokeCertificates(dir, 'web0'), refusedWith(`${dir} has issued no certificate to 'web0'`))
      await assert.rejects(revokeCertificates(dir, 'web01.example.com'), refusedWith(`${dir} has issued no certificate to 'web01.example.com'`))
      assert.equal(existsSync(join(dir, CRL_FILE)), false)
    })
  })
})
