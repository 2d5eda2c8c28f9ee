// Issue 15 end to end: what an MCollective operator types, against a real cluster. Data-source
// filters decided by the nodes, find's exit code and --dm broadcast, facts in mco's shape,
// --batch N%, and a policy line troupe cannot read: reported with file and line at load (the
// daemon log) and in the refusal the requester prints, and the nodes' audit logs agree.
import assert from 'node:assert/strict'
import { mkdirSync, readFileSync, writeFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { LocalCluster } from '../../src/demo/local-cluster.js'
import { troupe, parseJson, waitForDirectory } from '../helpers/cli.js'

interface ReplyJson { replies: Array<{ identity: string, status: number, statusmsg: string }>, missing: string[], request: { id: string } }

async function eventually (check: () => boolean | Promise<boolean>, what: string, maxMs = 20_000): Promise<void> {
  const deadline = Date.now() + maxMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, 200))
  }
}

describe('MCollective habits end to end', function () {
  this.timeout(180_000)
  let cluster: LocalCluster
  let config: string[]
  const marker = `/tmp/troupe-mco-compat-${process.pid}`

  before(async () => {
    cluster = await LocalCluster.start({
      nodes: [
        { identity: 'web01', facts: { role: 'web', pkgs: ['nginx', 'curl'], version: '1.0' }, classes: ['role::web'] },
        { identity: 'web02', facts: { role: 'web', pkgs: ['nginx'], version: '1' }, classes: ['role::web'] },
        { identity: 'db01', facts: { role: 'db', pkgs: ['postgresql'], version: null }, classes: ['role::db'] }
      ].map(spec => ({ ...spec, config: { policy_unconfigured: 'allow' as const } })),
      daemonConfig: {}
    })
    config = ['--config', cluster.clientConfigPath]
    await waitForDirectory(config, 3)
    writeFileSync(marker, 'x')
  })

  after(async () => {
    rmSync(marker, { force: true })
    await cluster?.stop()
  })

  it('array facts by any element, string =, =>, and an unknown operator refused (exit 2)', async () => {
    assert.equal((await troupe(['find', '-F', 'pkgs=curl', ...config])).stdout, 'web01\n')
    assert.equal((await troupe(['find', '-F', 'version=1', ...config])).stdout, 'web02\n')
    // (the directory is a hint: on a loaded host an entry can be a moment late, so ask again)
    let combined = ''
    await eventually(async () => (combined = (await troupe(['find', '-W', 'role::web role=web', '-F', 'version=>1', ...config])).stdout) === 'web01\nweb02\n', `-W and => to select web01 and web02 (last: ${JSON.stringify(combined)})`)
    const bad = await troupe(['find', '-F', 'role=!web', ...config])
    assert.equal(bad.code, 2)
    assert.match(bad.stderr, /unknown operator '=!'/)
    const ruby = await troupe(['find', '-S', 'role=~/\\Aw/ and pkgs=~/(?i)NGINX/', ...config])
    assert.equal(ruby.stdout, 'web01\nweb02\n')
  })

  it('find exits 1 when nothing matches, and --dm broadcast lists who answered a ping', async () => {
    const none = await troupe(['find', '-F', 'role=mail', ...config])
    assert.equal(none.code, 1)
    assert.equal(none.stdout, '')
    const broadcast = await troupe(['find', '--dm', 'broadcast', '-C', 'role::web', '--timeout', '2', ...config])
    assert.equal(broadcast.code, 0, broadcast.stderr)
    assert.equal(broadcast.stdout, 'web01\nweb02\n')
    // Each node decided for itself: both web nodes audited an accepted ping, db01 filtered it.
    const audit = (node: string): Array<{ agent: string, action: string, decision: string }> => readFileSync(join(cluster.dir, node, 'audit.log'), 'utf8').trim().split('\n').map(line => JSON.parse(line) as { agent: string, action: string, decision: string })
    assert.ok(audit('db01').some(line => line.action === 'ping' && line.decision === 'filtered'))
  })

  it('a data source in -S is evaluated by the nodes themselves (fstat)', async () => {
    const found = await troupe(['find', '-S', `fstat('${marker}').present=1 and role=web`, '--timeout', '2', ...config])
    assert.equal(found.stdout, 'web01\nweb02\n')
    const none = await troupe(['find', '-S', `fstat('${marker}-absent')`, '--timeout', '2', ...config])
    assert.equal(none.code, 1)
    const typo = await troupe(['find', '-S', `fstat('${marker}').sise>0`, ...config])
    assert.equal(typo.code, 2)
    assert.match(typo.stderr, /no field 'sise'/)
  })

  it('facts in mco\'s shape', async () => {
    const report = await troupe(['facts', 'role', ...config])
    assert.equal(report.code, 0, report.stderr)
    assert.match(report.stdout, /^Report for fact: role\n\n {8}db {39}found 1 times\n {8}web {38}found 2 times\n/)
    const unknown = await troupe(['facts', 'nosuchfact', ...config])
    assert.match(unknown.stdout, /^No values found for fact nosuchfact\n/)
  })

  it('--batch 50% sends in batches of half the selection, rounded up', async () => {
    const doc = parseJson<ReplyJson>(await troupe(['rpc', 'rpcutil', 'ping', '--batch', '50%', '--batch-sleep', '0', '--json', ...config]))
    assert.equal(doc.replies.length, 3)
    assert.equal((await troupe(['ping', '--batch', '0%', ...config])).code, 2)
  })

  it('a policy line troupe cannot read: reported with file and line at load, in the log and in the refusal printed', async () => {
    const policies = join(cluster.dir, 'web01', 'policies')
    mkdirSync(policies, { recursive: true })
    const node = cluster.nodes.get('web01')
    assert.ok(node !== undefined)
    // web01 restarts with a policy_dir whose rpcutil.policy has a space-separated line.
    writeFileSync(join(policies, 'rpcutil.policy'), 'policy default deny\nallow demo-operator * * *\n')
    cluster.kill('web01')
    await cluster.startNode({ ...node.spec, config: { ...node.spec.config, policy_dir: policies } })
    const log = (): string => readFileSync(join(cluster.dir, 'web01', 'daemon.log'), 'utf8')
    await eventually(() => log().includes('rpcutil.policy:2: fields must be separated by tabs'), 'the load-time report in the daemon log')
    await eventually(async () => (await troupe(['find', '-I', 'web01', ...config])).code === 0, 'web01 back in the directory')
    const refused = await troupe(['rpc', 'rpcutil', 'ping', '-I', 'web01', ...config])
    assert.equal(refused.code, 1)
    assert.match(refused.stdout, /web01 +not authorized: .*rpcutil\.policy:2: fields must be separated by tabs.*\(status 1\)/)
    const audit = readFileSync(join(cluster.dir, 'web01', 'audit.log'), 'utf8').trim().split('\n').map(line => JSON.parse(line) as { decision: string, reason?: string })
    assert.ok(audit.some(line => line.decision === 'refused' && /rpcutil\.policy:2/.test(line.reason ?? '')))
  })
})
