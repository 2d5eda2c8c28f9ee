// The mesh end to end: a real bootstrap, five real daemon processes, the real CLI binary. Each
// test stands alone (any one can run by itself with --grep): the cluster is whole before each,
// and what a test checks comes from what that test did.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { LocalCluster, demoNodeSpecs } from '../../src/demo/local-cluster.js'
import { PACKAGE_ROOT } from '../../src/package-root.js'
import { troupe, parseJson, type PingJson } from '../helpers/cli.js'

describe('mesh: bootstrap, daemons, ping', function () {
  this.timeout(120_000)
  let cluster: LocalCluster

  before(async () => {
    cluster = await LocalCluster.start({ nodes: 5 })
  })

  after(async () => {
    await cluster?.stop()
  })

  // A test that kills a daemon does not leave the next one a smaller cluster.
  beforeEach(async () => {
    const missing = demoNodeSpecs(5).filter(spec => !cluster.nodes.has(spec.identity))
    if (missing.length === 0) return
    for (const spec of missing) await cluster.startNode(spec)
    for (let i = 0; ; i++) {
      const doc = parseJson<PingJson>(await troupe(['ping', '--json', '--timeout', '3', '--config', cluster.clientConfigPath]))
      if (doc.replies.length === 5) break
      if (i === 40) throw new Error(`the restarted daemons never answered: ${JSON.stringify(doc.missing)}`)
      await new Promise(resolve => setTimeout(resolve, 250))
    }
  })

  it('troupe ping --json gets a reply from each of the 5 daemons, nothing missing', async () => {
    const result = await troupe(['ping', '--json', '--config', cluster.clientConfigPath])
    const doc = parseJson<PingJson>(result)
    assert.deepEqual(doc.replies.map(reply => reply.identity), ['node01', 'node02', 'node03', 'node04', 'node05'])
    assert.deepEqual(doc.missing, [])
    assert.equal(doc.stats.expected, 5)
    assert.equal(doc.stats.ok, 5)
    assert.ok(doc.replies.every(reply => reply.status === 0 && typeof reply.data.pong === 'number'))
    assert.equal(result.code, 0, result.stderr)
  })

  it('human output lists each node and closes with the summary line', async () => {
    const result = await troupe(['ping', '--config', cluster.clientConfigPath])
    assert.equal(result.code, 0, result.stderr)
    for (const identity of ['node01', 'node05']) assert.match(result.stdout, new RegExp(`^${identity}\\s+time=\\d+ ms$`, 'm'))
    assert.match(result.stdout, /^Finished processing 5 \/ 5 hosts in \d+ ms$/m)
  })

  it('troupe ping takes the lean path from its bundle (one file of troupe\'s): neither yaml, zod, commander nor libp2p', async () => {
    const config = ['--config', cluster.clientConfigPath]
    // A first call makes sure the requester agent runs and the config is cached; the second is traced.
    assert.equal((await troupe(['ping', ...config])).code, 0)
    const trace = join(cluster.dir, 'modules.txt')
    const tracer = join(dirname(fileURLToPath(import.meta.url)), '..', 'helpers', 'trace-modules.js')
    const result = await troupe(['ping', '--json', ...config], { env: { NODE_OPTIONS: `--import ${tracer}`, TROUPE_TRACE_MODULES: trace } })
    assert.equal(result.code, 0, result.stderr)
    assert.equal(parseJson<PingJson>(result).stats.ok, 5)
    const loaded = readFileSync(trace, 'utf8').split('\n')
    // `npm run build` bundles the lean path (packaging/bundles.ts); the launcher picks the bundle.
    // The trace names what the ES module loader resolved as file: URLs, and what was loaded as
    // CommonJS as paths. The launcher and the bundle are CommonJS; the program itself is resolved
    // through the ES module loader only because the tracer's --import hooks it.
    const ours = loaded.filter(line => !line.includes('/dist/test/helpers/'))
    const esModules = ours.filter(line => line.startsWith('file:')).map(url => relative(PACKAGE_ROOT, fileURLToPath(url)))
    const commonJs = ours.filter(line => line.startsWith('/')).map(path => relative(PACKAGE_ROOT, path))
    assert.deepEqual(commonJs, ['bin/troupe.js', 'dist/src/cli.cjs'], 'run `npm run build`: tsc alone leaves the bundle behind')
    assert.deepEqual(esModules, ['bin/troupe.js'])
    const heavy = loaded.filter(url => /\/node_modules\/(yaml|zod|commander|libp2p|@libp2p|@chainsafe|pino)\//.test(url))
    assert.deepEqual(heavy, [])
  })

  it('a daemon runs from the services\' bundle: one file of troupe\'s, no module of the compiled tree', async () => {
    // `npm run build` bundles after tsc (packaging/bundles.ts); the launcher picks the bundle.
    const trace = join(cluster.dir, 'daemon-modules.txt')
    const tracer = join(dirname(fileURLToPath(import.meta.url)), '..', 'helpers', 'trace-modules.js')
    const spec = cluster.nodes.get('node05')?.spec
    assert.ok(spec !== undefined)
    cluster.kill('node05')
    const saved = { NODE_OPTIONS: process.env.NODE_OPTIONS, TROUPE_TRACE_MODULES: process.env.TROUPE_TRACE_MODULES }
    Object.assign(process.env, { NODE_OPTIONS: `--import ${tracer}`, TROUPE_TRACE_MODULES: trace })
    try {
      await cluster.startNode(spec)
    } finally {
      for (const [key, value] of Object.entries(saved)) { if (value === undefined) delete process.env[key]; else process.env[key] = value }
    }
    const doc = parseJson<PingJson>(await troupe(['ping', '--json', '-I', 'node05', '--config', cluster.clientConfigPath]))
    assert.deepEqual(doc.replies.map(reply => reply.identity), ['node05'])
    const lines = readFileSync(trace, 'utf8').split('\n')
    const esModules = lines.filter(url => url.startsWith('file:') && !url.includes('/dist/test/helpers/'))
    assert.ok(esModules.length > 0, 'the trace sees the daemon\'s modules')
    // The program is resolved through the ES module loader only because the tracer's --import
    // hooks it; the bundle is compiled with node:vm, from its code cache (bin/load-bundle.js).
    assert.deepEqual(esModules.map(url => relative(PACKAGE_ROOT, fileURLToPath(url))), ['bin/troupe.js'], 'run `npm run build`: tsc alone leaves the bundle behind')
    const scripts = lines.filter(line => line.startsWith('vm:')).map(line => relative(PACKAGE_ROOT, line.slice('vm:'.length)))
    assert.deepEqual(scripts, ['dist/src/services.cjs'])
  })

  it('a killed daemon is named as missing and the exit code is 1', async () => {
    cluster.kill('node03')
    const result = await troupe(['ping', '--json', '--timeout', '3', '--config', cluster.clientConfigPath])
    const doc = parseJson<PingJson>(result)
    assert.deepEqual(doc.missing, ['node03'])
    assert.deepEqual(doc.replies.map(reply => reply.identity), ['node01', 'node02', 'node04', 'node05'])
    assert.equal(result.code, 1)
  })

  it('a config with an unknown key is refused with one line naming the file and key, exit 2', async () => {
    const bad = join(cluster.dir, 'bad.yaml')
    const { writeFileSync } = await import('node:fs')
    writeFileSync(bad, 'bootstrap: []\ncolective: main\n')
    const result = await troupe(['ping', '--config', bad])
    assert.equal(result.code, 2)
    assert.match(result.stderr, /bad\.yaml: unknown key 'colective'/)
    assert.equal(result.stderr.trim().split('\n').length, 1)
  })

  it('daemons audit what they served, by request id', async () => {
    const doc = parseJson<PingJson>(await troupe(['ping', '--json', '--config', cluster.clientConfigPath]))
    assert.equal(doc.replies.length, 5)
    for (const identity of ['node01', 'node02', 'node03', 'node04', 'node05']) {
      const lines = readFileSync(join(cluster.dir, identity, 'audit.log'), 'utf8').trim().split('\n')
        .map(line => JSON.parse(line) as { request_id: string, agent: string, action: string, decision: string, caller: string, reason?: string })
        .filter(entry => entry.request_id === doc.request.id)
      const accepted = lines.filter(entry => entry.decision === 'accepted')
      assert.deepEqual(accepted.map(entry => [entry.agent, entry.action, entry.caller]), [['rpcutil', 'ping', 'demo-operator']], identity)
      // A cold requester also sends a node its request directly when the node's gossip
      // subscription has not arrived yet; that second copy is refused as a replay, and audited.
      for (const other of lines.filter(entry => entry.decision !== 'accepted')) assert.match(`${other.decision} ${other.reason ?? ''}`, /^refused .*already seen \(replay\)/, identity)
    }
  })

  it('a request the mesh need not relay goes to each expected daemon on its own stream, not by gossip', async () => {
    // Published, it would also reach every other subscriber of the topic (the bootstrap), which
    // checks the signature only to drop it. Each daemon counts the request copies gossip brought
    // it and those sent to it directly (daemon_stats); none may come by gossip, each ping must
    // come directly, and each daemon audits each ping.
    const config = ['--config', cluster.clientConfigPath]
    const copies = async (): Promise<Map<string, { gossip: number, direct: number }>> => {
      const doc = parseJson<PingJson>(await troupe(['rpc', 'rpcutil', 'daemon_stats', '--json', ...config]))
      assert.equal(doc.replies.length, 5, JSON.stringify(doc.missing))
      return new Map(doc.replies.map(reply => [reply.identity, { gossip: Number(reply.data.gossip_requests_in), direct: Number(reply.data.direct_requests_in) }]))
    }
    const before = await copies()
    const ids: string[] = []
    for (let i = 0; i < 3; i++) {
      const doc = parseJson<PingJson>(await troupe(['ping', '--json', ...config]))
      assert.equal(doc.replies.length, 5)
      ids.push(doc.request.id)
    }
    const after = await copies()
    for (const identity of ['node01', 'node02', 'node03', 'node04', 'node05']) {
      assert.equal(after.get(identity)?.gossip, before.get(identity)?.gossip, `${identity} got requests by gossip`)
      // The three pings and the second daemon_stats request.
      assert.ok((after.get(identity)?.direct ?? 0) - (before.get(identity)?.direct ?? 0) >= 4, `${identity} got fewer than 4 requests directly`)
      const accepted = readFileSync(join(cluster.dir, identity, 'audit.log'), 'utf8').trim().split('\n')
        .map(line => JSON.parse(line) as { request_id: string, decision: string })
        .filter(entry => entry.decision === 'accepted' && ids.includes(entry.request_id))
      assert.deepEqual(accepted.map(entry => entry.request_id).sort(), [...ids].sort(), identity)
    }
  })
})
