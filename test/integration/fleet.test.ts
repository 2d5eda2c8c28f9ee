// Across hosts: a master namespace (bootstrap on the real port 61613, the requester) and six host
// namespaces, each with its own address on a bridge. Faults: the bootstrap killed, a daemon
// killed, a daemon restarted, a partition and its healing, a frozen (slow) node; then a sustained
// request stream across the bridge.
import assert from 'node:assert/strict'
import { writeFileSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { NetnsFleet } from '../helpers/netns.js'
import { LocalCluster, demoNodeSpecs, TROUPE_BIN } from '../../src/demo/local-cluster.js'
import { troupe, parseJson, type PingJson } from '../helpers/cli.js'
import { requireOrSkip } from '../helpers/prerequisite.js'
import { loadConfig } from '../../src/config/load.js'
import { openLink } from '../../src/requester/link.js'
import { readRequesterKey } from '../../src/security/keys.js'
import { sendAndCollect } from '../../src/requester/session.js'
import { emptyFilter } from '../../src/discovery/filter/index.js'

const HOSTS = 6
const LOAD_RATE = Number(process.env.TROUPE_LOAD_RATE ?? 20)
const LOAD_SECONDS = Number(process.env.TROUPE_LOAD_SECONDS ?? 60)
const WARM_UP_SECONDS = Math.min(15, LOAD_SECONDS / 4)
/**
 * RSS a daemon may gain between the end of the warm-up and the end of the run. Measured here: 3-8
 * MiB, as the replay cache and gossipsub's seen-cache fill their time windows (90 s, 120 s). It
 * catches what holds on to something per request (a stream, a buffered reply: tens of KiB each),
 * not a slow drip, which needs a longer soak than a test should take.
 */
const MAX_RSS_GROWTH_MIB = 16
const ALL = demoNodeSpecs(HOSTS).map(spec => spec.identity)

async function eventually<T> (attempt: () => Promise<T>, ok: (value: T) => boolean, what: string, maxMs = 60_000): Promise<T> {
  const deadline = Date.now() + maxMs
  for (;;) {
    const value = await attempt()
    if (ok(value)) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: last ${JSON.stringify(value)}`)
    await new Promise(resolve => setTimeout(resolve, 500))
  }
}

describe('fleet in network namespaces', function () {
  this.timeout(300_000)
  let fleet: NetnsFleet
  let cluster: LocalCluster
  const hostOf = (identity: string): string => `host${Number(identity.replace('node', ''))}`

  before(async function () {
    requireOrSkip(this, NetnsFleet.available(), 'network namespaces (root on Linux)')
    fleet = NetnsFleet.create(HOSTS)
    cluster = await LocalCluster.start({
      nodes: HOSTS,
      // TROUPE_KEEP_TEST_DIR=DIR keeps the fleet's configs and logs there after the run.
      ...(process.env.TROUPE_KEEP_TEST_DIR !== undefined ? { dir: process.env.TROUPE_KEEP_TEST_DIR } : {}),
      // Short beats, so that what beats do (expiry, catching up after a partition) shows in seconds.
      daemonConfig: { announce_interval: 3 },
      placement: {
        bootstrapPort: 61613,
        address: name => fleet.address(name === 'bootstrap' || name === 'requester' ? 'master' : hostOf(name)),
        spawn: (name, args) => fleet.spawn(name === 'bootstrap' ? 'master' : hostOf(name), process.execPath, [TROUPE_BIN, ...args])
      }
    })
  })

  after(async () => {
    await cluster?.stop()
    await fleet?.destroy()
  })

  const ping = async (config: string, netns: string, extra: string[] = []): Promise<PingJson> =>
    parseJson<PingJson>(await troupe(['ping', '--json', '--timeout', '4', ...extra, '--config', config], { netns }))

  it('the bootstrap listens on 61613 at the master\'s address; a ping from the master reaches all six hosts', async () => {
    assert.match(cluster.bootstrapAddr, new RegExp(`^/ip4/${fleet.address('master').replace(/\./g, '\\.')}/tcp/61613/p2p/`))
    const doc = await eventually(async () => await ping(cluster.clientConfigPath, fleet.namespace('master')), d => d.replies.length === HOSTS, 'all hosts to answer')
    assert.deepEqual(doc.replies.map(reply => reply.identity), ALL)
    assert.deepEqual(doc.missing, [])
  })

  it('a frozen (slow) node does not hold the others up', async () => {
    const node = cluster.nodes.get('node03')
    assert.ok(node?.process.pid !== undefined)
    // `ip netns exec` execs the command in place, so the spawned pid is the daemon itself.
    const daemonPid = node.process.pid
    process.kill(daemonPid, 'SIGSTOP')
    try {
      const doc = await ping(cluster.clientConfigPath, fleet.namespace('master'), ['--timeout', '2'])
      assert.deepEqual(doc.missing, ['node03'])
      assert.equal(doc.replies.length, HOSTS - 1)
    } finally {
      process.kill(daemonPid, 'SIGCONT')
    }
  })

  it('with the bootstrap killed, a requester entering through another peer still reaches every node', async () => {
    cluster.killBootstrap()
    const viaHost1 = join(cluster.dir, 'client-via-host1.yaml')
    const host1 = cluster.nodes.get('node01')?.addrs[0] ?? ''
    writeFileSync(viaHost1, readFileSync(cluster.clientConfigPath, 'utf8')
      .replace(/bootstrap:\n {2}- .*/, `bootstrap:\n  - ${host1}`)
      .replace(/requester_socket: .*/, `requester_socket: ${join(cluster.dir, 'via-host1.sock')}`)
      .replace(/key: .*requester\.key/, `key: ${join(cluster.dir, 'via-host1.peer.key')}`))
    const doc = await eventually(async () => await ping(viaHost1, fleet.namespace('master')), d => d.replies.length === HOSTS, 'all hosts through host1')
    assert.deepEqual(doc.replies.map(reply => reply.identity), ALL)
    await cluster.startBootstrap()
  })

  it('a killed daemon is named missing; restarted, it is back and answering', async () => {
    const spec = cluster.nodes.get('node05')?.spec
    assert.ok(spec !== undefined)
    cluster.kill('node05')
    const missing = await ping(cluster.clientConfigPath, fleet.namespace('master'))
    assert.deepEqual(missing.missing, ['node05'])
    await cluster.startNode(spec)
    const back = await eventually(async () => await ping(cluster.clientConfigPath, fleet.namespace('master')), d => d.replies.length === HOSTS, 'node05 to answer again', 30_000)
    assert.deepEqual(back.missing, [])
  })

  it('a partition: each side serves what it can reach; after healing, all answer and a change made during it is known', async () => {
    fleet.partition(['host5', 'host6'])
    try {
      // node05's facts change while the master's side cannot hear it.
      const factsFile = join(cluster.dir, 'node05', 'facts.yaml')
      writeFileSync(factsFile, readFileSync(factsFile, 'utf8') + 'rack: r9\n')
      const master = await eventually(async () => await ping(cluster.clientConfigPath, fleet.namespace('master')), d => d.replies.length === HOSTS - 2, 'the master side to answer')
      assert.deepEqual(master.missing, ['node05', 'node06'])
      // A requester inside the cut-off part enters through host5's daemon and reaches host5 and host6.
      const inside = join(cluster.dir, 'client-inside.yaml')
      writeFileSync(inside, readFileSync(cluster.clientConfigPath, 'utf8')
        .replace(/bootstrap:\n {2}- .*/, `bootstrap:\n  - ${cluster.nodes.get('node05')?.addrs[0] ?? ''}`)
        .replace(/listen:\n {2}- .*/, `listen:\n  - /ip4/${fleet.address('host5')}/tcp/0`)
        .replace(/requester_socket: .*/, `requester_socket: ${join(cluster.dir, 'inside.sock')}`)
        .replace(/key: .*requester\.key/, `key: ${join(cluster.dir, 'inside.peer.key')}`))
      const cut = await eventually(async () => await ping(inside, fleet.namespace('host5'), ['-I', 'node05', '-I', 'node06']), d => d.replies.length === 2, 'the cut-off side to answer')
      assert.deepEqual(cut.replies.map(reply => reply.identity), ['node05', 'node06'])
    } finally {
      fleet.heal()
    }
    const healed = await eventually(async () => await ping(cluster.clientConfigPath, fleet.namespace('master')), d => d.replies.length === HOSTS, 'all to answer after healing')
    assert.deepEqual(healed.missing, [])
    // The first beat from node05 after healing shows a newer revision; its registration is fetched.
    const found = await eventually(async () => parseJson<{ nodes: string[] }>(await troupe(['find', '-F', 'rack=r9', '--json', '--config', cluster.clientConfigPath], { netns: fleet.namespace('master') })),
      doc => doc.nodes.length > 0, 'the change made during the partition to reach the master\'s side')
    assert.deepEqual(found.nodes, ['node05'])
  })

  it(`a sustained stream (${LOAD_RATE}/s for ${LOAD_SECONDS} s) to every node: every reply arrives once, each node acts once per request, memory stays flat`, async function () {
    this.timeout((LOAD_SECONDS + 120) * 1000)
    // The requester agent started by the pings above runs in the master namespace; this test
    // drives it through its socket, as the CLI does, so the requests cross the same bridge.
    const config = loadConfig(cluster.clientConfigPath)
    const link = await openLink(config)
    const key = readRequesterKey(cluster.callerKeyPath)
    const daemonPids = new Map([...cluster.nodes].map(([identity, node]) => [identity, node.process.pid ?? 0]))
    const rssOf = (pid: number): number => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024
    try {
      const view = await link.hello()
      const fleetNodes = await link.select(emptyFilter())
      assert.equal(fleetNodes.length, HOSTS)
      const plan = { collective: config.collective, agent: 'rpcutil', action: 'ping', args: {}, ttlSeconds: 60, timeoutMs: 20_000 }
      const repliesById = new Map<string, string[]>()
      let warmRss = new Map<string, number>()
      const inFlight: Array<Promise<void>> = []
      const started = Date.now()
      for (let sent = 0; sent < LOAD_RATE * LOAD_SECONDS; sent++) {
        // Paced against the clock, so a slow send does not lower the rate that follows.
        const due = started + sent * 1000 / LOAD_RATE
        if (due > Date.now()) await new Promise(resolve => setTimeout(resolve, due - Date.now()))
        if (sent === LOAD_RATE * WARM_UP_SECONDS) warmRss = new Map([...daemonPids].map(([identity, pid]) => [identity, rssOf(pid)]))
        const identities: string[] = []
        inFlight.push(sendAndCollect(link, key, view, plan, emptyFilter(), fleetNodes, reply => { identities.push(reply.identity) })
          .then(id => { repliesById.set(id, identities) }))
      }
      await Promise.all(inFlight)
      const finalRss = new Map([...daemonPids].map(([identity, pid]) => [identity, rssOf(pid)]))

      assert.equal(repliesById.size, LOAD_RATE * LOAD_SECONDS)
      const incomplete = [...repliesById].filter(([, identities]) => [...identities].sort().join() !== ALL.join())
      assert.deepEqual(incomplete.slice(0, 3), [], `${incomplete.length} requests did not get exactly one reply from each node`)
      for (const identity of ALL) {
        const acted = readFileSync(join(cluster.dir, identity, 'audit.log'), 'utf8').trim().split('\n')
          .map(line => JSON.parse(line) as { request_id: string, decision: string })
          .filter(entry => entry.decision === 'accepted' && repliesById.has(entry.request_id))
        assert.equal(new Set(acted.map(entry => entry.request_id)).size, acted.length, `${identity} acted on a request twice`)
        assert.equal(acted.length, repliesById.size, `${identity} acted on ${acted.length} of ${repliesById.size} requests`)
        const growth = (finalRss.get(identity) ?? 0) - (warmRss.get(identity) ?? 0)
        assert.ok(growth < MAX_RSS_GROWTH_MIB, `${identity} grew by ${growth.toFixed(1)} MiB under load (warm ${warmRss.get(identity)?.toFixed(1)} MiB)`)
      }
    } finally {
      await link.close()
    }
  })
})
