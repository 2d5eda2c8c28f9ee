// One test per security promise, on a real cluster. Each attack is tried against an action with
// a visible effect (a marker file), and each test checks that nothing ran and that the refusal
// reached the node's audit log.
import assert from 'node:assert/strict'
import { existsSync, readFileSync, rmSync, writeFileSync, mkdirSync, copyFileSync } from 'node:fs'
import { spawnSync } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { multiaddr } from '@multiformats/multiaddr'
import { peerIdFromString } from '@libp2p/peer-id'
import { LocalCluster, demoNodeSpecs } from '../../src/demo/local-cluster.js'
import type { MeshNode } from '../../src/transport/mesh-node.js'
import { testPeer } from '../helpers/peers.js'
import { DIRECT_REQUEST_PROTOCOL, agentTopic } from '../../src/transport/topics.js'
import { writeFrame } from '../../src/transport/framing.js'
import { acceptReplies } from '../../src/transport/reply-channel.js'
import { generateRequesterKey, readRequesterKey, writeRequesterKey, type RequesterKey } from '../../src/security/keys.js'
import { signRequest } from '../../src/wire/request.js'
import { emptyFilter } from '../../src/discovery/filter/types.js'
import { writeSwarmKey } from '../../src/security/swarm-key.js'
import { silentLogger } from '../../src/log.js'
import { troupe, parseJson, type PingJson } from '../helpers/cli.js'
import { stopRequesterAgent } from '../../src/requester/link.js'
import { loadConfig } from '../../src/config/load.js'

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'test', 'fixtures', 'agents')

/** A small Debian package this machine does not have (and the test must not install). */
const NOT_INSTALLED = 'sl'

interface AuditLine { request_id: string, caller: string, agent: string, action: string, decision: string, reason?: string, args?: Record<string, unknown> }

async function eventually (condition: () => boolean | Promise<boolean>, what: string, maxMs = 15_000): Promise<void> {
  const deadline = Date.now() + maxMs
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, 100))
  }
}

