// Selecting nodes on a real cluster: every filter form, alone and combined, against the exact
// expected set, through find (directory), ping and rpc (each selected node checks the filter
// again); limit and batch; inventory and facts. The requester drops replies from nodes it did
// not expect, so replies alone cannot show a node acting when it should not: each case also
// reads every node's audit log for the request id (matching nodes accepted it; the others never
// saw it or, broadcast, filtered it; none accepted it).
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { LocalCluster, type ClusterNodeSpec } from '../../src/demo/local-cluster.js'
import { troupe, parseJson, waitForDirectory, type PingJson } from '../helpers/cli.js'
import { requireOrSkip } from '../helpers/prerequisite.js'

const fleet: ClusterNodeSpec[] = [
  { identity: 'web01', facts: { role: 'web', env: 'prod', cores: 4, os: { family: 'Debian', release: 12 } }, classes: ['profile::base', 'role::web', 'nginx'] },
  { identity: 'web02', facts: { role: 'web', env: 'dev', cores: 8, os: { family: 'Debian', release: 11 } }, classes: ['profile::base', 'role::web', 'nginx'] },
  { identity: 'web03', facts: { role: 'web', env: 'prod', cores: 16, os: { family: 'RedHat', release: 9 } }, classes: ['profile::base', 'role::web'] },
  { identity: 'db01', facts: { role: 'db', env: 'prod', cores: 32, os: { family: 'Debian', release: 12 } }, classes: ['profile::base', 'role::db', 'postgresql'] },
  { identity: 'db02', facts: { role: 'db', env: 'dev', cores: 2, os: { family: 'Debian', release: 12 } }, classes: ['profile::base', 'role::db'] },
  { identity: 'cache01', facts: { role: 'cache', env: 'prod', cores: 8, os: { family: 'Debian', release: 12 } }, classes: ['role::cache'] }
]

