// Issue 13 item 5: a node killed with -9 stays reported missing, with when it was last seen,
// past its expiry and across a requester restart (the bootstrap hands its entry back), until an
// authorized operator purges it; the purge reaches the bootstrap, and a stranger's does not.
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { LocalCluster } from '../../src/demo/local-cluster.js'
import { loadConfig } from '../../src/config/load.js'
import { stopRequesterAgent } from '../../src/requester/link.js'
import { generateRequesterKey, writeRequesterKey } from '../../src/security/keys.js'
import { troupe, parseJson, waitForDirectory, type PingJson } from '../helpers/cli.js'

type PingWithLastSeen = PingJson & { last_seen?: Record<string, string> }

describe('directory: dead nodes stay missing until purged', function () {
  this.timeout(240_000)
  let cluster: LocalCluster
  let config: string[]

  before(async () => {
    // Beats every second: a dead node passes its expiry (three missed beats) in seconds.
    // The bootstrap holds authorized_keys too: it judges who may purge.
    const dir = mkdtempSync(join(tmpdir(), 'troupe-expiry-'))
    cluster = await LocalCluster.start({ nodes: 4, dir, daemonConfig: { announce_interval: 1 }, bootstrapConfig: { authorized_keys: join(dir, 'authorized_keys') } })
    config = ['--config', cluster.clientConfigPath]
    await waitForDirectory(config, 4)
  })

  after(async () => {
    await cluster?.stop()
    if (cluster !== undefined) rmSync(cluster.dir, { recursive: true, force: true })
  })

  const restartRequester = async (file: string): Promise<void> => { await stopRequesterAgent(loadConfig(file)) }
  const bootstrapLog = (): string => readFileSync(join(cluster.dir, 'bootstrap.log'), 'utf8')

  it('beats reach the requester and the bootstrap, and pass through no daemon', async () => {
    // Ten seconds of beats, one every 2 s from each node (four nodes: the fleet sends at most
    // two a second), the last registration longer ago: the requester holds every node alive
    // (three intervals, 6 s, without a beat and it would name them missing), and what each daemon
    // counted of the beat topic (rpcutil daemon_stats) is its own beats out, none in.
    await new Promise(resolve => setTimeout(resolve, 10_000))
    assert.deepEqual(parseJson(await troupe(['find', '--json', ...config])), { nodes: ['node01', 'node02', 'node03', 'node04'] })
    const stats = parseJson<{ replies: Array<{ identity: string, data: { gossip_beats_in?: number, gossip_beats_out?: number } }> }>(await troupe(['rpc', 'rpcutil', 'daemon_stats', '--json', ...config]))
    assert.equal(stats.replies.length, 4)
    for (const { identity, data } of stats.replies) {
      assert.equal(data.gossip_beats_in, 0, `${identity} received beats`)
      assert.ok((data.gossip_beats_out ?? 0) >= 3, `${identity} sent ${data.gossip_beats_out ?? 0} copies of beats`)
    }
  })

  it('a killed node, past its expiry, is reported missing with its last-seen time (human and --json), exit 1', async () => {
    const killedAt = Date.now()
    cluster.kill('node03')
    // Past expiry: find no longer lists it as a match, and names it missing instead.
    for (let i = 0; ; i++) {
      const found = parseJson<{ nodes: string[], missing?: string[] }>(await troupe(['find', '--json', ...config]))
      if (found.missing?.includes('node03') === true) {
        assert.deepEqual(found.nodes, ['node01', 'node02', 'node04'])
        break
      }
      if (i > 120) assert.fail('node03 never passed its expiry')
      await new Promise(resolve => setTimeout(resolve, 500))
    }
    // Well past the expiry, the next run still does not say every host is OK.
    await new Promise(resolve => setTimeout(resolve, 4000))
    const result = await troupe(['ping', '--json', ...config])
    const doc = parseJson<PingWithLastSeen>(result)
    assert.deepEqual(doc.missing, ['node03'])
    assert.equal(doc.stats.expected, 4)
    assert.equal(result.code, 1)
    const seen = Date.parse(doc.last_seen?.node03 ?? '')
    // Last seen is when the requester heard of it: a beat node03 sent just before it died can
    // still arrive up to a gossip heartbeat (2 s) later, through another peer's IHAVE.
    assert.ok(seen <= killedAt + 3000 && seen > killedAt - 10_000, `last seen ${doc.last_seen?.node03 ?? '?'} is about when it was killed (${new Date(killedAt).toISOString()})`)
    const human = await troupe(['ping', ...config])
    assert.match(human.stdout, /^No response from: node03$/m)
    assert.match(human.stdout, /^ {3}node03: missing \(last seen \d+ s ago; `troupe directory purge node03` if it is gone for good\)$/m)
  })

  // After a requester agent restart only the directory is asked (find): replies to a restarted
  // agent are issue 13 item 1, another helper's.
  const findJson = async (): Promise<{ nodes: string[], missing?: string[], last_seen?: Record<string, string> }> => parseJson(await troupe(['find', '--json', ...config]))

  it('a fresh requester agent learns the dead node from the bootstrap and reports it too', async () => {
    await restartRequester(cluster.clientConfigPath)
    const doc = await findJson()
    assert.deepEqual(doc.nodes, ['node01', 'node02', 'node04'])
    assert.deepEqual(doc.missing, ['node03'])
    assert.ok(doc.last_seen?.node03 !== undefined)
  })

  it('a live node cannot be purged', async () => {
    const result = await troupe(['directory', 'purge', 'node01', ...config])
    assert.equal(result.code, 2)
    assert.match(result.stderr, /node01 is alive/)
  })

  it('a purge by a key the mesh does not authorize goes nowhere: the entry stays', async () => {
    const strangerKey = join(cluster.dir, 'stranger.key')
    writeRequesterKey(strangerKey, generateRequesterKey(), 'stranger')
    const stranger = join(cluster.dir, 'stranger.yaml')
    writeFileSync(stranger, readFileSync(cluster.clientConfigPath, 'utf8')
      .replace(/caller_key: .*/, `caller_key: ${strangerKey}`)
      .replace(/requester_socket: .*/, `requester_socket: ${join(cluster.dir, 'stranger.sock')}`)
      .replace(/key: .*requester\.key/, `key: ${join(cluster.dir, 'stranger.peer.key')}`))
    // The bootstrap and the daemons do not admit a requester whose key they do not list (and a
    // purge that reached them anyway would be judged by the same authorized_keys).
    const result = await troupe(['directory', 'purge', 'node03', '--config', stranger])
    assert.equal(result.code, 2)
    assert.match(result.stderr, /the mesh refused this requester: .*caller key is not in authorized_keys/)
    await restartRequester(stranger)
    await restartRequester(cluster.clientConfigPath)
    assert.deepEqual((await findJson()).missing, ['node03'])
    assert.doesNotMatch(bootstrapLog(), /directory entry purged/)
  })

  it('troupe directory purge: the node is forgotten here, by the bootstrap, and by a fresh requester', async () => {
    const result = await troupe(['directory', 'purge', 'node03', ...config])
    assert.equal(result.code, 0, result.stderr)
    assert.match(result.stdout, /^node03 purged from the directory \(last seen \d+ s ago\)/)
    const doc = await findJson()
    assert.equal(doc.missing, undefined)
    assert.deepEqual(doc.nodes, ['node01', 'node02', 'node04'])
    for (let i = 0; i < 40 && !bootstrapLog().includes('directory entry purged'); i++) await new Promise(resolve => setTimeout(resolve, 250))
    assert.match(bootstrapLog(), /"identity":"node03".*"purged":true.*directory entry purged/)
    await restartRequester(cluster.clientConfigPath)
    const again = await findJson()
    assert.equal(again.missing, undefined, 'the bootstrap did not hand the purged entry back')
    assert.deepEqual(again.nodes, ['node01', 'node02', 'node04'])
  })
})
