// admission-policy.ts: who may take part in the mesh. The hello each side sends (helloFor) and the
// decision on a hello received over a connection authenticated as a peer id (AdmissionPolicy):
// an enrolled node (certificate from the fleet's CA, bound to the peer id and collective), a
// caller whose key is authorized here (a signature binding the collective and the peer id), or,
// in lab mode without a CA, anyone of the collective. Real CA and certificates (ca.ts), real
// ed25519 caller keys (keys.ts) and real libp2p peer ids.
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { AdmissionPolicy, helloFor, type AdmissionDecision, type AdmissionPolicyOptions, type OwnCredentials } from '../../src/security/admission-policy.js'
import { initCa, issueCertificate } from '../../src/security/ca.js'
import { EnrollmentVerifier, NodeCertificate } from '../../src/security/enrollment.js'
import { readPemCertificates } from '../../src/security/certificates.js'
import { generateRequesterKey, verifyBytes, type RequesterKey } from '../../src/security/keys.js'
import { decodeHello, encodeHello, type Hello } from '../../src/wire/admission.js'

const newPeer = async (): Promise<string> => peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()

function refused (decision: AdmissionDecision): string {
  assert.equal(decision.ok, false, `expected a refusal, got ${JSON.stringify(decision)}`)
  return decision.ok ? '' : decision.reason
}

