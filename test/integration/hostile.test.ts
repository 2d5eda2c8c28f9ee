// Issue 11's attacks, each performed against a real enrolled cluster by a peer built from the
// project's own transport code: "intruder", a host of the fleet that was compromised (it holds
// a certificate from the fleet's CA, so it is admitted, but no authorized caller key), and
// peers holding nothing at all. Every test checks what the nodes did (audit logs by request id,
// daemon_stats, marker files), not only what a command printed.
import assert from 'node:assert/strict'
import { createServer, connect, type Socket } from 'node:net'
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { tcp } from '@libp2p/tcp'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { LocalCluster, demoNodeSpecs, spawnTroupe } from '../../src/demo/local-cluster.js'
import type { MeshNode } from '../../src/transport/mesh-node.js'
import { ADMIT_PROTOCOL, DIRECT_REQUEST_PROTOCOL, DIRECTORY_PROTOCOL, REPLY_PROTOCOL, agentTopic, beatTopic, registryTopic, undeliveredTopic } from '../../src/transport/topics.js'
import { frameWriter, readFirstFrame, readFrames, writeFrame } from '../../src/transport/framing.js'
import { generateRequesterKey, keyFingerprint, readRequesterKey, type RequesterKey } from '../../src/security/keys.js'
import { openRequest, signRequest, type NewRequest } from '../../src/wire/request.js'
import { jsonBytes, parseJsonBytes } from '../../src/wire/canonical.js'
import { encodeRegistryMessage, signBeat, signRegistration, type Registration } from '../../src/wire/registration.js'
import { encodeNotice } from '../../src/wire/undelivered.js'
import { peerSigner } from '../../src/security/peer-signature.js'
import { NodeCertificate, EnrollmentVerifier } from '../../src/security/enrollment.js'
import { emptyFilter } from '../../src/discovery/filter/types.js'
import { troupe, parseJson, type PingJson } from '../helpers/cli.js'
import { testPeer, peerKeyOf } from '../helpers/peers.js'
import { loadConfig } from '../../src/config/load.js'
import { stopRequesterAgent } from '../../src/requester/link.js'
import { eventually } from '../helpers/eventually.js'

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'test', 'fixtures', 'agents')

interface AuditLine { request_id: string, caller_key: string, agent: string, action: string, decision: string, reason?: string, peer?: string, suppressed?: number }