describe('security promises on a real cluster', function () {
  this.timeout(240_000)
  let cluster: LocalCluster
  let config: string[]
  let operator: RequesterKey
  let attacker: MeshNode
  const tag = (name: string): string => `${name}-${process.pid}`
  const marker = (name: string): string => `/tmp/troupe-mark-${tag(name)}`

  before(async () => {
    const dir = join(process.env.TMPDIR ?? '/tmp', `troupe-security-${process.pid}`)
    // node01 has its own authorized_keys (the others share the cluster's): per-node authorization.
    // Agents without a policy file stay open here (policy_unconfigured: allow); the policy test writes its files.
    const specs = demoNodeSpecs(3).map(spec => ({ ...spec, config: { policy_dir: join(dir, spec.identity, 'policies'), policy_unconfigured: 'allow', ...(spec.identity === 'node01' ? { authorized_keys: join(dir, 'node01', 'authorized_keys') } : {}) } }))
    for (const spec of specs) mkdirSync(join(dir, spec.identity, 'policies'), { recursive: true })
    cluster = await LocalCluster.start({ nodes: specs, dir, daemonConfig: { agents_dir: FIXTURES } })
    config = ['--config', cluster.clientConfigPath]
    operator = readRequesterKey(cluster.callerKeyPath)
    copyFileSync(cluster.authorizedKeysPath, join(dir, 'node01', 'authorized_keys'))
    await eventually(async () => parseJson<PingJson>(await troupe(['ping', '-I', 'node01', '--json', ...config])).replies[0]?.status === 0, 'node01 to read its authorized_keys', 30_000)
    // A compromised host of the fleet: enrolled, so it is admitted, but it holds no authorized key.
    attacker = await testPeer(cluster, { enrollAs: 'intruder', role: 'daemon' })
    await acceptReplies(attacker, () => {}, silentLogger())
    await troupe(['ping', ...config])
  })

  after(async () => {
    await attacker?.stop()
    await cluster?.stop()
    if (cluster !== undefined) rmSync(cluster.dir, { recursive: true, force: true })
    for (const name of ['unauth', 'revoked', 'tampered', 'replay', 'expired', 'future', 'policy', 'flood']) rmSync(marker(name), { force: true })
  })

  function audit (identity: string): AuditLine[] {
    const path = join(cluster.dir, identity, 'audit.log')
    if (!existsSync(path)) return []
    return readFileSync(path, 'utf8').trim().split('\n').filter(line => line !== '').map(line => JSON.parse(line) as AuditLine)
  }

  function markRequest (name: string, key: RequesterKey, issued = Date.now()): Uint8Array {
    return signRequest({
      collective: 'main',
      agent: 'greet',
      action: 'mark',
      args: { tag: tag(name) },
      filter: { ...emptyFilter(), identities: [{ exact: 'node01' }] },
      requester: { peer: attacker.peerId.toString(), addrs: attacker.getMultiaddrs().map(String) },
      ttl: 60
    }, key, issued).bytes
  }

  async function sendDirect (bytes: Uint8Array, identity = 'node01'): Promise<void> {
    const addr = cluster.nodes.get(identity)?.addrs[0]
    assert.ok(addr !== undefined)
    const stream = await attacker.dialProtocol(multiaddr(addr), DIRECT_REQUEST_PROTOCOL)
    await writeFrame(stream, bytes)
  }

  async function refusedInAudit (name: string, reason: RegExp): Promise<void> {
    await eventually(() => audit('node01').some(line => line.decision === 'refused' && reason.test(line.reason ?? '')), `node01 to audit the refusal of ${name}`)
    assert.equal(existsSync(marker(name)), false, 'the action must not have run')
  }

  function strangerConfig (name: string): string {
    const strangerKey = join(cluster.dir, `${name}.key`)
    if (!existsSync(strangerKey)) writeRequesterKey(strangerKey, generateRequesterKey(), name)
    const path = join(cluster.dir, `${name}.yaml`)
    writeFileSync(path, readFileSync(cluster.clientConfigPath, 'utf8')
      .replace(/caller_key: .*/, `caller_key: ${strangerKey}`)
      .replace(/requester_socket: .*/, `requester_socket: ${join(cluster.dir, `${name}.sock`)}`)
      .replace(/key: .*requester\.key/, `key: ${join(cluster.dir, `${name}.peer.key`)}`))
    return path
  }

  it('a key in nobody\'s authorized_keys: the requester is not admitted to the mesh, nothing runs', async () => {
    const config = strangerConfig('stranger')
    const result = await troupe(['rpc', 'greet', 'mark', `tag=${tag('unauth')}`, '-I', 'node01', '--json', '--config', config])
    assert.equal(result.code, 2)
    assert.match(result.stderr, /refused this requester: caller key is not in authorized_keys here/)
    assert.equal(existsSync(marker('unauth')), false)
    assert.match(readFileSync(join(cluster.dir, 'bootstrap.log'), 'utf8'), /peer refused admission/)
    await stopRequesterAgent(loadConfig(config))
  })

  it('a key the bootstrap admits but node01 does not authorize: node01 refuses it (status 1), nothing runs, audited', async () => {
    const config = strangerConfig('partial')
    const shared = readFileSync(cluster.authorizedKeysPath, 'utf8')
    writeFileSync(cluster.authorizedKeysPath, shared + readFileSync(join(cluster.dir, 'partial.key.pub'), 'utf8'))
    try {
      const doc = parseJson<PingJson>(await troupe(['rpc', 'greet', 'mark', `tag=${tag('partial')}`, '-I', 'node01', '--json', '--config', config]))
      assert.equal(doc.replies[0]?.identity, 'node01')
      assert.equal(doc.replies[0]?.status, 1)
      assert.match(doc.replies[0]?.statusmsg ?? '', /not authorized: node01 refused this requester/)
      assert.equal(existsSync(marker('partial')), false)
      assert.match(readFileSync(join(cluster.dir, 'node01', 'daemon.log'), 'utf8'), /caller key is not in authorized_keys here/)
    } finally {
      writeFileSync(cluster.authorizedKeysPath, shared)
      await stopRequesterAgent(loadConfig(config))
    }
  })

  it('a key removed from authorized_keys while the daemons run is refused from then on', async () => {
    const node01Keys = join(cluster.dir, 'node01', 'authorized_keys')
    const saved = readFileSync(node01Keys, 'utf8')
    try {
      writeFileSync(node01Keys, '# nobody\n')
      await eventually(async () => parseJson<PingJson>(await troupe(['ping', '-I', 'node01', '--json', ...config])).replies[0]?.status === 1, 'the revocation to take effect')
      const doc = parseJson<PingJson>(await troupe(['rpc', 'greet', 'mark', `tag=${tag('revoked')}`, '-I', 'node01', '--json', ...config]))
      assert.equal(doc.replies[0]?.status, 1)
      assert.match(doc.replies[0]?.statusmsg ?? '', /not authorized/)
      assert.equal(existsSync(marker('revoked')), false)
      assert.match(readFileSync(join(cluster.dir, 'node01', 'daemon.log'), 'utf8'), /no longer in authorized_keys/)
    } finally {
      writeFileSync(node01Keys, saved)
    }
    await eventually(async () => parseJson<PingJson>(await troupe(['ping', '-I', 'node01', '--json', ...config])).replies[0]?.status === 0, 'the key to be authorized again', 30_000)
  })

  it('a request with one byte changed is refused and audited', async () => {
    const bytes = markRequest('tampered', operator)
    const at = bytes.length - 20
    bytes[at] = (bytes[at] ?? 0) ^ 0x01
    await sendDirect(bytes)
    await refusedInAudit('tampered', /signature does not verify|not UTF-8 JSON|request field/)
  })

  it('a captured request replayed is refused and audited (it ran once)', async () => {
    const bytes = markRequest('replay', operator)
    await sendDirect(bytes)
    await eventually(() => existsSync(marker('replay')), 'the genuine request to run')
    rmSync(marker('replay'))
    await sendDirect(bytes)
    await refusedInAudit('replay', /already seen \(replay\)/)
  })

  it('an expired request and one stamped far in the future are refused and audited', async () => {
    await sendDirect(markRequest('expired', operator, Date.now() - 10 * 60_000))
    await refusedInAudit('expired', /expired/)
    await sendDirect(markRequest('future', operator, Date.now() + 60 * 60_000))
    await refusedInAudit('future', /in the future/)
  })

  it('a policy that allows rpcutil ping and greet hello but denies greet mark and package install to the caller', async () => {
    for (const node of cluster.nodes.values()) {
      const policies = join(dirname(node.configPath), 'policies')
      writeFileSync(join(policies, 'rpcutil.policy'), 'policy default deny\nallow\tdemo-operator\tping\t*\t*\n')
      writeFileSync(join(policies, 'greet.policy'), 'policy default deny\nallow\tdemo-operator\thello\t*\t*\ndeny\tdemo-operator\tmark\t*\t*\n')
      writeFileSync(join(policies, 'package.policy'), 'policy default allow\ndeny\tdemo-operator\tinstall uninstall purge update\t*\t*\n')
    }
    try {
      await eventually(async () => parseJson<PingJson>(await troupe(['rpc', 'greet', 'mark', `tag=${tag('policy')}`, '-I', 'node01', '--json', ...config])).replies[0]?.status === 1, 'the policy to load')
      const ping = parseJson<PingJson>(await troupe(['ping', '--json', ...config]))
      assert.deepEqual(ping.replies.map(reply => reply.status), [0, 0, 0])
      const hello = parseJson<PingJson>(await troupe(['rpc', 'greet', 'hello', 'name=Ada', '-I', 'node01', '--json', ...config]))
      assert.equal(hello.replies[0]?.status, 0)
      const stats = parseJson<PingJson>(await troupe(['rpc', 'rpcutil', 'daemon_stats', '-I', 'node01', '--json', ...config]))
      assert.equal(stats.replies[0]?.status, 1, 'rpcutil actions other than ping are denied by default')
      await refusedInAudit('policy', /may not run greet mark .*greet\.policy:3/)
      // A package that is not installed here, so that an install that slipped through would show.
      const install = parseJson<PingJson>(await troupe(['rpc', 'package', 'install', `package=${NOT_INSTALLED}`, '-I', 'node01', '--json', ...config]))
      assert.equal(install.replies[0]?.status, 1)
      assert.match(install.replies[0]?.statusmsg ?? '', /not authorized/)
      await eventually(() => audit('node01').some(line => line.agent === 'package' && line.action === 'install' && line.decision === 'refused' && /package\.policy:2/.test(line.reason ?? '')), 'the refused install in the audit log')
      assert.notEqual(spawnSync('dpkg-query', ['-W', '-f', '${Status}', NOT_INSTALLED], { encoding: 'utf8' }).stdout, 'install ok installed')
    } finally {
      for (const node of cluster.nodes.values()) {
        for (const agent of ['rpcutil', 'greet', 'package']) rmSync(join(dirname(node.configPath), 'policies', `${agent}.policy`), { force: true })
      }
    }
  })

  it('secret inputs never reach the audit log', async () => {
    const doc = parseJson<PingJson>(await troupe(['rpc', 'greet', 'mark', `tag=${tag('flood')}`, 'secret=hunter2', '-I', 'node02', '--json', ...config]))
    assert.equal(doc.replies[0]?.status, 0, doc.replies[0]?.statusmsg)
    const line = audit('node02').find(entry => entry.action === 'mark' && entry.decision === 'accepted')
    assert.equal(line?.args?.secret, '[redacted]')
    assert.doesNotMatch(readFileSync(join(cluster.dir, 'node02', 'audit.log'), 'utf8'), /hunter2/)
    rmSync(marker('flood'), { force: true })
  })

  it('a mesh peer flooding forged requests is cut off while real requests keep being served', async () => {
    const node03 = cluster.nodes.get('node03')
    assert.ok(node03 !== undefined)
    const target = multiaddr(node03.addrs[0] ?? '')
    await attacker.dial(target)
    const topic = agentTopic('main', 'greet')
    await eventually(() => attacker.services.pubsub.getSubscribers(topic).some(peer => peer.toString() === target.getPeerId()), 'node03 subscription')
    for (let i = 0; i < 40 && attacker.getPeers().some(peer => peer.toString() === target.getPeerId()); i++) {
      const forged = markRequest('flood', operator)
      forged.fill(7, 2, 66)
      await attacker.services.pubsub.publish(topic, forged).catch(() => {})
      await new Promise(resolve => setTimeout(resolve, 20))
    }
    await eventually(() => !attacker.getPeers().some(peer => peer.toString() === target.getPeerId()), 'node03 to disconnect the flooder')
    // Coming back is refused by node03's connection gater: the connection never stays up.
    await attacker.dial(peerIdFromString(target.getPeerId() ?? ''), { signal: AbortSignal.timeout(3000) }).catch(() => {})
    await new Promise(resolve => setTimeout(resolve, 1000))
    assert.equal(attacker.getPeers().some(peer => peer.toString() === target.getPeerId()), false)
    assert.match(readFileSync(join(cluster.dir, 'node03', 'daemon.log'), 'utf8'), /disconnected and banned/)
    assert.equal(existsSync(marker('flood')), false)
    const ping = parseJson<PingJson>(await troupe(['ping', '--json', ...config]))
    assert.deepEqual(ping.replies.map(reply => reply.identity), ['node01', 'node02', 'node03'])
  })
})