describe('discovery: filters on a real cluster', function () {
  this.timeout(180_000)
  let cluster: LocalCluster
  let config: string[]

  before(async () => {
    cluster = await LocalCluster.start({ nodes: fleet })
    config = ['--config', cluster.clientConfigPath]
    await waitForDirectory(config, fleet.length)
  })

  after(async () => { await cluster?.stop() })

  interface AuditLine { request_id: string, decision: string, reason?: string }
  const auditOf = (identity: string): AuditLine[] => {
    const path = join(cluster.dir, identity, 'audit.log')
    return existsSync(path) ? readFileSync(path, 'utf8').trim().split('\n').filter(line => line !== '').map(line => JSON.parse(line) as AuditLine) : []
  }

  /**
   * What each node did with request `id`: the matching ones accepted it, the others filtered it
   * (when `reachesAll`: the request went to every node) or never saw it (a selection the
   * requester delivers itself goes to the selected nodes alone). No node outside `expected` ever
   * accepted it.
   */
  async function nodesDecided (id: string, expected: string[], reachesAll: boolean, what: string): Promise<void> {
    assert.match(id, /^[0-9a-f]{32}$/, what)
    const want = (identity: string): string[] => expected.includes(identity) ? ['accepted'] : reachesAll ? ['filtered'] : []
    // A second copy of a request (the requester's direct send to a node whose subscription had
    // not arrived) is refused as a replay at the gate: not a decision about the filter.
    const decided = (): Array<[string, string[]]> => fleet.map(node => [node.identity, auditOf(node.identity)
      .filter(line => line.request_id === id && !/already seen \(replay\)/.test(line.reason ?? '')).map(line => line.decision)])
    const expectedDecisions = fleet.map(node => [node.identity, want(node.identity)])
    for (let i = 0; i < 100 && JSON.stringify(decided()) !== JSON.stringify(expectedDecisions); i++) await new Promise(resolve => setTimeout(resolve, 100))
    assert.deepEqual(decided(), expectedDecisions, `${what}: each node's audit decisions for ${id}`)
  }

  const cases: Array<{ flags: string[], expected: string[] }> = [
    { flags: ['-F', 'role=web'], expected: ['web01', 'web02', 'web03'] },
    { flags: ['-F', 'role!=web'], expected: ['cache01', 'db01', 'db02'] },
    { flags: ['-F', 'cores>8'], expected: ['db01', 'web03'] },
    { flags: ['-F', 'cores<=4'], expected: ['db02', 'web01'] },
    { flags: ['-F', 'cores>=16', '-F', 'env=prod'], expected: ['db01', 'web03'] },
    { flags: ['-F', 'os.family=RedHat'], expected: ['web03'] },
    { flags: ['-F', 'os.release<12'], expected: ['web02', 'web03'] },
    { flags: ['-F', 'role=~/^(db|cache)$/'], expected: ['cache01', 'db01', 'db02'] },
    { flags: ['-F', 'nosuchfact=1'], expected: [] },
    { flags: ['-C', 'nginx'], expected: ['web01', 'web02'] },
    { flags: ['-C', '/^role::(db|cache)$/'], expected: ['cache01', 'db01', 'db02'] },
    { flags: ['-I', 'db01', '-I', 'web02'], expected: ['db01', 'web02'] },
    { flags: ['-I', '/^web0[12]$/'], expected: ['web01', 'web02'] },
    { flags: ['-A', 'package'], expected: fleet.map(node => node.identity).sort() },
    { flags: ['-A', 'nosuchagent'], expected: [] },
    { flags: ['-S', 'role=web and env=prod'], expected: ['web01', 'web03'] },
    { flags: ['-S', '(role=db or role=cache) and not env=dev'], expected: ['cache01', 'db01'] },
    { flags: ['-S', 'postgresql or nginx'], expected: ['db01', 'web01', 'web02'] },
    { flags: ['-S', '!profile::base'], expected: ['cache01'] },
    { flags: ['-F', 'os.family=Debian', '-C', 'profile::base', '-S', 'env=dev'], expected: ['db02', 'web02'] }
  ]

  for (const { flags, expected } of cases) {
    it(`${flags.join(' ')} selects ${expected.length === 0 ? 'nothing' : expected.join(' ')} (find, ping and rpc agree)`, async () => {
      const found = parseJson<{ nodes: string[] }>(await troupe(['find', '--json', ...flags, ...config]))
      assert.deepEqual(found.nodes, expected, 'find')
      // The requester reaches every selected node itself, so the request goes to them alone
      // (docs/design.md, "Delivery"): the other nodes never see it. Broadcast, below, reaches
      // every node, and each decides on its own facts.
      const ping = await troupe(['ping', '--json', '--timeout', '5', ...flags, ...config])
      const pinged = parseJson<PingJson>(ping)
      assert.deepEqual(pinged.replies.map(reply => reply.identity), expected, 'ping')
      assert.deepEqual(pinged.missing, [])
      assert.equal(ping.code, expected.length > 0 ? 0 : 1)
      const rpc = parseJson<PingJson>(await troupe(['rpc', 'rpcutil', 'get_fact', 'fact=role', '--json', '--timeout', '5', ...flags, ...config]))
      assert.deepEqual(rpc.replies.map(reply => reply.identity), expected, 'rpc')
      for (const reply of rpc.replies) assert.equal(reply.data.value, fleet.find(node => node.identity === reply.identity)?.facts.role)
      if (expected.length > 0) {
        await nodesDecided(pinged.request.id, expected, false, 'ping')
        await nodesDecided(rpc.request.id, expected, false, 'rpc')
      } else {
        // The directory selects nobody: nothing is sent (broadcast below sends it to every node).
        assert.equal(pinged.request.id, '')
      }
      // Broadcast discovery: no directory, every node gets the request and decides.
      const broadcast = parseJson<PingJson>(await troupe(['ping', '--json', '--dm', 'broadcast', '--timeout', '2', ...flags, ...config]))
      assert.deepEqual(broadcast.replies.map(reply => reply.identity), expected, 'broadcast ping')
      await nodesDecided(broadcast.request.id, expected, true, 'broadcast ping')
    })
  }

  it('the node decides: with --dm broadcast (no directory) only matching nodes answer, after the whole timeout', async () => {
    const doc = parseJson<PingJson>(await troupe(['ping', '--json', '--dm', 'broadcast', '--timeout', '2', '-F', 'role=db', ...config]))
    assert.deepEqual(doc.replies.map(reply => reply.identity), ['db01', 'db02'])
    await nodesDecided(doc.request.id, ['db01', 'db02'], true, 'broadcast')
  })

  it('a parse error is one line pointing at the character, exit 2', async () => {
    const result = await troupe(['find', '-S', 'role=web and )', ...config])
    assert.equal(result.code, 2)
    assert.match(result.stderr, /^troupe: bad filter: unexpected '\)' at character 14/)
  })

  it('--limit acts on exactly N nodes, the same ones for the same seed', async () => {
    const first = parseJson<PingJson>(await troupe(['ping', '--json', '--limit', '2', '--limit-seed', '7', ...config]))
    const second = parseJson<PingJson>(await troupe(['ping', '--json', '--limit', '2', '--limit-seed', '7', ...config]))
    assert.equal(first.replies.length, 2)
    assert.equal(first.stats.expected, 2)
    assert.deepEqual(first.replies.map(r => r.identity), second.replies.map(r => r.identity))
    const half = parseJson<PingJson>(await troupe(['ping', '--json', '--limit', '50%', '-F', 'role=web', ...config]))
    assert.equal(half.replies.length, 1)
  })

  it('--batch sends to N nodes at a time, in order, every node once', async () => {
    const doc = parseJson<PingJson>(await troupe(['rpc', 'rpcutil', 'daemon_stats', '--json', '--batch', '2', '--batch-sleep', '0', ...config]))
    assert.equal(doc.replies.length, fleet.length)
    // Each batch is its own request: the nodes' audit logs show 3 request ids, each acted on by 2 nodes.
    const actedOn = new Map<string, string[]>()
    for (const node of fleet) {
      for (const line of readFileSync(join(cluster.dir, node.identity, 'audit.log'), 'utf8').trim().split('\n')) {
        const entry = JSON.parse(line) as { request_id: string, action: string, decision: string }
        if (entry.action === 'daemon_stats' && entry.decision === 'accepted') actedOn.set(entry.request_id, [...(actedOn.get(entry.request_id) ?? []), node.identity])
      }
    }
    assert.deepEqual([...actedOn.values()].map(nodes => nodes.length), [2, 2, 2])
  })

  it('inventory prints what one node holds', async () => {
    const result = await troupe(['inventory', 'db01', ...config])
    assert.equal(result.code, 0, result.stderr)
    assert.match(result.stdout, /Inventory for db01:/)
    assert.match(result.stdout, /^ {6}postgresql$/m)
    assert.match(result.stdout, /^ {6}os\.family => Debian$/m)
    assert.match(result.stdout, /^ {6}package$/m)
  })

  it('facts prints the value distribution of a fact', async () => {
    const result = await troupe(['facts', 'role', ...config])
    assert.equal(result.code, 0, result.stderr)
    assert.match(result.stdout, /web\s+found 3 times/)
    assert.match(result.stdout, /db\s+found 2 times/)
    assert.match(result.stdout, /cache\s+found 1 times$/m, 'mco facts says "1 times"; scripts parse it')
    const doc = JSON.parse((await troupe(['facts', 'os.family', '--json', ...config])).stdout) as { values: Record<string, string[]> }
    assert.deepEqual(doc.values.RedHat, ['web03'])
  })

  it('facts are re-read when the file changes, and a broken file keeps the last good facts', async () => {
    const factsFile = join(cluster.dir, 'cache01', 'facts.yaml')
    writeFileSync(factsFile, 'role: cache\nenv: prod\ncores: 8\nos: {family: Debian, release: 12}\nnew_fact: hello\n')
    let value: unknown
    for (let i = 0; i < 40 && value !== 'hello'; i++) {
      await new Promise(resolve => setTimeout(resolve, 250))
      const doc = parseJson<PingJson>(await troupe(['rpc', 'rpcutil', 'get_fact', 'fact=new_fact', '-I', 'cache01', '--json', ...config]))
      value = doc.replies[0]?.data.value
    }
    assert.equal(value, 'hello')
    writeFileSync(factsFile, 'role: [unclosed\n')
    await new Promise(resolve => setTimeout(resolve, 500))
    const doc = parseJson<PingJson>(await troupe(['rpc', 'rpcutil', 'get_fact', 'fact=new_fact', '-I', 'cache01', '--json', ...config]))
    assert.equal(doc.replies[0]?.data.value, 'hello')
  })
})