describe('hostile peers against an enrolled cluster', function () {
  this.timeout(300_000)
  let cluster: LocalCluster
  let config: string[]
  let operator: RequesterKey
  /** the intruder's own caller key: authorized nowhere */
  const intruderKey = generateRequesterKey()
  let intruder: MeshNode
  const tag = (name: string): string => `hostile-${name}-${process.pid}`
  const marker = (name: string): string => `/tmp/troupe-mark-${tag(name)}`

  before(async () => {
    const dir = join(process.env.TMPDIR ?? '/tmp', `troupe-hostile-${process.pid}`)
    rmSync(dir, { recursive: true, force: true })
    mkdirSync(dir, { recursive: true })
    const specs = demoNodeSpecs(3).map(spec => {
      const puppet = join(dir, spec.identity, 'puppet')
      return { ...spec, config: { puppet_args: ['--confdir', join(puppet, 'conf'), '--vardir', join(puppet, 'var'), '--codedir', join(puppet, 'code'), '--logdir', join(puppet, 'log'), '--rundir', join(puppet, 'run')] } }
    })
    cluster = await LocalCluster.start({ nodes: specs, dir, daemonConfig: { agents_dir: FIXTURES } })
    config = ['--config', cluster.clientConfigPath]
    operator = readRequesterKey(cluster.callerKeyPath)
    // It admits requesters too, so that it can play a bootstrap for one (the snapshot test).
    intruder = await testPeer(cluster, { enrollAs: 'intruder', role: 'daemon', admitCallers: true })
    await intruder.dial(multiaddr(cluster.bootstrapAddr))
    for (const node of cluster.nodes.values()) await intruder.dial(multiaddr(node.addrs[0] ?? ''))
    await eventually(async () => parseJson<PingJson>(await troupe(['ping', '--json', ...config])).replies.length === 3, 'the cluster to answer')
  })

  after(async () => {
    await intruder?.stop()
    // The requester agents the snapshot and newcomer tests started for their own client configs:
    // cluster.stop() stops only the cluster's own.
    for (const extra of ['snapshot-client.yaml', 'newcomer.yaml']) {
      const path = cluster === undefined ? '' : join(cluster.dir, extra)
      if (existsSync(path)) await stopRequesterAgent(loadConfig(path)).catch(() => {})
    }
    await cluster?.stop()
    if (cluster !== undefined && process.env.TROUPE_KEEP_TEST_DIR === undefined) rmSync(cluster.dir, { recursive: true, force: true })
    for (const name of ['replay', 'collective', 'regex', 'flood']) rmSync(marker(name), { force: true })
  })

  /** True when a JSON line of the log (bootstrap.log, or NODE/daemon.log) satisfies the test. */
  function logged (file: string, test: (line: Record<string, unknown>) => boolean): boolean {
    const path = join(cluster.dir, file)
    if (!existsSync(path)) return false
    return readFileSync(path, 'utf8').split('\n').some(text => {
      try { return test(JSON.parse(text) as Record<string, unknown>) } catch { return false }
    })
  }

  function audit (identity: string): AuditLine[] {
    const path = join(cluster.dir, identity, 'audit.log')
    if (!existsSync(path)) return []
    return readFileSync(path, 'utf8').trim().split('\n').filter(line => line !== '').map(line => JSON.parse(line) as AuditLine)
  }

  function request (key: RequesterKey, over: Partial<NewRequest> = {}, issued = Date.now()): { id: string, bytes: Uint8Array } {
    const signed = signRequest({
      collective: 'main',
      agent: 'greet',
      action: 'mark',
      args: { tag: tag('flood') },
      filter: emptyFilter(),
      requester: { peer: intruder.peerId.toString(), addrs: intruder.getMultiaddrs().map(String) },
      ttl: 60,
      ...over
    }, key, issued)
    return { id: signed.body.id, bytes: signed.bytes }
  }

  async function sendDirect (from: MeshNode, identity: string, frames: Uint8Array[]): Promise<void> {
    const addr = cluster.nodes.get(identity)?.addrs[0]
    assert.ok(addr !== undefined, `no address for ${identity}`)
    const stream = await from.dialProtocol(multiaddr(addr), DIRECT_REQUEST_PROTOCOL)
    const { queue, done } = frameWriter(stream)
    for (const frame of frames) queue.push(frame)
    queue.end()
    await done
  }

  async function stats (identity: string): Promise<Record<string, number>> {
    const doc = parseJson<PingJson>(await troupe(['rpc', 'rpcutil', 'daemon_stats', '-I', identity, '--json', ...config]))
    assert.equal(doc.replies[0]?.status, 0, JSON.stringify(doc))
    return doc.replies[0]?.data as Record<string, number>
  }

  it('a registration claiming another node\'s identity is refused; requests for that name reach the real node', async () => {
    // The intruder's certificate is for 'intruder': it signs a registration saying it is node01,
    // started later than the real one (which used to win).
    const certificate = NodeCertificate.load({ ...certFiles(cluster, 'intruder'), anchors: EnrollmentVerifier.fromFile(cluster.caCertPath).anchors })
    const sign = peerSigner(peerKeyOf(intruder))
    const forged = signRegistration({
      v: 1, kind: 'announce', identity: 'node01', peer: intruder.peerId.toString(), addrs: intruder.getMultiaddrs().map(String), collective: 'main',
      proof: certificate.proof({ collective: 'main', peer: intruder.peerId.toString() }),
      agents: ['rpcutil', 'greet'], classes: [], facts: {}, version: '9', started: Date.now() + 60_000, interval: 30, seq: 1, rev: 1
    }, sign)
    await intruder.services.pubsub.publish(registryTopic('main'), jsonBytes(forged))
    // And straight into the bootstrap's directory, as a newcomer's own registration.
    const stream = await intruder.dialProtocol(multiaddr(cluster.bootstrapAddr), DIRECTORY_PROTOCOL)
    await writeFrame(stream, jsonBytes({ self: forged }))
    await readFrames(stream, 80 * 1024 * 1024, () => {})
    await eventually(() => logged('bootstrap.log', line => line.msg === 'registration refused' && line.identity === 'node01' && /not proven/.test(String(line.reason))), 'the bootstrap to refuse the claim')
    const found = parseJson<{ nodes: string[] }>(await troupe(['find', '-I', 'node01', '--json', ...config]))
    assert.deepEqual(found.nodes, ['node01'])
    const ping = parseJson<PingJson>(await troupe(['ping', '-I', 'node01', '--json', ...config]))
    assert.deepEqual(ping.replies.map(reply => reply.identity), ['node01'])
    assert.ok(audit('node01').some(line => line.request_id === ping.request.id && line.decision === 'accepted'), 'the real node01 served it')
  })

  it('replies in another node\'s name are refused, in directory and in broadcast discovery', async () => {
    // The intruder sees every greet request and answers at once, as node02 and as a node nobody knows.
    const topic = agentTopic('main', 'greet')
    intruder.services.pubsub.subscribe(topic)
    // A forged reply counts as sent once the intruder has a stream to the requester: whether the
    // requester then reads it or resets the stream is what the test is about.
    const forgedFor = new Set<string>()
    const forge = (event: CustomEvent<{ topic: string, data: Uint8Array }>): void => {
      if (event.detail.topic !== topic) return
      let body
      try { body = openRequest(event.detail.data) } catch { return }
      void (async () => {
        // The requester is outbound-only: its address is relayed through the bootstrap, as real nodes reach it.
        const stream = await intruder.dialProtocol(multiaddr(body.requester.addrs[0] ?? ''), REPLY_PROTOCOL, { runOnLimitedConnection: true })
        forgedFor.add(body.id)
        const { queue, done } = frameWriter(stream)
        // 'ghost' first: the requester takes one reply per peer, and the real node02 answers first.
        for (const identity of ['ghost', 'node02']) queue.push(jsonBytes({ v: 1, id: body.id, identity, status: 0, statusmsg: 'OK', data: { greeting: 'forged' } }))
        queue.end()
        await done
      })().catch(() => {})
    }
    intruder.services.pubsub.addEventListener('message', forge as (event: Event) => void)
    const broadcast = ['--dm', 'broadcast', '-t', '3']
    try {
      // Until the intruder is in the topic's mesh it sees nothing: wait for a broadcast it answers.
      await eventually(async () => {
        const doc = parseJson<PingJson>(await troupe(['rpc', 'greet', 'hello', 'name=Ada', '--json', ...broadcast, ...config]))
        return forgedFor.has(doc.request.id)
      }, 'the intruder to see the greet topic')
      for (const extra of [[], broadcast]) {
        const doc = parseJson<PingJson>(await troupe(['rpc', 'greet', 'hello', 'name=Ada', '--json', ...extra, ...config]))
        assert.deepEqual(doc.replies.map(reply => reply.identity), ['node01', 'node02', 'node03'], extra.join(' '))
        assert.equal(doc.replies.some(reply => reply.data.greeting === 'forged'), false, `a forged reply was accepted (${extra.join(' ')})`)
        // Broadcast requests are relayed through the mesh, so the intruder saw this one and answered it.
        if (extra.length > 0) assert.ok(forgedFor.has(doc.request.id), 'the intruder never got to forge a reply: the test proves nothing')
      }
    } finally {
      intruder.services.pubsub.removeEventListener('message', forge as (event: Event) => void)
      intruder.services.pubsub.unsubscribe(topic)
    }
  })

  it('a beat and an undelivered notice in another node\'s name are refused: gossip is believed only by its author\'s own signature', async () => {
    const node03 = cluster.nodes.get('node03')
    const node03Peer = node03?.addrs[0]?.split('/p2p/')[1] ?? ''
    assert.ok(node03 !== undefined && node03Peer !== '')
    const sign = peerSigner(peerKeyOf(intruder))
    // A beat that would move node03 to an address of the intruder's choosing.
    const beat = signBeat({ v: 1, kind: 'beat', identity: 'node03', peer: node03Peer, addrs: ['/ip4/10.9.9.9/tcp/9'], started: Date.now() + 60_000, seq: 1, rev: 1, interval: 30 }, sign)
    await intruder.services.pubsub.publish(beatTopic('main'), encodeRegistryMessage(beat))
    await eventually(() => logged('bootstrap.log', line => line.msg === 'registry message refused' && line.claimed === node03Peer && line.reason === 'not signed by the peer it describes'), 'the bootstrap to refuse the beat')
    // node03 is frozen, so it cannot answer; the intruder says, in its name, that it acted.
    const topic = agentTopic('main', 'greet')
    intruder.services.pubsub.subscribe(topic)
    const noticed = new Set<string>()
    const notify = (event: CustomEvent<{ topic: string, data: Uint8Array }>): void => {
      if (event.detail.topic !== topic) return
      let body
      try { body = openRequest(event.detail.data) } catch { return }
      const notice = encodeNotice({ v: 1, id: body.id, identity: 'node03', requester: body.requester.peer, status: 0, statusmsg: 'OK', peer: node03Peer }, sign)
      void intruder.services.pubsub.publish(undeliveredTopic('main'), notice).then(() => noticed.add(body.id), () => {})
    }
    intruder.services.pubsub.addEventListener('message', notify as (event: Event) => void)
    node03.process.kill('SIGSTOP')
    try {
      let doc: PingJson & { undelivered: Array<{ identity: string }> } | undefined
      await eventually(async () => {
        const latest = parseJson<PingJson & { undelivered: Array<{ identity: string }> }>(await troupe(['rpc', 'greet', 'hello', 'name=Ada', '--json', '--dm', 'broadcast', '-t', '2', ...config]))
        doc = latest
        return noticed.has(latest.request.id)
      }, 'the intruder to see a greet request and send its notice')
      assert.deepEqual(doc?.undelivered.map(entry => entry.identity), [], JSON.stringify(doc))
      // Stopped at the first hop: the bootstrap refuses to pass it on.
      assert.ok(logged('bootstrap.log', line => line.msg === 'undelivered notice refused' && line.reason === 'not signed by the peer it names'), 'the bootstrap passed the forged notice on')
      assert.deepEqual(doc?.replies.map(reply => reply.identity), ['node01', 'node02'])
    } finally {
      node03.process.kill('SIGCONT')
      intruder.services.pubsub.removeEventListener('message', notify as (event: Event) => void)
      intruder.services.pubsub.unsubscribe(topic)
    }
  })

  it('a registration nested 30,000 deep is dropped unread; directories and the requester agent keep working', async () => {
    const deep = '['.repeat(30_000) + ']'.repeat(30_000)
    const bytes = new TextEncoder().encode(`{"v":1,"kind":"announce","identity":"intruder","peer":"${intruder.peerId.toString()}","collective":"main","sig":"","addrs":[],"agents":[],"classes":[],"facts":{"x":${deep}},"version":"1","started":1,"interval":30,"seq":1,"rev":1}`)
    await intruder.services.pubsub.publish(registryTopic('main'), bytes)
    await eventually(() => logged('bootstrap.log', line => line.msg === 'registry message refused' && /nested deeper/.test(String(line.reason))), 'the bootstrap to drop it')
    for (let i = 0; i < 2; i++) {
      const found = await troupe(['find', '--json', ...config])
      assert.equal(found.code, 0, found.stderr)
      assert.deepEqual(parseJson<{ nodes: string[] }>(found).nodes, ['node01', 'node02', 'node03'])
    }
  })

  it('a stranger\'s request full of catastrophic regexes is refused before its filter is looked at', async () => {
    const filter = { ...emptyFilter(), facts: Array.from({ length: 64 }, (_, i) => ({ fact: i % 2 === 0 ? `role` : `env`, op: '=~' as const, value: '^(a+)+$' })) }
    const evil = request(intruderKey, { filter, agent: 'rpcutil', action: 'ping', args: {} })
    const before = await stats('node01')
    await sendDirect(intruder, 'node01', [evil.bytes])
    await eventually(() => audit('node01').some(line => line.request_id === evil.id && line.decision === 'refused' && /not in authorized_keys/.test(line.reason ?? '')), 'node01 to refuse the stranger')
    const after = await stats('node01')
    // Only the daemon_stats request itself went through the filter.
    assert.equal((after.passed ?? 0) + (after.filtered ?? 0) - (before.passed ?? 0) - (before.filtered ?? 0), 1, 'the stranger\'s filter was evaluated')
    const ping = parseJson<PingJson>(await troupe(['ping', '--json', ...config]))
    assert.equal(ping.replies.length, 3)
  })

  it('strangers\' requests take no place in the replay cache and cost a few audit lines, not one each', async () => {
    const flood = Array.from({ length: 3000 }, () => request(intruderKey))
    const before = await stats('node02')
    await sendDirect(intruder, 'node02', flood.map(item => item.bytes))
    await eventually(() => audit('node02').some(line => line.caller_key === keyFingerprint(intruderKey.publicKey)), 'node02 to see the flood')
    await new Promise(resolve => setTimeout(resolve, 1000))
    const after = await stats('node02')
    assert.ok((after.replay_entries ?? 0) - (before.replay_entries ?? 0) < 10, `replay cache grew by ${(after.replay_entries ?? 0) - (before.replay_entries ?? 0)}`)
    const lines = audit('node02').filter(line => line.caller_key === keyFingerprint(intruderKey.publicKey))
    assert.ok(lines.length <= 10, `${lines.length} audit lines for 3000 refused requests`)
    // The genuine caller is still served.
    const doc = parseJson<PingJson>(await troupe(['rpc', 'greet', 'mark', `tag=${tag('flood')}`, '-I', 'node02', '--json', ...config]))
    assert.equal(doc.replies[0]?.status, 0, JSON.stringify(doc.replies))
  })

  it('future-dated requests cannot make a node write audit lines at wire speed', async () => {
    const future = Array.from({ length: 2000 }, () => request(operator, {}, Date.now() + 3600_000))
    await sendDirect(intruder, 'node03', future.map(item => item.bytes))
    await eventually(() => audit('node03').some(line => /in the future/.test(line.reason ?? '')), 'node03 to refuse them')
    await new Promise(resolve => setTimeout(resolve, 1000))
    const lines = audit('node03').filter(line => /in the future/.test(line.reason ?? ''))
    assert.ok(lines.length <= 10, `${lines.length} audit lines for 2000 refused requests`)
  })

  it('peers without a certificate are refused; a registration for a peer without one is not listed', async () => {
    const strangers = await Promise.all(Array.from({ length: 10 }, async () => await testPeer(cluster, { verify: false })))
    try {
      await Promise.all(strangers.map(async peer => { await peer.dial(multiaddr(cluster.bootstrapAddr)).catch(() => {}) }))
      await eventually(() => strangers.every(peer => peer.getPeers().length === 0), 'the bootstrap to drop them')
      // A throwaway peer's own (well-signed) registration, passed on by the intruder.
      const throwaway = await generateKeyPair('Ed25519')
      const fake = signRegistration({
        v: 1, kind: 'announce', identity: 'ghost', peer: peerIdFromPrivateKey(throwaway).toString(), addrs: [], collective: 'main',
        agents: ['rpcutil'], classes: [], facts: {}, version: '1', started: Date.now(), interval: 30, seq: 1, rev: 1
      }, peerSigner(throwaway))
      const stream = await intruder.dialProtocol(multiaddr(cluster.bootstrapAddr), DIRECTORY_PROTOCOL)
      await writeFrame(stream, jsonBytes({ self: fake }))
      await readFrames(stream, 80 * 1024 * 1024, () => {})
      await intruder.services.pubsub.publish(registryTopic('main'), jsonBytes(fake)).catch(() => {})
      const found = parseJson<{ nodes: string[] }>(await troupe(['find', '--json', ...config]))
      assert.deepEqual(found.nodes, ['node01', 'node02', 'node03'])
      assert.equal((await stats('node01')).directory_size, 3)
      await eventually(() => logged('bootstrap.log', line => line.msg === 'peer refused admission: disconnected' && /no caller key presented/.test(String(line.reason))), 'the bootstrap to log the refusals')
    } finally {
      await Promise.all(strangers.map(async peer => { await peer.stop() }))
    }
  })

  it('a directory query that says which versions it holds gets only the others; the list is bounded', async () => {
    const query = async (body: unknown): Promise<Registration[]> => {
      const stream = await intruder.dialProtocol(multiaddr(cluster.bootstrapAddr), DIRECTORY_PROTOCOL)
      await writeFrame(stream, jsonBytes(body))
      const got: Registration[] = []
      await readFrames(stream, 80 * 1024 * 1024, frame => {
        for (const entry of parseJsonBytes(frame) as Array<{ registration: Registration }>) got.push(entry.registration)
      })
      return got
    }
    const all = await query({})
    const node01 = all.find(registration => registration.identity === 'node01')
    assert.ok(node01 !== undefined)
    const version = `${node01.peer}/${node01.started}/${node01.rev}`
    const rest = await query({ have: [version, 'junk', 42] })
    assert.deepEqual(rest.map(registration => registration.identity).sort(), all.filter(registration => registration.identity !== 'node01').map(registration => registration.identity).sort())
    // An older revision held is no reason to leave the entry out.
    assert.ok((await query({ have: [`${node01.peer}/${node01.started}/${node01.rev - 1}`] })).some(registration => registration.identity === 'node01'))
    // A list past the query's size limit is refused like any oversized query, and the bootstrap serves on.
    await assert.rejects(query({ have: Array.from({ length: 20_000 }, () => version) }))
    assert.equal((await query({})).length, all.length)
  })

  it('a directory snapshot cannot rewrite or hide another node', async () => {
    // The intruder answers directory queries with node02's registration altered, and nothing else.
    let real: Registration | undefined
    const query = await intruder.dialProtocol(multiaddr(cluster.bootstrapAddr), DIRECTORY_PROTOCOL)
    await writeFrame(query, jsonBytes({}))
    await readFrames(query, 80 * 1024 * 1024, frame => {
      for (const entry of parseJsonBytes(frame) as Array<{ registration: Registration }>) if (entry.registration.identity === 'node02') real = entry.registration
    })
    assert.ok(real !== undefined)
    const altered = { ...real, facts: { ...real.facts, role: 'evil' }, rev: real.rev + 100 }
    let served = 0
    await intruder.handle(DIRECTORY_PROTOCOL, ({ stream }) => {
      void (async () => {
        served++
        await readFirstFrame(stream, 1024 * 1024)
        const { queue, done } = frameWriter(stream)
        queue.push(jsonBytes([{ registration: altered, ageMs: 0 }]))
        queue.end()
        await done
      })().catch(() => {})
    })
    // A requester that meets the intruder first.
    const client = join(cluster.dir, 'snapshot-client.yaml')
    const intruderAddr = `${intruder.getMultiaddrs()[0]?.toString() ?? ''}`
    writeFileSync(client, readFileSync(cluster.clientConfigPath, 'utf8')
      .replace(/bootstrap:\n {2}- (.*)\n/, `bootstrap:\n  - ${intruderAddr}\n  - $1\n`)
      .replace(/requester_socket: .*/, `requester_socket: ${join(cluster.dir, 'snapshot.sock')}`)
      .replace(/key: .*requester\.key/, `key: ${join(cluster.dir, 'snapshot.peer.key')}`))
    const evil = parseJson<{ nodes: string[] }>(await troupe(['find', '-F', 'role=evil', '--json', '--config', client]))
    assert.ok(served > 0, 'the requester never asked the intruder for its directory: the test proves nothing')
    assert.deepEqual(evil.nodes, [])
    const ping = parseJson<PingJson>(await troupe(['ping', '--json', '--config', client]))
    assert.deepEqual(ping.replies.map(reply => reply.identity), ['node01', 'node02', 'node03'])
    await intruder.unhandle(DIRECTORY_PROTOCOL)
    await troupe(['ping', '--config', client, '-t', '1']).catch(() => {})
  })

  it('a request replayed right after the node restarts is refused', async () => {
    const genuine = request(operator, { args: { tag: tag('replay') }, filter: { ...emptyFilter(), identities: [{ exact: 'node02' }] } })
    await sendDirect(intruder, 'node02', [genuine.bytes])
    await eventually(() => existsSync(marker('replay')), 'the genuine request to run')
    rmSync(marker('replay'))
    const node02 = cluster.nodes.get('node02')
    assert.ok(node02 !== undefined)
    cluster.kill('node02')
    await cluster.startNode(node02.spec)
    await intruder.dial(multiaddr(cluster.nodes.get('node02')?.addrs[0] ?? ''))
    await sendDirect(intruder, 'node02', [genuine.bytes])
    await eventually(() => audit('node02').some(line => line.request_id === genuine.id && /replay/.test(line.reason ?? '')), 'node02 to refuse the replay')
    assert.equal(existsSync(marker('replay')), false, 'the replayed request ran again')
  })

  it('an unauthorized request cannot make nodes dial an address of its choosing', async () => {
    let dialed = 0
    const trap = createServer(socket => { dialed++; socket.destroy() })
    await new Promise<void>(resolve => trap.listen(0, '127.0.0.1', resolve))
    const port = (trap.address() as { port: number }).port
    try {
      const elsewhere = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
      const reflect = request(intruderKey, { agent: 'rpcutil', action: 'ping', args: {}, requester: { peer: elsewhere, addrs: [`/ip4/127.0.0.1/tcp/${port}`] } })
      for (const identity of ['node01', 'node02', 'node03']) await sendDirect(intruder, identity, [reflect.bytes])
      await intruder.services.pubsub.publish(agentTopic('main', 'rpcutil'), reflect.bytes).catch(() => {})
      await eventually(() => ['node01', 'node02', 'node03'].every(identity => audit(identity).some(line => line.request_id === reflect.id && line.decision === 'refused')), 'every node to refuse it')
      await new Promise(resolve => setTimeout(resolve, 2000))
      assert.equal(dialed, 0, 'a node dialled the address the stranger chose')
    } finally {
      trap.close()
    }
  })

  it('a request signed for another collective is not acted on, and a daemon of that collective is not admitted here', async () => {
    await cluster.startNode({ identity: 'prod01', facts: { role: 'web' }, classes: [], config: { collective: 'prod' } })
    await eventually(() => logged('bootstrap.log', line => line.msg === 'peer refused admission: disconnected' && /collective 'prod' is not this peer's/.test(String(line.reason))), 'the bootstrap to refuse the prod daemon')
    const found = parseJson<{ nodes: string[] }>(await troupe(['find', '--json', ...config]))
    assert.equal(found.nodes.includes('prod01'), false)
    // A request captured in main, delivered to the prod daemon by a peer of prod.
    const spy = await testPeer(cluster, { enrollAs: 'prodspy', collective: 'prod', role: 'daemon' })
    try {
      const captured = request(operator, { args: { tag: tag('collective') } })
      await sendDirect(spy, 'prod01', [captured.bytes])
      await eventually(() => audit('prod01').some(line => line.request_id === captured.id && /collective 'main'/.test(line.reason ?? '')), 'prod01 to refuse it')
      assert.equal(existsSync(marker('collective')), false)
    } finally {
      await spy.stop()
      cluster.kill('prod01')
    }
  })

  it('puppet and the resource agent never read a caller\'s value as an option', async () => {
    const lock = join(cluster.dir, 'hijacked.lock')
    const disable = parseJson<PingJson>(await troupe(['rpc', 'puppet', 'disable', `message=--agent_disabled_lockfile=${lock}`, '-I', 'node01', '--json', ...config]))
    assert.equal(disable.replies[0]?.status, 0, JSON.stringify(disable.replies))
    assert.equal(existsSync(lock), false, 'puppet took the message for an option')
    const status = parseJson<PingJson>(await troupe(['puppet', 'status', '-I', 'node01', '--json', ...config]))
    assert.equal(status.replies[0]?.data.disable_message, `--agent_disabled_lockfile=${lock}`)
    await troupe(['puppet', 'enable', '-I', 'node01', ...config])
    const find = parseJson<PingJson>(await troupe(['rpc', 'resource', 'find', 'type=package', `title=--modulepath=${cluster.dir}`, '-I', 'node01', '--json', ...config]))
    assert.equal(find.replies[0]?.status, 4)
    assert.match(find.replies[0]?.statusmsg ?? '', /may not start with '-'/)
  })

  it('a peer whose hello is late is dropped at the time-out, not refused', async () => {
    // A peer that opens its hello stream and says nothing (a host too busy to send its hello in
    // time looks the same): twenty such connections at once, as many as bans a peer that sends
    // bad hellos. Each is dropped after ADMIT_TIMEOUT_MS; none counts as a refusal.
    const slow = await createLibp2p({ transports: [tcp()], connectionEncrypters: [noise()], streamMuxers: [yamux()] })
    const addr = multiaddr(cluster.nodes.get('node01')?.addrs[0] ?? '')
    const peer = slow.peerId.toString()
    try {
      for (let i = 0; i < 20; i++) {
        const connection = await slow.dial(addr, { force: true })
        await connection.newStream(ADMIT_PROTOCOL)
      }
      await eventually(() => slow.getConnections().length === 0, 'node01 to drop the silent connections', 30_000)
      assert.ok(logged('node01/daemon.log', line => line.peer === peer && /not admitted within/.test(String(line.msg))), 'node01 timed the hellos out')
      // A refusal counts a reject against the peer (enough of them ban it, and the requester and
      // the mesh keeper pass over a peer with recent rejects): a late hello is no refusal.
      assert.ok(!logged('node01/daemon.log', line => line.peer === peer && /refused|banned/.test(String(line.msg))), 'node01 refused a peer for being slow')
      // Its next connection passes node01's connection gate.
      const again = await slow.dial(addr, { force: true })
      assert.equal(again.status, 'open')
    } finally {
      await slow.stop()
    }
  })

  it('hundreds of idle sockets on the bootstrap do not lock newcomers out', async () => {
    const port = Number(cluster.bootstrapAddr.split('/')[4])
    // 500 sockets that never say a word, each opened again as soon as the bootstrap drops it.
    const idle = new Set<Socket>()
    let holding = true
    const hold = (): void => {
      const socket = connect({ host: '127.0.0.1', port, localAddress: '127.0.0.2' })
      socket.on('error', () => {})
      socket.on('close', () => { idle.delete(socket); if (holding) setTimeout(hold, 10) })
      idle.add(socket)
    }
    for (let i = 0; i < 500; i++) hold()
    try {
      await new Promise(resolve => setTimeout(resolve, 1000))
      // A newcomer: a requester agent with a fresh peer key, and a new daemon.
      const client = join(cluster.dir, 'newcomer.yaml')
      writeFileSync(client, readFileSync(cluster.clientConfigPath, 'utf8')
        .replace(/requester_socket: .*/, `requester_socket: ${join(cluster.dir, 'newcomer.sock')}`)
        .replace(/key: .*requester\.key/, `key: ${join(cluster.dir, 'newcomer.peer.key')}`))
      await cluster.startNode({ identity: 'late01', facts: { role: 'web' }, classes: [] })
      await eventually(async () => parseJson<PingJson>(await troupe(['ping', '--json', '--config', client])).replies.length === 4, 'the newcomers to get through', 60_000)
    } finally {
      holding = false
      for (const socket of idle) socket.destroy()
      cluster.kill('late01')
    }
  })

  it('two hosts enrolled under one name are reported, never silently resolved', async () => {
    // node03's certificate and key copied to a second host (here: a second daemon with its own peer key).
    const original = cluster.nodes.get('node03')
    assert.ok(original !== undefined)
    const twinConfig = join(cluster.dir, 'node03-twin.yaml')
    writeFileSync(twinConfig, readFileSync(original.configPath, 'utf8')
      .replace(/key: .*peer\.key/, `key: ${join(cluster.dir, 'node03-twin.peer.key')}`)
      .replace(/log_file: .*/, `log_file: ${join(cluster.dir, 'node03-twin.log')}`)
      .replace(/audit_log: .*/, `audit_log: ${join(cluster.dir, 'node03-twin.audit')}`))
    const twin = spawnTroupe(['daemon', '--config', twinConfig])
    try {
      await eventually(async () => /identity node03 is claimed by 2 peers/.test((await troupe(['ping', ...config])).stderr), 'requester commands to warn of the two claims', 30_000)
      await eventually(() => logged('node03/daemon.log', line => /another peer claims this node's identity/.test(String(line.msg))), 'node03 to log the other claim')
    } finally {
      twin.kill('SIGKILL')
    }
  })

  it('a revoked certificate cuts its node off: connections dropped, a new one refused', async () => {
    const bootstrapPeer = cluster.bootstrapAddr.split('/p2p/')[1] ?? ''
    assert.ok(intruder.getPeers().some(peer => peer.toString() === bootstrapPeer), 'the intruder is connected before')
    await cluster.revoke('intruder')
    await eventually(() => intruder.getPeers().length === 0, 'every peer to drop the intruder')
    await intruder.dial(multiaddr(cluster.bootstrapAddr)).catch(() => {})
    await eventually(() => logged('bootstrap.log', line => line.msg === 'peer refused admission: disconnected' && /is revoked/.test(String(line.reason))), 'the bootstrap to refuse it as revoked')
    // The refusing side closes the connection once its verdict had time to arrive.
    await eventually(() => intruder.getPeers().length === 0, 'the refused connection to be closed')
  })
})

function certFiles (cluster: LocalCluster, identity: string): { certPath: string, keyPath: string } {
  return { certPath: join(cluster.dir, 'certs', `${identity}.crt`), keyPath: join(cluster.dir, 'certs', `${identity}.key`) }
}