describe('private network: swarm key', function () {
  this.timeout(120_000)
  let cluster: LocalCluster

  before(async () => {
    const dir = join(process.env.TMPDIR ?? '/tmp', `troupe-swarm-${process.pid}`)
    mkdirSync(dir, { recursive: true })
    const swarmKey = join(dir, 'swarm.key')
    writeSwarmKey(swarmKey)
    cluster = await LocalCluster.start({ nodes: 2, dir, daemonConfig: { swarm_key: swarmKey }, bootstrapConfig: { swarm_key: swarmKey }, clientConfig: { swarm_key: swarmKey } })
  })

  after(async () => {
    const dir = cluster?.dir
    await cluster?.stop()
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
  })

  it('members with the key work together; a peer without it cannot connect', async () => {
    const ping = parseJson<PingJson>(await troupe(['ping', '--json', '--config', cluster.clientConfigPath]))
    assert.deepEqual(ping.replies.map(reply => reply.identity), ['node01', 'node02'])
    const outsider = await testPeer(cluster, { caller: true })
    try {
      await assert.rejects(outsider.dial(multiaddr(cluster.bootstrapAddr), { signal: AbortSignal.timeout(5000) }))
      assert.equal(outsider.getPeers().length, 0)
    } finally {
      await outsider.stop()
    }
  })

  it('a client config pointing at a malformed swarm key is one clear line, exit 2', async () => {
    const bad = join(cluster.dir, 'bad.key')
    writeFileSync(bad, 'not a key\n')
    const configPath = join(cluster.dir, 'bad-client.yaml')
    copyFileSync(cluster.clientConfigPath, configPath)
    writeFileSync(configPath, readFileSync(configPath, 'utf8').replace(/swarm_key: .*/, `swarm_key: ${bad}`).replace(/requester_idle: .*/, 'requester_idle: 0'))
    const result = await troupe(['ping', '--config', configPath])
    assert.equal(result.code, 2)
    assert.match(result.stderr, /swarm key .*bad\.key is not a libp2p swarm key/)
  })
})
