// Puppet Enterprise's network rule (issue 12): nodes may only open connections to the master's TCP
// 61613. Network namespaces with nftables in each: the master and a second master (master2,
// another bootstrap) accept only 61613, host1-host4 accept no inbound connection at all, host5
// is open (a mixed fleet: it can be dialled) and host6 sits behind a masquerading NAT router.
// Every config is the default one LocalCluster writes (no reachability or relay setting).
import assert from 'node:assert/strict'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { NetnsFleet, nftAvailable } from '../helpers/netns.js'
import { LocalCluster, demoNodeSpecs, TROUPE_BIN } from '../../src/demo/local-cluster.js'
import { troupe, parseJson, type PingJson } from '../helpers/cli.js'
import { stopRequesterAgent } from '../../src/requester/link.js'
import { loadConfig } from '../../src/config/load.js'

const HOSTS = 6
const ALL = demoNodeSpecs(HOSTS).map(spec => spec.identity)
const PE_HOSTS = ['host1', 'host2', 'host3', 'host4']
const hasPuppet = existsSync('/usr/bin/puppet')

type ViaJson = Omit<PingJson, 'replies'> & { replies: Array<PingJson['replies'][number] & { via?: string }>, undelivered: Array<{ identity: string }> }

async function eventually<T> (attempt: () => Promise<T>, ok: (value: T) => boolean, what: string, maxMs = 90_000): Promise<T> {
  const deadline = Date.now() + maxMs
  for (;;) {
    const value = await attempt()
    if (ok(value)) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: last ${JSON.stringify(value)}`)
    await new Promise(resolve => setTimeout(resolve, 1000))
  }
}

/** How many times the node acted on the request (a second copy, by gossip and directly, is refused as a replay). */
function actedOn (dir: string, identity: string, requestId: string): number {
  return audited(dir, identity, requestId).filter(decision => decision === 'accepted').length
}

function audited (dir: string, identity: string, requestId: string): string[] {
  const path = join(dir, identity, 'audit.log')
  if (!existsSync(path)) return []
  return readFileSync(path, 'utf8').trim().split('\n').map(line => JSON.parse(line) as { request_id: string, decision: string })
    .filter(entry => entry.request_id === requestId).map(entry => entry.decision)
}

describe('Puppet Enterprise network rule: only the master\'s 61613 is reachable', function () {
  this.timeout(300_000)
  let fleet: NetnsFleet
  let cluster: LocalCluster
  const dir = join(process.env.TMPDIR ?? '/tmp', `troupe-pe-${process.pid}`)
  const hostOf = (identity: string): string => `host${Number(identity.replace('node', ''))}`
  const hostFor = (name: string): string => name === 'bootstrap' || name === 'requester' ? 'master' : name === 'bootstrap2' ? 'master2' : hostOf(name)
  const via = (doc: ViaJson): Record<string, string | undefined> => Object.fromEntries(doc.replies.map(reply => [reply.identity, reply.via]))

  before(async function () {
    if (!NetnsFleet.available() || !nftAvailable()) {
      console.log('      (skipped: network namespaces or nftables unavailable; run as root with Debian\'s nftables)')
      this.skip()
    }
    fleet = NetnsFleet.create(HOSTS, { extraHosts: ['master2'], natted: ['host6'] })
    fleet.firewall('master', [61613])
    fleet.firewall('master2', [61613])
    for (const host of PE_HOSTS) fleet.firewall(host)
    mkdirSync(dir, { recursive: true })
    writeFileSync(join(dir, 'site.pp'), 'notify { "troupe-pe": }\n')
    const specs = demoNodeSpecs(HOSTS).map(spec => {
      const puppetDir = join(dir, 'puppet', spec.identity)
      const puppetArgs = ['--confdir', join(puppetDir, 'conf'), '--vardir', join(puppetDir, 'var'), '--codedir', join(puppetDir, 'code'), '--logdir', join(puppetDir, 'log'), '--rundir', join(puppetDir, 'run'), '--publicdir', join(puppetDir, 'public')]
      return { ...spec, config: { puppet_args: puppetArgs, puppet_command: ['puppet', 'apply', join(dir, 'site.pp')] } }
    })
    cluster = await LocalCluster.start({
      nodes: specs,
      dir,
      bootstraps: 2,
      placement: {
        bootstrapPort: 61613,
        address: name => fleet.address(hostFor(name)),
        spawn: (name, args) => fleet.spawn(hostFor(name), process.execPath, [TROUPE_BIN, ...args])
      }
    })
  })

  after(async () => {
    await cluster?.stop()
    await fleet?.destroy()
  })

  const run = async (args: string[], timeoutMs = 60_000): Promise<ViaJson> =>
    parseJson<ViaJson>(await troupe([...args, '--json', '--config', cluster.clientConfigPath], { netns: fleet.namespace('master'), timeoutMs }))

  it('the rule holds: a host cannot be dialled, the master only on 61613', async () => {
    const probe = async (from: string, to: string, port: number): Promise<boolean> => {
      const script = `const s=require('net').connect({host:'${fleet.address(to)}',port:${port}});s.setTimeout(1500);s.on('connect',()=>{console.log('open');process.exit(0)});s.on('timeout',()=>{console.log('dropped');process.exit(0)});s.on('error',e=>{console.log(e.code);process.exit(0)})`
      const child = fleet.spawn(from, process.execPath, ['-e', script])
      let out = ''
      child.stdout?.on('data', (chunk: Buffer) => { out += chunk.toString() })
      await new Promise(resolve => child.once('exit', resolve))
      return out.trim() === 'open'
    }
    const daemonPort = (identity: string): number => Number(/\/tcp\/(\d+)/.exec(cluster.nodes.get(identity)?.addrs[0] ?? '')?.[1])
    assert.equal(await probe('host5', 'master', 61613), true)
    assert.equal(await probe('master', 'host1', daemonPort('node01')), false)
    assert.equal(await probe('host5', 'host2', daemonPort('node02')), false)
    assert.equal(await probe('master', 'host5', daemonPort('node05')), true)
  })

  it('troupe ping from the master reaches every node; -v/--json say relayed for the firewalled and NATed nodes, direct for the open one', async () => {
    const doc = await eventually(async () => await run(['ping', '-v', '--timeout', '5']),
      d => d.replies.length === HOSTS && via(d).node05 === 'direct', 'every node to answer and node05 to be reached directly')
    assert.deepEqual(doc.replies.map(reply => reply.identity), ALL)
    assert.deepEqual(via(doc), { node01: 'relayed', node02: 'relayed', node03: 'relayed', node04: 'relayed', node05: 'direct', node06: 'relayed' })
    for (const identity of ALL) assert.equal(actedOn(dir, identity, doc.request.id), 1, identity)
    const human = await troupe(['ping', '-v', '--config', cluster.clientConfigPath], { netns: fleet.namespace('master') })
    assert.equal(human.code, 0, human.stdout + human.stderr)
    assert.match(human.stdout, /^node01\s+time=\d+ ms relayed$/m)
    assert.match(human.stdout, /^node05\s+time=\d+ ms direct$/m)
  })

  it('troupe rpc with a filter acts on exactly the matching nodes', async () => {
    const doc = await run(['rpc', 'rpcutil', 'ping', '-F', 'role=web'])
    assert.deepEqual(doc.replies.map(reply => reply.identity), ['node01', 'node03', 'node05'])
    assert.deepEqual(doc.missing, [])
    for (const identity of ['node01', 'node03', 'node05']) assert.equal(actedOn(dir, identity, doc.request.id), 1, identity)
    for (const identity of ['node02', 'node04', 'node06']) assert.equal(actedOn(dir, identity, doc.request.id), 0, identity)
  })

  it('a host that drops every packet (the open one, dialled directly) delays no healthy reply, and --timeout bounds the whole command', async () => {
    await eventually(async () => await run(['ping', '--timeout', '5']), d => d.replies.length === HOSTS && via(d).node05 === 'direct', 'every node to answer, node05 directly')
    // A fresh requester agent, so that the unreachable host is one it has to dial.
    await stopRequesterAgent(loadConfig(cluster.clientConfigPath))
    fleet.dropAll('host5')
    try {
      const doc = await run(['ping', '--timeout', '3'])
      assert.deepEqual(doc.missing, ['node05'])
      assert.deepEqual(doc.replies.map(reply => reply.identity), ALL.filter(identity => identity !== 'node05'))
      const started = Date.now()
      const alone = await run(['ping', '--timeout', '2', '-I', 'node05'])
      const wallMs = Date.now() - started
      assert.deepEqual(alone.missing, ['node05'])
      // A bound, not a speed: 2 s plus the CLI's start-up, where two dial timeouts made it 10 s.
      assert.ok(wallMs < 6000, `troupe ping -t 2 -I node05 took ${wallMs} ms`)
    } finally {
      fleet.restore('host5')
    }
    await eventually(async () => await run(['ping', '--timeout', '5']), d => d.replies.length === HOSTS, 'node05 to answer again')
  })

  it('--batch 2 reaches every node, two at a time', async () => {
    const doc = await run(['ping', '--batch', '2', '--batch-sleep', '0.2'])
    assert.deepEqual(doc.replies.map(reply => reply.identity), ALL)
    assert.deepEqual(doc.missing, [])
  })

  it('puppet runall 2 runs Puppet on every node and every reply arrives', async function () {
    if (!hasPuppet) this.skip()
    const doc = await run(['puppet', 'runall', '2'], 240_000)
    assert.deepEqual(doc.replies.map(reply => [reply.identity, reply.status]), ALL.map(identity => [identity, 0]))
  })

  it('a bootstrap (relay) killed mid-run: the run completes through the second one, and so do the next', async () => {
    const batch = run(['ping', '--batch', '1', '--batch-sleep', '1', '--timeout', '8'])
    await new Promise(resolve => setTimeout(resolve, 1500))
    cluster.killBootstrap(0)
    try {
      const during = await batch
      assert.deepEqual(during.replies.map(reply => reply.identity), ALL, JSON.stringify(during))
      const after = await eventually(async () => await run(['ping', '--timeout', '5']), d => d.replies.length === HOSTS, 'every node to answer through master2')
      assert.equal(via(after).node01, 'relayed')
      for (const identity of ALL) assert.equal(actedOn(dir, identity, after.request.id), 1, identity)
    } finally {
      await cluster.startBootstrap(0)
    }
  })
})