describe('discovery: facts from facter', function () {
  this.timeout(120_000)
  let cluster: LocalCluster
  let config: string[]
  const hasFacter = existsSync('/usr/bin/facter')

  before(async function () {
    requireOrSkip(this, hasFacter, 'facter (/usr/bin/facter)')
    cluster = await LocalCluster.start({ nodes: [{ identity: 'host01', facts: { role: 'web', timezone: 'Mars/Olympus' }, classes: [], config: { facter: true } }] })
    config = ['--config', cluster.clientConfigPath]
    await waitForDirectory(config, 1)
  })

  after(async () => { await cluster?.stop() })

  it('facter\'s facts are in the directory and on the node, the YAML file\'s win', async () => {
    const kernel = execFileSync('facter', ['kernel'], { encoding: 'utf8' }).trim()
    assert.deepEqual(parseJson<{ nodes: string[] }>(await troupe(['find', '-F', `kernel=${kernel}`, '-F', 'role=web', '--json', ...config])).nodes, ['host01'])
    const family = parseJson<PingJson>(await troupe(['rpc', 'rpcutil', 'get_fact', 'fact=os.family', '-I', 'host01', '--json', ...config]))
    assert.equal(family.replies[0]?.data.value, execFileSync('facter', ['os.family'], { encoding: 'utf8' }).trim())
    // facter has a timezone too; the operator's file says otherwise, and wins.
    assert.deepEqual(parseJson<{ nodes: string[] }>(await troupe(['find', '-F', 'timezone=Mars/Olympus', '--json', ...config])).nodes, ['host01'])
  })

  it('volatile facts (load, free memory) stay out of the directory; the node still filters on them', async function () {
    // Which volatile facts facter reports depends on the host (a container may have no uptime).
    const volatile = ['load_averages.1m', 'memory.system.available_bytes', 'system_uptime.seconds']
      .find(fact => execFileSync('facter', [fact], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() !== '')
    requireOrSkip(this, volatile !== undefined, 'a volatile fact from facter (load averages, available memory, uptime)')
    assert.deepEqual(parseJson<{ nodes: string[] }>(await troupe(['find', '-F', `${volatile}>=0`, '--json', ...config])).nodes, [])
    const broadcast = parseJson<PingJson>(await troupe(['ping', '-F', `${volatile}>=0`, '--dm', 'broadcast', '--timeout', '2', '--json', ...config]))
    assert.deepEqual(broadcast.replies.map(reply => reply.identity), ['host01'])
  })
})