describe('admission policy', function () {
  this.timeout(60_000)
  let dir: string
  let verifier: EnrollmentVerifier
  let foreignVerifier: EnrollmentVerifier
  let web01: NodeCertificate
  let web02: NodeCertificate
  let peerA: string
  let peerB: string
  let alice: RequesterKey
  let bob: RequesterKey
  const collective = 'main'

  before(async function () {
    dir = mkdtempSync(join(tmpdir(), 'troupe-admission-'))
    const caDir = join(dir, 'ca')
    const caPath = await initCa(caDir)
    verifier = EnrollmentVerifier.fromFile(caPath)
    const anchors = readPemCertificates(caPath, 'ca')
    const load = async (identity: string): Promise<NodeCertificate> => {
      const files = await issueCertificate(caDir, identity, join(dir, identity))
      return NodeCertificate.load({ certPath: files.cert, keyPath: files.key, anchors })
    }
    web01 = await load('web01')
    web02 = await load('web02')
    foreignVerifier = EnrollmentVerifier.fromFile(await initCa(join(dir, 'other-ca')))
    peerA = await newPeer()
    peerB = await newPeer()
    alice = generateRequesterKey()
    bob = generateRequesterKey()
  })
  after(function () { rmSync(dir, { recursive: true, force: true }) })

  /** A daemon's hello: web01's (or the given node's) proof for its peer and collective. */
  const nodeHello = (peer: string, node = web01, over: Partial<OwnCredentials> = {}): Hello =>
    helloFor({ role: 'daemon', collective, peer, enrollment: { identity: node.identity, proof: node.proof({ collective, peer }) }, ...over })
  const callerHello = (peer: string, key = alice, over: Partial<OwnCredentials> = {}): Hello =>
    helloFor({ role: 'requester', collective, peer, callerKey: key, ...over })
  const callerName = (key: string): string | undefined => key === alice.publicKey ? 'alice' : undefined
  const policy = (over: Partial<AdmissionPolicyOptions> = {}): AdmissionPolicy =>
    new AdmissionPolicy({ collective, enrollment: verifier, callerName, ...over })

  describe('helloFor', function () {
    it('a node\'s hello carries its identity and enrollment proof; a requester\'s its caller key and a signature; both pass the wire schema', function () {
      const proof = web01.proof({ collective, peer: peerA })
      const node = helloFor({ role: 'daemon', collective, peer: peerA, enrollment: { identity: 'web01', proof } })
      assert.deepEqual(node, { v: 1, collective, peer: peerA, role: 'daemon', identity: 'web01', enrollment: proof })
      const requester = helloFor({ role: 'requester', collective, peer: peerB, callerKey: alice })
      assert.deepEqual(Object.keys(requester).sort(), ['caller', 'collective', 'peer', 'role', 'v'])
      assert.equal(requester.caller?.key, alice.publicKey)
      assert.equal(Buffer.from(requester.caller?.sig ?? '', 'base64').length, 64)
      const lab = helloFor({ role: 'bootstrap', collective, peer: peerA })
      assert.deepEqual(lab, { v: 1, collective, peer: peerA, role: 'bootstrap' })
      for (const hello of [node, requester, lab]) assert.deepEqual(decodeHello(encodeHello(hello)), hello)
    })

    it('the caller signature binds the collective and the peer id, under its own domain (it signs nothing else)', function () {
      const hello = callerHello(peerA)
      const signature = Buffer.from(hello.caller?.sig ?? '', 'base64')
      const binding = (c: string, p: string): Uint8Array => new TextEncoder().encode(`troupe-admit-v1\0${JSON.stringify({ collective: c, peer: p })}`)
      assert.equal(verifyBytes(alice.publicKey, binding(collective, peerA), signature), true)
      assert.equal(verifyBytes(alice.publicKey, binding(collective, peerB), signature), false)
      assert.equal(verifyBytes(alice.publicKey, binding('staging', peerA), signature), false)
    })
  })

  describe('lab mode (no CA)', function () {
    it('admits any peer of the collective, in its role, as unverified; nothing is checked', function () {
      const lab = new AdmissionPolicy({ collective })
      assert.equal(lab.labMode, true)
      assert.equal(policy().labMode, false)
      for (const role of ['bootstrap', 'daemon', 'requester'] as const) {
        assert.deepEqual(lab.decide(helloFor({ role, collective, peer: peerA }), peerA), { ok: true, as: { kind: 'unverified', role } })
      }
      // Even a proof or a caller key that would not verify is not looked at.
      const bogus = { ...callerHello(peerA), caller: { key: bob.publicKey, sig: callerHello(peerA).caller?.sig ?? '' } }
      assert.deepEqual(lab.decide(bogus, peerA), { ok: true, as: { kind: 'unverified', role: 'requester' } })
    })

    it('still refuses a hello for another collective, or naming another peer than the connection\'s', function () {
      const lab = new AdmissionPolicy({ collective })
      assert.equal(refused(lab.decide(helloFor({ role: 'daemon', collective: 'staging', peer: peerA }), peerA)), 'collective \'staging\' is not this peer\'s (\'main\')')
      assert.equal(refused(lab.decide(helloFor({ role: 'daemon', collective, peer: peerA }), peerB)), 'hello names another peer than the connection\'s')
    })
  })

  describe('with a CA', function () {
    it('admits an enrolled node as its certificate\'s identity', function () {
      assert.deepEqual(policy().decide(nodeHello(peerA), peerA), { ok: true, as: { kind: 'node', identity: 'web01' } })
      assert.deepEqual(policy().decide(nodeHello(peerB, web02), peerB), { ok: true, as: { kind: 'node', identity: 'web02' } })
      // A daemon or bootstrap without authorized_keys admits nodes too.
      assert.deepEqual(policy({ callerName: undefined }).decide(nodeHello(peerA), peerA), { ok: true, as: { kind: 'node', identity: 'web01' } })
    })

    it('refuses the hello of another peer or collective, whatever proof it carries', function () {
      assert.equal(refused(policy().decide(nodeHello(peerA), peerB)), 'hello names another peer than the connection\'s')
      const staging = helloFor({ role: 'daemon', collective: 'staging', peer: peerA, enrollment: { identity: 'web01', proof: web01.proof({ collective: 'staging', peer: peerA }) } })
      assert.equal(refused(policy().decide(staging, peerA)), 'collective \'staging\' is not this peer\'s (\'main\')')
    })

    it('refuses a proof copied by another peer, a proof for another collective, another node\'s identity, and a certificate from another CA', function () {
      // peerB replays web01's hello for peerA under its own (noise-authenticated) peer id.
      const copied = { ...nodeHello(peerA), peer: peerB }
      assert.equal(refused(policy().decide(copied, peerB)), 'enrollment of \'web01\' refused: enrollment signature does not bind \'web01\' to this peer and collective')
      const otherCollective = nodeHello(peerA, web01, { enrollment: { identity: 'web01', proof: web01.proof({ collective: 'staging', peer: peerA }) } })
      assert.equal(refused(policy().decide(otherCollective, peerA)), 'enrollment of \'web01\' refused: enrollment signature does not bind \'web01\' to this peer and collective')
      const claimsWeb02 = { ...nodeHello(peerA), identity: 'web02' }
      assert.equal(refused(policy().decide(claimsWeb02, peerA)), 'enrollment of \'web02\' refused: certificate is issued to \'web01\', not \'web02\'')
      assert.match(refused(policy({ enrollment: foreignVerifier }).decide(nodeHello(peerA), peerA)), /^enrollment of 'web01' refused: certificate 'web01' was not issued by the configured ca/)
    })

    it('refuses a node whose certificate has expired by the time of the decision', function () {
      const expiry = verifier.check(web01.proof({ collective, peer: peerA }), { identity: 'web01', collective, peer: peerA })
      assert.ok(expiry.ok)
      assert.equal(policy().decide(nodeHello(peerA), peerA, expiry.notAfter).ok, true)
      assert.equal(refused(policy().decide(nodeHello(peerA), peerA, expiry.notAfter + 1)), 'enrollment of \'web01\' refused: certificate expired')
    })

    it('admits a caller whose key is authorized here, by name and key', function () {
      assert.deepEqual(policy().decide(callerHello(peerA), peerA), { ok: true, as: { kind: 'caller', name: 'alice', key: alice.publicKey } })
    })

    it('refuses a caller key not in authorized_keys, and any caller where the peer admits only nodes', function () {
      assert.equal(refused(policy().decide(callerHello(peerA, bob), peerA)), 'caller key is not in authorized_keys here')
      assert.equal(refused(policy({ callerName: undefined }).decide(callerHello(peerA), peerA)), 'this peer admits only enrolled nodes')
    })

    it('refuses an authorized key whose signature was made for another peer or collective, by another key, or changed', function () {
      const sigOf = (hello: Hello): string => hello.caller?.sig ?? ''
      // Another peer replays alice's hello (her key and signature) over its own connection.
      assert.equal(refused(policy().decide({ ...callerHello(peerA), peer: peerB }, peerB)), 'caller signature does not verify')
      const forStaging = { ...callerHello(peerA), caller: { key: alice.publicKey, sig: sigOf(callerHello(peerA, alice, { collective: 'staging' })) } }
      assert.equal(refused(policy().decide(forStaging, peerA)), 'caller signature does not verify')
      // bob signs, claiming alice's key.
      const claimed = { ...callerHello(peerA), caller: { key: alice.publicKey, sig: sigOf(callerHello(peerA, bob)) } }
      assert.equal(refused(policy().decide(claimed, peerA)), 'caller signature does not verify')
      const signature = Buffer.from(sigOf(callerHello(peerA)), 'base64')
      signature[5] ^= 1
      assert.equal(refused(policy().decide({ ...callerHello(peerA), caller: { key: alice.publicKey, sig: signature.toString('base64') } }, peerA)), 'caller signature does not verify')
      assert.equal(refused(policy().decide({ ...callerHello(peerA), caller: { key: alice.publicKey, sig: '' } }, peerA)), 'caller signature does not verify')
    })

    it('a hello without credentials is refused, saying what its role should have presented', function () {
      assert.equal(refused(policy().decide(helloFor({ role: 'daemon', collective, peer: peerA }), peerA)), 'no enrollment presented (cert and cert_key from the fleet\'s ca)')
      assert.equal(refused(policy().decide(helloFor({ role: 'bootstrap', collective, peer: peerA }), peerA)), 'no enrollment presented (cert and cert_key from the fleet\'s ca)')
      assert.equal(refused(policy().decide(helloFor({ role: 'requester', collective, peer: peerA }), peerA)), 'no caller key presented')
    })

    it('with both a proof and a caller key: a valid proof admits a node, else a valid caller key a caller; both refused gives both reasons', function () {
      const both = (node = web01, key = alice): Hello => ({ ...nodeHello(peerA, node), caller: callerHello(peerA, key).caller })
      assert.deepEqual(policy().decide(both(), peerA), { ok: true, as: { kind: 'node', identity: 'web01' } })
      const badProof = { ...both(), identity: 'web02' }
      assert.deepEqual(policy().decide(badProof, peerA), { ok: true, as: { kind: 'caller', name: 'alice', key: alice.publicKey } })
      assert.equal(refused(policy().decide({ ...both(web01, bob), identity: 'web02' }, peerA)),
        'enrollment of \'web02\' refused: certificate is issued to \'web01\', not \'web02\'; caller key is not in authorized_keys here')
    })
  })
})
