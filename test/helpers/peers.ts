// Extra mesh peers for tests that play a part by hand (an injector, a reply collector, an
// attacker), built from the project's own transport code and admitted the way real peers are:
// with the cluster caller's key, with a certificate from the cluster's CA, or with nothing.
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'
import { createMeshNode, type MeshNode } from '../../src/transport/mesh-node.js'
import { admissionFor } from '../../src/mesh/member.js'
import type { MeshCredentials } from '../../src/mesh/credentials.js'
import { EnrollmentVerifier, NodeCertificate } from '../../src/security/enrollment.js'
import { readRequesterKey } from '../../src/security/keys.js'
import { parseAuthorizedKeys } from '../../src/security/authorized-keys.js'
import { readFileSync } from 'node:fs'
import { silentLogger } from '../../src/log.js'
import type { LocalCluster } from '../../src/demo/local-cluster.js'
import type { MeshRole } from '../../src/security/admission-policy.js'

export interface TestPeerOptions {
  /** present the cluster caller's key (admitted by the bootstrap and the daemons) */
  caller?: boolean
  /** present a certificate for this identity from the cluster's CA */
  enrollAs?: string
  collective?: string
  role?: MeshRole
  /** check others' certificates against the cluster CA (default: when the cluster has one) */
  verify?: boolean
  /** admit requesters holding a key of the cluster's authorized_keys (to play a bootstrap for them) */
  admitCallers?: boolean
  /** run with this libp2p key (to come back as the same peer after a stop) */
  privateKey?: PrivateKey
  /** listen here (default: a free loopback port) */
  listen?: string
}

const keys = new WeakMap<MeshNode, PrivateKey>()

/** The libp2p key a test peer runs with (to sign as it). */
export function peerKeyOf (node: MeshNode): PrivateKey {
  const key = keys.get(node)
  if (key === undefined) throw new Error('not a test peer')
  return key
}

/** What a test peer needs of its cluster: its CA, its caller's key, its authorized_keys. */
export type PeerCluster = Pick<LocalCluster, 'enroll' | 'caCertPath' | 'callerKeyPath' | 'authorizedKeysPath'>

export async function testPeer (cluster: PeerCluster, options: TestPeerOptions = {}): Promise<MeshNode> {
  const credentials: MeshCredentials = {}
  const enrolled = (await cluster.enroll('bootstrap')).ca !== undefined
  if (enrolled && options.verify !== false) credentials.verifier = EnrollmentVerifier.fromFile(cluster.caCertPath)
  if (options.enrollAs !== undefined && enrolled) {
    const files = await cluster.enroll(options.enrollAs)
    credentials.certificate = NodeCertificate.load({ certPath: files.cert ?? '', keyPath: files.cert_key ?? '', anchors: EnrollmentVerifier.fromFile(cluster.caCertPath).anchors })
  }
  if (options.caller === true) credentials.callerKey = readRequesterKey(cluster.callerKeyPath)
  const authorized = options.admitCallers === true ? parseAuthorizedKeys(readFileSync(cluster.authorizedKeysPath, 'utf8'), cluster.authorizedKeysPath).byKey : undefined
  const callerName = authorized !== undefined ? (key: string) => authorized.get(key) : undefined
  const privateKey = options.privateKey ?? await generateKeyPair('Ed25519')
  const node = await createMeshNode({
    role: options.role ?? 'requester',
    privateKey,
    listen: [options.listen ?? '/ip4/127.0.0.1/tcp/0'],
    admission: admissionFor({ role: options.role ?? 'requester', collective: options.collective ?? 'main', credentials, privateKey, log: silentLogger(), callerName })
  })
  keys.set(node, privateKey)
  await node.start()
  return node
}
