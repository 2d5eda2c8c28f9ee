// registration-check.ts: what a peer requires of a registration before it lists the node. Real
// libp2p peer keys sign the registrations; the enrollment proofs come from the project's CA.
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { PrivateKey } from '@libp2p/interface'
import { initCa, issueCertificate } from '../../src/security/ca.js'
import { readPemCertificates } from '../../src/security/certificates.js'
import { EnrollmentVerifier, NodeCertificate } from '../../src/security/enrollment.js'
import { peerSigner } from '../../src/security/peer-signature.js'
import { registrationCheck } from '../../src/security/registration-check.js'
import { signRegistration, type Registration, type UnsignedRegistration } from '../../src/wire/registration.js'

describe('registration check', function () {
  this.timeout(60_000)
  let dir: string
  let key: PrivateKey
  let peer: string
  let node: NodeCertificate
  let verifier: EnrollmentVerifier
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'troupe-registration-'))
    const caPath = await initCa(join(dir, 'ca'))
    const files = await issueCertificate(join(dir, 'ca'), 'web01', join(dir, 'certs'), 2)
    const anchors = readPemCertificates(caPath, 'ca')
    node = NodeCertificate.load({ certPath: files.cert, keyPath: files.key, anchors })
    verifier = new EnrollmentVerifier(anchors)
    key = await generateKeyPair('Ed25519')
    peer = peerIdFromPrivateKey(key).toString()
  })
  after(() => rmSync(dir, { recursive: true, force: true }))

  const unsigned = (over: Partial<UnsignedRegistration> = {}): UnsignedRegistration => ({
    v: 1, kind: 'announce', identity: 'web01', peer, addrs: [], collective: 'main', proof: node.proof({ collective: 'main', peer }),
    agents: ['rpcutil'], classes: ['role::web'], facts: { role: 'web' }, version: '1', started: 1, interval: 30, seq: 1, rev: 1, ...over
  })
  const signed = (over: Partial<UnsignedRegistration> = {}, signWith: PrivateKey = key): Registration => signRegistration(unsigned(over), peerSigner(signWith))

  it('a registration signed by its peer, for this collective, with a proof for its identity, is listed', () => {
    assert.equal(registrationCheck({ collective: 'main', enrollment: verifier })(signed()), undefined)
  })

  it('a registration for another collective is refused first, by name', () => {
    const check = registrationCheck({ collective: 'main', enrollment: verifier })
    assert.equal(check(signed({ collective: 'staging' })), 'registration is for collective \'staging\', not \'main\'')
    assert.equal(check({ ...signed(), collective: 'staging', sig: '' }), 'registration is for collective \'staging\', not \'main\'')
  })

  it('a registration changed after signing, or signed by another peer, is refused', async () => {
    const check = registrationCheck({ collective: 'main' })
    const refused = 'registration is not signed by the peer it describes'
    assert.equal(check({ ...signed(), facts: { role: 'db' } }), refused)
    assert.equal(check({ ...signed(), identity: 'web02' }), refused)
    assert.equal(check({ ...signed(), sig: '' }), refused)
    const intruder = await generateKeyPair('Ed25519')
    assert.equal(check(signed({}, intruder)), refused)
    // Signed by the intruder for its own peer id: well signed, so without a CA it is listed.
    const own = peerIdFromPrivateKey(intruder).toString()
    assert.equal(check(signed({ peer: own, proof: undefined }, intruder)), undefined)
  })

  it('a registration found well signed is not verified again, and what that remembers is the object: a changed copy is refused', () => {
    const check = registrationCheck({ collective: 'main' })
    const refused = 'registration is not signed by the peer it describes'
    const good = signed()
    assert.equal(check(good), undefined)
    assert.equal(check(good), undefined)
    assert.equal(check({ ...good, facts: { role: 'db' } }), refused)
    assert.equal(check({ ...good, addrs: ['/ip4/10.9.9.9/tcp/9'] }), refused)
    const forged = { ...good, identity: 'web02' }
    assert.equal(check(forged), refused)
    assert.equal(check(forged), refused, 'a refusal is not remembered as a pass')
  })

  it('with a CA: a registration without a proof, or with one made for another peer, names the identity not proven', async () => {
    const check = registrationCheck({ collective: 'main', enrollment: verifier })
    assert.equal(check(signed({ proof: undefined })), 'identity \'web01\' not proven: no enrollment proof (a certificate from the fleet\'s ca)')
    const intruder = await generateKeyPair('Ed25519')
    const own = peerIdFromPrivateKey(intruder).toString()
    // web01's proof copied into a registration the intruder signs for its own peer id.
    assert.equal(check(signed({ peer: own }, intruder)), 'identity \'web01\' not proven: enrollment signature does not bind \'web01\' to this peer and collective')
    assert.equal(check(signed({ identity: 'web02' })), 'identity \'web02\' not proven: certificate is issued to \'web01\', not \'web02\'')
  })

  it('the proof is checked for the registration\'s collective and at the time given', () => {
    const check = registrationCheck({ collective: 'main', enrollment: verifier })
    const registration = signed()
    assert.equal(check(registration, node.notAfter), undefined)
    assert.equal(check(registration, node.notAfter + 1), 'identity \'web01\' not proven: certificate expired')
    // A proof made for another collective, in a registration for this one.
    assert.equal(check(signed({ proof: node.proof({ collective: 'staging', peer }) })), 'identity \'web01\' not proven: enrollment signature does not bind \'web01\' to this peer and collective')
  })
})
