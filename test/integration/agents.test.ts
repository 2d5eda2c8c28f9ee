// The agents on the real system: dpkg, a sysv-init service, Debian's Puppet, external agents.
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { LocalCluster, demoNodeSpecs } from '../../src/demo/local-cluster.js'
import { troupe, parseJson, type PingJson } from '../helpers/cli.js'
import { requireOrSkip } from '../helpers/prerequisite.js'
import { DAEMON_MAX_OPT } from '../../src/daemon/jit-tier.js'

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'test', 'fixtures', 'agents')
const hasPuppet = existsSync('/usr/bin/puppet')
const hasCronService = existsSync('/etc/init.d/cron') && !existsSync('/run/systemd/system')

function puppetArgs (dir: string): string[] {
  return ['--confdir', join(dir, 'conf'), '--vardir', join(dir, 'var'), '--codedir', join(dir, 'code'), '--logdir', join(dir, 'log'), '--rundir', join(dir, 'run'), '--publicdir', join(dir, 'public')]
}

describe('agents on a real cluster', function () {
  this.timeout(300_000)
  let cluster: LocalCluster
  let config: string[]
  const dir = join(process.env.TMPDIR ?? '/tmp', `troupe-agents-${process.pid}`)

  before(async () => {
    mkdirSync(dir, { recursive: true })
    // A master-less Puppet per node: its own confdir/vardir, a manifest that takes a moment.
    writeFileSync(join(dir, 'site.pp'), 'notify { "troupe-test": }\nexec { "pause": command => "/bin/sleep 1" }\n')
    const specs = demoNodeSpecs(6).map(spec => {
      const puppetDir = join(dir, spec.identity)
      return { ...spec, config: { puppet_args: puppetArgs(puppetDir), puppet_command: ['puppet', 'apply', join(dir, 'site.pp')] } }
    })
    cluster = await LocalCluster.start({ nodes: specs, dir, daemonConfig: { agents_dir: FIXTURES } })
    config = ['--config', cluster.clientConfigPath]
  })

  after(async () => { await cluster?.stop() })

  it('package status reports the version dpkg reports', async () => {
    const version = execFileSync('dpkg-query', ['-W', '-f=${Version}', 'bash'], { encoding: 'utf8' })
    const doc = parseJson<PingJson>(await troupe(['rpc', 'package', 'status', 'package=bash', '-I', 'node01', '--json', ...config]))
    assert.equal(doc.replies[0]?.data.ensure, version)
    assert.equal(doc.replies[0]?.data.version, version)
    const absent = parseJson<PingJson>(await troupe(['rpc', 'package', 'status', 'package=no-such-package-here', '-I', 'node01', '--json', ...config]))
    assert.equal(absent.replies[0]?.data.ensure, 'absent')
  })

  it('resource find shows a package as Puppet\'s resource layer sees it on each node; search lists a type', async function () {
    requireOrSkip(this, hasPuppet, 'Puppet (/usr/bin/puppet)')
    const version = execFileSync('dpkg-query', ['-W', '-f=${Version}', 'bash'], { encoding: 'utf8' })
    const found = parseJson<PingJson>(await troupe(['rpc', 'resource', 'find', 'type=package', 'title=bash', '-I', 'node01', '-I', 'node02', '--json', ...config]))
    assert.deepEqual(found.replies.map(reply => [reply.identity, reply.data.ensure]), [['node01', version], ['node02', version]])
    const absent = parseJson<PingJson>(await troupe(['rpc', 'resource', 'find', 'type=package', 'title=no-such-package-here', '-I', 'node01', '--json', ...config]))
    assert.match(String(absent.replies[0]?.data.ensure), /^(absent|purged)$/)
    const search = parseJson<PingJson>(await troupe(['rpc', 'resource', 'search', 'type=package', '-I', 'node01', '--json', ...config]))
    assert.ok((search.replies[0]?.data.titles as string[]).includes('bash'))
    assert.ok(Number(search.replies[0]?.data.count) > 10)
  })

  it('shell metacharacters in a package name are refused before anything is sent', async () => {
    const cli = await troupe(['rpc', 'package', 'install', 'package=bash;touch /tmp/pwned', '-I', 'node01', ...config])
    assert.equal(cli.code, 2)
    assert.match(cli.stderr, /input 'package' must not contain shell metacharacters/)
    assert.equal(existsSync('/tmp/pwned'), false)
  })

  it('a real sysv-init service: status, stop, start', async function () {
    requireOrSkip(this, hasCronService, 'a sysv-init cron service (/etc/init.d/cron, no systemd)')
    const status = async (): Promise<unknown> => parseJson<PingJson>(await troupe(['rpc', 'service', 'status', 'service=cron', '-I', 'node01', '--json', ...config])).replies[0]?.data.status
    const start = parseJson<PingJson>(await troupe(['rpc', 'service', 'start', 'service=cron', '-I', 'node01', '--json', ...config]))
    assert.equal(start.replies[0]?.data.status, 'running', JSON.stringify(start))
    assert.equal(await status(), 'running')
    const stop = parseJson<PingJson>(await troupe(['rpc', 'service', 'stop', 'service=cron', '-I', 'node01', '--json', ...config]))
    assert.equal(stop.replies[0]?.data.status, 'stopped', JSON.stringify(stop))
    assert.equal(await status(), 'stopped')
    // service(8) says what it sees; confirm with the init script itself.
    assert.notEqual(spawnStatus(), 0)
  })

  it('puppet: disable with a message, status shows it, runonce is refused, enable again', async function () {
    requireOrSkip(this, hasPuppet, 'Puppet (/usr/bin/puppet)')
    // One quoted message, as the shell passes `troupe puppet disable 'maintenance window'`.
    const disable = await troupe(['puppet', 'disable', 'maintenance window', '-I', 'node02', '--json', ...config])
    assert.equal(parseJson<PingJson>(disable).replies[0]?.data.enabled, false)
    const status = parseJson<PingJson>(await troupe(['puppet', 'status', '-I', 'node02', '--json', ...config])).replies[0]?.data
    assert.equal(status?.disable_message, 'maintenance window')
    assert.equal(status?.status, 'disabled')
    const refused = parseJson<PingJson>(await troupe(['puppet', 'runonce', '-I', 'node02', '--json', ...config]))
    assert.equal(refused.replies[0]?.status, 1)
    assert.match(refused.replies[0]?.statusmsg ?? '', /disabled: maintenance window/)
    const enable = parseJson<PingJson>(await troupe(['puppet', 'enable', '-I', 'node02', '--json', ...config]))
    assert.equal(enable.replies[0]?.data.enabled, true)
  })

  it('puppet runonce runs Puppet; last_run_summary shows the run', async function () {
    requireOrSkip(this, hasPuppet, 'Puppet (/usr/bin/puppet)')
    const run = parseJson<PingJson>(await troupe(['puppet', 'runonce', '-I', 'node03', '--json', ...config]))
    assert.equal(run.replies[0]?.status, 0, run.replies[0]?.statusmsg)
    const summary = parseJson<PingJson>(await troupe(['rpc', 'puppet', 'last_run_summary', '-I', 'node03', '--json', ...config])).replies[0]?.data
    assert.ok(Number(summary?.lastrun) > Date.now() / 1000 - 120, JSON.stringify(summary))
    assert.ok(Number((summary?.resources as Record<string, number>).total) >= 2)
  })

  it('puppet runall 2 over 6 nodes never has more than 2 runs at once (from the nodes\' run records)', async function () {
    requireOrSkip(this, hasPuppet, 'Puppet (/usr/bin/puppet)')
    const started = Date.now()
    const result = await troupe(['puppet', 'runall', '2', ...config], { timeoutMs: 240_000 })
    assert.equal(result.code, 0, result.stdout + result.stderr)
    const runs = cluster.nodes.size === 6
      ? [...cluster.nodes.keys()].flatMap(identity => readFileSync(join(dir, identity, 'var', 'state', 'troupe-runs.jsonl'), 'utf8').trim().split('\n').map(line => JSON.parse(line) as { start: number, end: number })).filter(run => run.start >= started)
      : []
    assert.equal(runs.length, 6)
    const events = runs.flatMap(run => [{ at: run.start, delta: 1 }, { at: run.end, delta: -1 }]).sort((a, b) => a.at - b.at || a.delta - b.delta)
    let running = 0
    let most = 0
    for (const event of events) { running += event.delta; most = Math.max(most, running) }
    assert.equal(most, 2)
  })

  it('an external agent written in shell answers; garbage, failure and a hang are status 5', async () => {
    const hello = parseJson<PingJson>(await troupe(['rpc', 'greet', 'hello', 'name=Ada', '-I', 'node04', '--json', ...config]))
    assert.match(String(hello.replies[0]?.data.greeting), /^hello Ada from /)
    const garbage = parseJson<PingJson>(await troupe(['rpc', 'greet', 'garbage', '-I', 'node04', '--json', ...config]))
    assert.equal(garbage.replies[0]?.status, 5)
    assert.match(garbage.replies[0]?.statusmsg ?? '', /not JSON/)
    const fail = parseJson<PingJson>(await troupe(['rpc', 'greet', 'fail', '-I', 'node04', '--json', ...config]))
    assert.equal(fail.replies[0]?.status, 5)
    assert.match(fail.replies[0]?.statusmsg ?? '', /exited with code 3: something broke/)
    const hang = parseJson<PingJson>(await troupe(['rpc', 'greet', 'hang', '-I', 'node04', '--json', ...config]))
    assert.equal(hang.replies[0]?.status, 5)
    assert.match(hang.replies[0]?.statusmsg ?? '', /timed out after 1 s/)
  })

  it('unknown action is status 2; missing and invalid inputs are 3 and 4, naming the input', async () => {
    // An action of a built-in agent is checked against its DDL before sending (exit 2, see
    // cli.test.ts); the node's own answer shows with an external agent, whose DDL only the nodes hold.
    const unknown = parseJson<PingJson>(await troupe(['rpc', 'greet', 'nosuch', '-I', 'node05', '--json', ...config]))
    assert.equal(unknown.replies[0]?.status, 2)
    const missing = parseJson<PingJson>(await troupe(['rpc', 'greet', 'hello', '-I', 'node05', '--json', ...config]))
    assert.equal(missing.replies[0]?.status, 3)
    assert.match(missing.replies[0]?.statusmsg ?? '', /missing required input 'name'/)
    const invalid = parseJson<PingJson>(await troupe(['rpc', 'greet', 'hello', 'name=R2D2', '-I', 'node05', '--json', ...config]))
    assert.equal(invalid.replies[0]?.status, 4)
    assert.match(invalid.replies[0]?.statusmsg ?? '', /input 'name' must match/)
  })

  it('a broken DDL in agents_dir is skipped with a warning, the daemon keeps serving', async () => {
    const log = readFileSync(join(dir, 'node01', 'daemon.log'), 'utf8')
    assert.match(log, /agent DDL .*broken\.json skipped/)
    // Keeps serving: the agent beside the broken DDL (greet.json sorts after broken.json) is loaded
    // and answers, and the node lists every agent but the broken one.
    const stats = parseJson<PingJson>(await troupe(['rpc', 'rpcutil', 'daemon_stats', '-I', 'node01', '--json', ...config]))
    assert.equal(stats.replies[0]?.status, 0, stats.replies[0]?.statusmsg)
    assert.deepEqual(stats.replies[0]?.data.agents, ['greet', 'package', 'puppet', 'resource', 'rpcutil', 'service'])
    const hello = parseJson<PingJson>(await troupe(['rpc', 'greet', 'hello', 'name=Ada', '-I', 'node01', '--json', ...config]))
    assert.equal(hello.replies[0]?.status, 0, hello.replies[0]?.statusmsg)
    assert.match(String(hello.replies[0]?.data.greeting), /^hello Ada from /)
  })

  it('the daemon runs on V8\'s baseline compiler only (daemon_stats v8_max_opt; src/daemon/jit-tier.ts)', async () => {
    const stats = parseJson<PingJson>(await troupe(['rpc', 'rpcutil', 'daemon_stats', '-I', 'node01', '--json', ...config]))
    assert.equal(stats.replies[0]?.status, 0, stats.replies[0]?.statusmsg)
    assert.equal(stats.replies[0]?.data.v8_max_opt, DAEMON_MAX_OPT)
  })

  it('the daemon\'s young generation stays at most 4 MiB (daemon_stats v8_young_generation_bytes; src/young-generation.ts)', async () => {
    const stats = parseJson<PingJson>(await troupe(['rpc', 'rpcutil', 'daemon_stats', '-I', 'node01', '--json', ...config]))
    assert.equal(stats.replies[0]?.status, 0, stats.replies[0]?.statusmsg)
    const bytes = Number(stats.replies[0]?.data.v8_young_generation_bytes)
    assert.ok(bytes > 0 && bytes <= 4 * 2 ** 20, `young generation ${bytes} bytes`)
  })

  it('plugin doc lists every agent and documents one', async () => {
    const list = await troupe(['plugin', 'doc', '--agents-dir', FIXTURES])
    for (const name of ['rpcutil', 'package', 'service', 'puppet', 'resource', 'greet']) assert.match(list.stdout, new RegExp(`^  ${name}\\s`, 'm'))
    const doc = await troupe(['plugin', 'doc', 'package'])
    assert.match(doc.stdout, /^ {3}install:$/m)
    assert.match(doc.stdout, /package: Package name \(required, string/)
    assert.match(doc.stdout, /ensure: Installed version, or absent/)
  })
})

function spawnStatus (): number {
  try {
    execFileSync('/etc/init.d/cron', ['status'], { stdio: 'ignore' })
    return 0
  } catch (err) {
    return (err as { status?: number }).status ?? 1
  }
}
