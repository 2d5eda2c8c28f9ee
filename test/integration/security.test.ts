// One test per security promise, on a real cluster. Each attack is tried against an action with
// a visible effect (a marker file), and each test checks that nothing ran and that the refusal
// reached the node's audit log.
import assert from 'node:assert/strict'
import { existsSync, readFileSync, rmSync, writeFileSync, mkdirSync, copyFileSync } from 'node:fs'
import { spawnSync } from 'node:child_process'
import { createConnection } from 'node:net'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { multiaddr } from '@multiformats/multiaddr'
import { peerIdFromPrivateKey, peerIdFromString } from '@libp2p/peer-id'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { LocalCluster, demoNodeSpecs } from '../../src/demo/local-cluster.js'
import type { MeshNode } from '../../src/transport/mesh-node.js'
import { testPeer } from '../helpers/peers.js'
import type { Message } from '@libp2p/interface'
import { DIRECT_REQUEST_PROTOCOL, REPLY_PROTOCOL, agentTopic } from '../../src/transport/topics.js'
import { encodeReply } from '../../src/wire/reply.js'
import { openLink, type MeshView } from '../../src/requester/link.js'
import * as lp from 'it-length-prefixed'
import { pipe } from 'it-pipe'
import { pushable } from 'it-pushable'
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
    for (const name of ['unauth', 'revoked', 'revokedok', 'partialok', 'tampered', 'replay', 'expired', 'future', 'policy', 'flood']) rmSync(marker(name), { force: true })
  })

  function audit (identity: string): AuditLine[] {
    const path = join(cluster.dir, identity, 'audit.log')
    if (!existsSync(path)) return []
    return readFileSync(path, 'utf8').trim().split('\n').filter(line => line !== '').map(line => JSON.parse(line) as AuditLine)
  }

  function markRequest (name: string, key: RequesterKey, issued = Date.now(), requester = { peer: attacker.peerId.toString(), addrs: attacker.getMultiaddrs().map(String) }): { bytes: Uint8Array, id: string } {
    const { bytes, body } = signRequest({
      collective: 'main',
      agent: 'greet',
      action: 'mark',
      args: { tag: tag(name) },
      filter: { ...emptyFilter(), identities: [{ exact: 'node01' }] },
      requester,
      ttl: 60
    }, key, issued)
    return { bytes, id: body.id }
  }

  async function sendDirect (bytes: Uint8Array, identity = 'node01'): Promise<void> {
    const addr = cluster.nodes.get(identity)?.addrs[0]
    assert.ok(addr !== undefined)
    const stream = await attacker.dialProtocol(multiaddr(addr), DIRECT_REQUEST_PROTOCOL)
    await writeFrame(stream, bytes)
  }

  /** The request with this id was refused on the node for this reason, never accepted, and its action did not run. */
  async function refusedInAudit (name: string, id: string, reason: RegExp, identity = 'node01'): Promise<void> {
    assert.match(id, /^[0-9a-f]{32}$/)
    await eventually(() => audit(identity).some(line => line.request_id === id && line.decision === 'refused' && reason.test(line.reason ?? '')), `${identity} to audit the refusal of ${name} (${id})`)
    neverAccepted(name, id, identity)
  }

  /**
   * The authorized caller's same action, run and audited as accepted under its own request id: the
   * control that makes neverAccepted's "no line" mean something (a node that stopped writing
   * request ids would pass any check that a line is absent).
   */
  async function acceptedControl (name: string): Promise<void> {
    const doc = parseJson<PingJson>(await troupe(['rpc', 'greet', 'mark', `tag=${tag(name)}`, '-I', 'node01', '--json', ...config]))
    assert.equal(doc.replies[0]?.status, 0, JSON.stringify(doc.replies))
    await eventually(() => audit('node01').some(line => line.request_id === doc.request.id && line.decision === 'accepted'), `node01 to audit ${name} (${doc.request.id}) as accepted`)
    assert.equal(existsSync(marker(name)), true, 'the authorized action ran')
  }

  /** No node line accepted this request id, and its action did not run. */
  function neverAccepted (name: string, id: string, identity = 'node01'): void {
    assert.match(id, /^[0-9a-f]{32}$/)
    assert.deepEqual(audit(identity).filter(line => line.request_id === id && line.decision === 'accepted'), [], `${name} must never be accepted`)
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
    await acceptedControl('partialok')
    const config = strangerConfig('partial')
    const shared = readFileSync(cluster.authorizedKeysPath, 'utf8')
    writeFileSync(cluster.authorizedKeysPath, shared + readFileSync(join(cluster.dir, 'partial.key.pub'), 'utf8'))
    try {
      const doc = parseJson<PingJson>(await troupe(['rpc', 'greet', 'mark', `tag=${tag('partial')}`, '-I', 'node01', '--json', '--config', config]))
      assert.equal(doc.replies[0]?.identity, 'node01')
      assert.equal(doc.replies[0]?.status, 1)
      assert.match(doc.replies[0]?.statusmsg ?? '', /not authorized: node01 refused this requester/)
      neverAccepted('partial', doc.request.id)
      assert.match(readFileSync(join(cluster.dir, 'node01', 'daemon.log'), 'utf8'), /caller key is not in authorized_keys here/)
      // Every command after says so on stderr, naming the node (its hello's warnings), also once
      // node01 has closed the refused connection (it does 200 ms after its verdict).
      await new Promise(resolve => setTimeout(resolve, 1000))
      const again = await troupe(['ping', '--config', config])
      assert.match(again.stderr, /^troupe: warning: node01 refused this requester: caller key is not in authorized_keys here$/m)
    } finally {
      writeFileSync(cluster.authorizedKeysPath, shared)
      await stopRequesterAgent(loadConfig(config))
    }
  })

  it('a key removed from authorized_keys while the daemons run is refused from then on', async () => {
    const node01Keys = join(cluster.dir, 'node01', 'authorized_keys')
    const saved = readFileSync(node01Keys, 'utf8')
    await acceptedControl('revokedok')
    try {
      writeFileSync(node01Keys, '# nobody\n')
      await eventually(async () => parseJson<PingJson>(await troupe(['ping', '-I', 'node01', '--json', ...config])).replies[0]?.status === 1, 'the revocation to take effect')
      const doc = parseJson<PingJson>(await troupe(['rpc', 'greet', 'mark', `tag=${tag('revoked')}`, '-I', 'node01', '--json', ...config]))
      assert.equal(doc.replies[0]?.status, 1)
      assert.match(doc.replies[0]?.statusmsg ?? '', /not authorized/)
      // node01 dropped the requester's connection: this request id never reached its gate, so no
      // line may accept it (a refusal line, if the request got there, is fine).
      neverAccepted('revoked', doc.request.id)
      assert.match(readFileSync(join(cluster.dir, 'node01', 'daemon.log'), 'utf8'), /no longer in authorized_keys/)
    } finally {
      writeFileSync(node01Keys, saved)
    }
    await eventually(async () => parseJson<PingJson>(await troupe(['ping', '-I', 'node01', '--json', ...config])).replies[0]?.status === 0, 'the key to be authorized again', 30_000)
  })

  it('a request with a field value changed (its body still valid) is refused for its signature and audited', async () => {
    const { bytes, id } = markRequest('tampered', operator)
    // The tag names the marker file: tampered-PID -> tampereD-PID, still a valid tag and valid JSON.
    const body = Buffer.from(bytes.subarray(66)).toString('utf8')
    const changed = body.replace(`"tag":"${tag('tampered')}"`, `"tag":"${tag('tampereD')}"`)
    assert.notEqual(changed, body)
    JSON.parse(changed)
    await sendDirect(Uint8Array.from([...bytes.subarray(0, 66), ...Buffer.from(changed, 'utf8')]))
    await refusedInAudit('tampered', id, /^request signature does not verify$/)
    assert.equal(existsSync(marker('tampereD')), false, 'the tampered action must not have run')
  })

  it('a captured request replayed is refused, audited and warned of (it ran once)', async () => {
    // Captured: made by another requester (a peer id with no addresses here), sent again by the attacker.
    const requester = { peer: peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString(), addrs: [] }
    const { bytes, id } = markRequest('replay', operator, Date.now(), requester)
    await sendDirect(bytes)
    await eventually(() => existsSync(marker('replay')), 'the genuine request to run')
    rmSync(marker('replay'))
    await sendDirect(bytes)
    await eventually(() => audit('node01').some(line => line.request_id === id && line.decision === 'refused'), 'the replay to be refused')
    // Accepted once, then refused as a replay: that id, in that order, and the action did not run again.
    assert.deepEqual(audit('node01').filter(line => line.request_id === id).map(line => [line.decision, line.reason ?? '']), [['accepted', ''], ['refused', `request ${id} was already seen (replay)`]])
    assert.equal(existsSync(marker('replay')), false, 'the replay must not have run')
    // Not its requester asking again (requester/reask.ts), so the operator is told.
    const warned = readFileSync(join(cluster.dir, 'node01', 'daemon.log'), 'utf8').split('\n').filter(line => line.includes(id) && line.includes('request refused at the gate'))
    assert.equal(warned.length, 1, 'one warning of the replay')
    assert.equal((JSON.parse(warned[0] ?? '{}') as { level: number }).level, 40)
  })

  it('a direct request stream its sender resets is not a bad request: not warned of; an oversized frame is', async () => {
    // A fresh enrolled peer: the attacker's earlier refusals would hold back node03's warnings of it.
    const sender = await testPeer(cluster, { enrollAs: 'resetter', role: 'daemon' })
    try {
      const addr = cluster.nodes.get('node03')?.addrs[0]
      assert.ok(addr !== undefined)
      // An open request stream reset by its sender, as a requester that stops mid-command does.
      const reset = await sender.dialProtocol(multiaddr(addr), DIRECT_REQUEST_PROTOCOL)
      const nothingYet = pushable<Uint8Array>()
      reset.sink(nothingYet).catch(() => {})
      await new Promise(resolve => setTimeout(resolve, 300))
      reset.abort(new Error('requester stopped'))
      // The control: a frame longer than any request, refused as a bad message.
      const oversized = await sender.dialProtocol(multiaddr(addr), DIRECT_REQUEST_PROTOCOL)
      await oversized.sink([Uint8Array.from([0xff, 0xff, 0xff, 0x7f])]).catch(() => {})
      const peer = sender.peerId.toString()
      const warnings = (): Array<{ level: number, reason?: string }> => readFileSync(join(cluster.dir, 'node03', 'daemon.log'), 'utf8').split('\n')
        .filter(line => line.includes(peer) && line.includes('request refused at the gate')).map(line => JSON.parse(line) as { level: number, reason?: string })
      await eventually(() => warnings().length > 0, 'node03 to warn of the oversized frame')
      await new Promise(resolve => setTimeout(resolve, 500))
      assert.deepEqual(warnings().map(line => line.level), [40], `one warning, of the oversized frame alone: ${JSON.stringify(warnings())}`)
      assert.match(warnings()[0]?.reason ?? '', /^unreadable direct request: frame of 268435455 bytes exceeds 65536$/)
    } finally {
      await sender.stop()
    }
  })

  it('an expired request and one stamped far in the future are refused and audited', async () => {
    const expired = markRequest('expired', operator, Date.now() - 10 * 60_000)
    await sendDirect(expired.bytes)
    await refusedInAudit('expired', expired.id, /^request expired \d+ s ago$/)
    const future = markRequest('future', operator, Date.now() + 60 * 60_000)
    await sendDirect(future.bytes)
    await refusedInAudit('future', future.id, /in the future/)
  })

  it('a policy that allows rpcutil ping and greet hello but denies greet mark and package install to the caller', async () => {
    for (const node of cluster.nodes.values()) {
      const policies = join(dirname(node.configPath), 'policies')
      writeFileSync(join(policies, 'rpcutil.policy'), 'policy default deny\nallow\tdemo-operator\tping\t*\t*\n')
      writeFileSync(join(policies, 'greet.policy'), 'policy default deny\nallow\tdemo-operator\thello\t*\t*\ndeny\tdemo-operator\tmark\t*\t*\n')
      writeFileSync(join(policies, 'package.policy'), 'policy default allow\ndeny\tdemo-operator\tinstall uninstall purge update\t*\t*\n')
    }
    try {
      let markId = ''
      await eventually(async () => {
        const mark = parseJson<PingJson>(await troupe(['rpc', 'greet', 'mark', `tag=${tag('policy')}`, '-I', 'node01', '--json', ...config]))
        markId = mark.request.id
        if (mark.replies[0]?.status === 0) rmSync(marker('policy'), { force: true })
        return mark.replies[0]?.status === 1
      }, 'the policy to load')
      const ping = parseJson<PingJson>(await troupe(['ping', '--json', ...config]))
      assert.deepEqual(ping.replies.map(reply => reply.status), [0, 0, 0])
      const hello = parseJson<PingJson>(await troupe(['rpc', 'greet', 'hello', 'name=Ada', '-I', 'node01', '--json', ...config]))
      assert.equal(hello.replies[0]?.status, 0)
      assert.deepEqual(audit('node01').filter(line => line.request_id === hello.request.id).map(line => line.decision), ['accepted'])
      const stats = parseJson<PingJson>(await troupe(['rpc', 'rpcutil', 'daemon_stats', '-I', 'node01', '--json', ...config]))
      assert.equal(stats.replies[0]?.status, 1, 'rpcutil actions other than ping are denied by default')
      await refusedInAudit('stats', stats.request.id, /may not run rpcutil daemon_stats .*denied by the default of rpcutil\.policy/)
      await refusedInAudit('policy', markId, /may not run greet mark .*greet\.policy:3/)
      // A package that is not installed here, so that an install that slipped through would show.
      const install = parseJson<PingJson>(await troupe(['rpc', 'package', 'install', `package=${NOT_INSTALLED}`, '-I', 'node01', '--json', ...config]))
      assert.equal(install.replies[0]?.status, 1)
      assert.match(install.replies[0]?.statusmsg ?? '', /not authorized/)
      await refusedInAudit('install', install.request.id, /may not run package install .*package\.policy:2/)
      assert.notEqual(spawnSync('dpkg-query', ['-W', '-f', '${Status}', NOT_INSTALLED], { encoding: 'utf8' }).stdout, 'install ok installed')
    } finally {
      for (const node of cluster.nodes.values()) {
        for (const agent of ['rpcutil', 'greet', 'package']) rmSync(join(dirname(node.configPath), 'policies', `${agent}.policy`), { force: true })
      }
    }
  })

  it('a policy file that does not parse denies its agent (fail closed), by request id; other agents are unaffected', async () => {
    const policies = join(cluster.dir, 'node01', 'policies')
    writeFileSync(join(policies, 'greet.policy'), 'allow everyone everything\n')
    try {
      let id = ''
      await eventually(async () => {
        const doc = parseJson<PingJson>(await troupe(['rpc', 'greet', 'mark', `tag=${tag('brokenpolicy')}`, '-I', 'node01', '--json', ...config]))
        id = doc.request.id
        if (doc.replies[0]?.status === 0) rmSync(marker('brokenpolicy'), { force: true })
        return doc.replies[0]?.status === 1
      }, 'the broken policy to load')
      await refusedInAudit('brokenpolicy', id, /may not run greet mark on node01 \(policy for greet is broken: .*greet\.policy:1: /)
      const ping = parseJson<PingJson>(await troupe(['ping', '-I', 'node01', '--json', ...config]))
      assert.equal(ping.replies[0]?.status, 0, 'an agent without a policy file is still served')
    } finally {
      rmSync(join(policies, 'greet.policy'), { force: true })
    }
  })

  it('a caller over caller_rate is refused for the requests beyond its burst and refill, each audited by id', async () => {
    // caller_rate is 50/s by default, burst 100: 600 pings on one stream. How many the node may
    // accept depends on how long it took to read them (the bucket refills), so the bound is
    // computed from the node's own audit times, not assumed.
    const requests = Array.from({ length: 600 }, () => signRequest({
      collective: 'main', agent: 'rpcutil', action: 'ping', args: {},
      filter: { ...emptyFilter(), identities: [{ exact: 'node02' }] },
      requester: { peer: attacker.peerId.toString(), addrs: attacker.getMultiaddrs().map(String) },
      ttl: 60
    }, operator))
    const addr = cluster.nodes.get('node02')?.addrs[0]
    assert.ok(addr !== undefined)
    const stream = await attacker.dialProtocol(multiaddr(addr), DIRECT_REQUEST_PROTOCOL)
    await pipe(requests.map(request => request.bytes), source => lp.encode(source), stream.sink)
    const ids = new Set(requests.map(request => request.body.id))
    const decided = (): AuditLine[] => audit('node02').filter(line => ids.has(line.request_id))
    await eventually(() => decided().length === requests.length, 'node02 to decide every request')
    const refused = decided().filter(line => line.decision === 'refused')
    const accepted = decided().filter(line => line.decision === 'accepted')
    const times = decided().map(line => Date.parse((line as AuditLine & { time: string }).time))
    const spanSeconds = (Math.max(...times) - Math.min(...times)) / 1000
    assert.ok(accepted.length >= 100, `the burst (100) is served, got ${accepted.length}`)
    assert.ok(accepted.length <= 100 + 50 * (spanSeconds + 0.1), `at most burst + rate x ${spanSeconds} s accepted, got ${accepted.length}`)
    assert.ok(refused.length > 0, `some refused (accepted ${accepted.length} in ${spanSeconds} s)`)
    for (const line of refused) assert.match(line.reason ?? '', /^refused: demo-operator sends more than 50 requests a second to node02$/)
    // Each request decided once: none both refused and accepted.
    assert.equal(new Set(decided().map(line => line.request_id)).size, requests.length)
  })

  it('a reply cannot be passed off: a mesh peer that sees a request and answers in node01\'s name is not believed', async () => {
    // The attacker (an enrolled host holding no authorized key) joins the topic through the
    // bootstrap and connects to the requester agent itself, so it receives a broadcast request as
    // any mesh peer may; node01's action hangs (1 s time limit, status 5), so the forged reply
    // (status 0) always arrives first. Broadcast is where the requester expects no particular peers.
    // The agent's loopback address, once it has one to say (a requester agent started just now
    // may answer before it lists its addresses).
    let view: MeshView | undefined
    let requesterAddr: string | undefined
    await eventually(async () => {
      const link = await openLink(loadConfig(cluster.clientConfigPath))
      try { view = await link.hello() } finally { await link.close() }
      requesterAddr = view.addrs.map(addr => addr.includes('/p2p/') ? addr : `${addr}/p2p/${view?.peer ?? ''}`).find(addr => addr.includes('/ip4/127.0.0.1/'))
      return requesterAddr !== undefined
    }, 'the requester agent to advertise a loopback address')
    assert.ok(view !== undefined && requesterAddr !== undefined)
    const requesterPeer = view.peer
    const topic = agentTopic('main', 'greet')
    const forgedFor = new Set<string>()
    const onMessage = (event: CustomEvent<Message>): void => {
      if (event.detail.topic !== topic) return
      const body = JSON.parse(Buffer.from(event.detail.data.subarray(66)).toString('utf8')) as { id: string, action: string }
      if (body.action !== 'hang') return
      forgedFor.add(body.id)
      const forged = encodeReply({ v: 1, id: body.id, identity: 'node01', status: 0, statusmsg: 'OK', data: { forged: true } })
      void attacker.dialProtocol(peerIdFromString(requesterPeer), REPLY_PROTOCOL).then(async stream => { await writeFrame(stream, forged) }).catch(() => {})
    }
    attacker.services.pubsub.addEventListener('message', onMessage)
    attacker.services.pubsub.subscribe(topic)
    try {
      await attacker.dial(multiaddr(cluster.bootstrapAddr))
      await attacker.dial(multiaddr(requesterAddr))
      await new Promise(resolve => setTimeout(resolve, 2000))
      for (const discovery of [['--dm', 'broadcast']]) {
        const doc = parseJson<PingJson>(await troupe(['rpc', 'greet', 'hang', '-I', '/^node01$/', '--timeout', '4', ...discovery, '--json', ...config]))
        assert.ok(forgedFor.has(doc.request.id), `the attacker must have seen the request (${discovery.join(' ')}) to forge a reply`)
        assert.deepEqual(doc.replies.map(reply => [reply.identity, reply.status, reply.data.forged]), [['node01', 5, undefined]], `${discovery.join(' ')}: ${JSON.stringify(doc)} ${JSON.stringify(audit('node01').filter(line => line.request_id === doc.request.id))}`)
      }
    } finally {
      attacker.services.pubsub.unsubscribe(topic)
      attacker.services.pubsub.removeEventListener('message', onMessage)
      await attacker.hangUp(peerIdFromString(requesterPeer)).catch(() => {})
    }
  })

  it('every connection is encrypted: a daemon will not negotiate plaintext, only noise', async () => {
    // multistream-select by hand over a raw TCP socket: what a peer that wants no encryption would try.
    const { address: host, port } = multiaddr(cluster.nodes.get('node01')?.addrs[0] ?? '').nodeAddress()
    const answerTo = async (protocol: string): Promise<string> => await new Promise((resolve, reject) => {
      const frame = (text: string): Buffer => Buffer.concat([Buffer.from([Buffer.byteLength(text) + 1]), Buffer.from(`${text}\n`)])
      const socket = createConnection({ host, port }, () => socket.write(Buffer.concat([frame('/multistream/1.0.0'), frame(protocol)])))
      let received = Buffer.alloc(0)
      const messages: string[] = []
      socket.on('data', chunk => {
        received = Buffer.concat([received, chunk])
        while (received.length > 0 && received.length >= 1 + (received[0] ?? 0)) {
          messages.push(received.subarray(1, 1 + (received[0] ?? 0)).toString().trimEnd())
          received = received.subarray(1 + (received[0] ?? 0))
        }
        if (messages.length >= 2) { socket.destroy(); resolve(messages[1] ?? '') }
      })
      socket.on('error', reject)
      setTimeout(() => { socket.destroy(); reject(new Error(`no answer to ${protocol}: ${JSON.stringify(messages)}`)) }, 5000)
    })
    assert.equal(await answerTo('/plaintext/2.0.0'), 'na')
    assert.equal(await answerTo('/plaintext/1.0.0'), 'na')
    assert.equal(await answerTo('/noise'), '/noise')
  })

  it('secret inputs never reach the audit log', async () => {
    const doc = parseJson<PingJson>(await troupe(['rpc', 'greet', 'mark', `tag=${tag('flood')}`, 'secret=hunter2', '-I', 'node02', '--json', ...config]))
    assert.equal(doc.replies[0]?.status, 0, doc.replies[0]?.statusmsg)
    const line = audit('node02').find(entry => entry.request_id === doc.request.id && entry.decision === 'accepted')
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
      const forged = markRequest('flood', operator).bytes
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
