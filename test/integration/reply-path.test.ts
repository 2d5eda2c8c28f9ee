// The path a reply takes back (issue 13, items 1 and 2; issue 12's undeliverable replies): a
// requester agent that restarts (idle-out, kill, a config edit that rotates the caller key, a
// bootstrap restart) gets every reply to its next command; two client configs in one directory
// are two peers; two processes sharing one peer key are told so; a node that acted but cannot
// reach the requester is reported as such. Each check reads the nodes' audit logs by request id.
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { createServer } from 'node:net'
import { LocalCluster, spawnTroupe } from '../../src/demo/local-cluster.js'
import { generateRequesterKey, writeRequesterKey } from '../../src/security/keys.js'
import { troupe, parseJson, type PingJson } from '../helpers/cli.js'
import { stopRequesterAgent } from '../../src/requester/link.js'
import { loadConfig } from '../../src/config/load.js'
import { eventually as waitFor } from '../helpers/eventually.js'

const NODES = ['node01', 'node02', 'node03', 'node04']

type DocJson = PingJson & { undelivered: Array<{ identity: string, status: number, statusmsg: string }> }

function actedOn (dir: string, identity: string, requestId: string): number {
  return readFileSync(join(dir, identity, 'audit.log'), 'utf8').trim().split('\n')
    .map(line => JSON.parse(line) as { request_id: string, decision: string })
    .filter(entry => entry.request_id === requestId && entry.decision === 'accepted').length
}

/** Pids of the requester agents started for this config file. */
function agentPids (config: string): number[] {
  return readdirSync('/proc').filter(name => /^\d+$/.test(name)).flatMap(pid => {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')
      return cmdline.includes('requester-agent') && cmdline.includes(config) ? [Number(pid)] : []
    } catch { return [] }
  })
}

/** A port free now, so the bootstrap can restart on the address every config names. */
async function freePort (): Promise<number> {
  return await new Promise(resolve => {
    const server = createServer()
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0))
    })
  })
}

describe('reply path: bound to the requester\'s session, never lost or misreported', function () {
  this.timeout(180_000)
  let cluster: LocalCluster
  // The per-user requester peer keys go to $HOME/.troupe/peer: a home of the test's own.
  const home = mkdtempSync(join(tmpdir(), 'troupe-home-'))
  const env = { HOME: home }

  before(async () => {
    cluster = await LocalCluster.start({
      nodes: NODES.length,
      clientConfig: { requester_idle: 2 },
      placement: { bootstrapPort: await freePort(), address: () => '127.0.0.1', spawn: (_name, args) => spawnTroupe(args) }
    })
  })

  after(async () => {
    await cluster?.stop()
  })

  const ping = async (config = cluster.clientConfigPath, extra: string[] = []): Promise<{ doc: DocJson, code: number | null, stderr: string }> => {
    const result = await troupe(['ping', '--json', '--timeout', '5', ...extra, '--config', config], { env })
    return { doc: parseJson<DocJson>(result), code: result.code, stderr: result.stderr }
  }

  const everyNodeAnswersAndActedOnce = async (what: string): Promise<void> => {
    const { doc } = await ping()
    assert.deepEqual(doc.replies.map(reply => reply.identity), NODES, `${what}: ${JSON.stringify(doc)}`)
    for (const identity of NODES) assert.equal(actedOn(cluster.dir, identity, doc.request.id), 1, `${what}: ${identity}`)
  }

  it('after the requester agent idles out, the next command gets every reply', async () => {
    await everyNodeAnswersAndActedOnce('warm-up')
    await waitFor(() => agentPids(cluster.clientConfigPath).length === 0, 'the agent to idle out (requester_idle: 2)')
    await everyNodeAnswersAndActedOnce('after idle-out')
  })

  it('after the requester agent is killed (SIGKILL), the next command gets every reply', async () => {
    await everyNodeAnswersAndActedOnce('warm-up')
    const pids = agentPids(cluster.clientConfigPath)
    assert.equal(pids.length, 1)
    for (const pid of pids) process.kill(pid, 'SIGKILL')
    await waitFor(() => agentPids(cluster.clientConfigPath).length === 0, 'the agent to die')
    await everyNodeAnswersAndActedOnce('after kill')
  })

  it('after a config edit that rotates the caller key, the next command gets every reply', async () => {
    await everyNodeAnswersAndActedOnce('warm-up')
    const rotated = join(cluster.dir, 'caller-rotated.key')
    writeRequesterKey(rotated, generateRequesterKey(), 'rotated-operator')
    writeFileSync(cluster.authorizedKeysPath, readFileSync(cluster.authorizedKeysPath, 'utf8') + readFileSync(`${rotated}.pub`, 'utf8'))
    // The daemons re-read authorized_keys on change; give them a moment to see the new key.
    await new Promise(resolve => setTimeout(resolve, 1500))
    writeFileSync(cluster.clientConfigPath, readFileSync(cluster.clientConfigPath, 'utf8').replace(/caller_key: .*/, `caller_key: ${rotated}`))
    await everyNodeAnswersAndActedOnce('after key rotation')
  })

  it('after the bootstrap restarts, the next command gets every reply', async () => {
    await everyNodeAnswersAndActedOnce('warm-up')
    cluster.killBootstrap()
    await cluster.startBootstrap()
    await everyNodeAnswersAndActedOnce('after bootstrap restart')
  })

  it('a node that is down when a command starts and back before its timeout gets the request and answers', async () => {
    await everyNodeAnswersAndActedOnce('warm-up')
    const spec = cluster.nodes.get('node04')?.spec
    assert.ok(spec !== undefined)
    cluster.kill('node04')
    const command = troupe(['ping', '--json', '--timeout', '25', '--config', cluster.clientConfigPath], { env })
    // Back only after the mesh has stopped advertising the request (IHAVE, three 2 s heartbeats):
    // the requester's sends again are all that can reach it now.
    await new Promise(resolve => setTimeout(resolve, 8000))
    await cluster.startNode(spec)
    const doc = parseJson<DocJson>(await command)
    assert.deepEqual(doc.replies.map(reply => reply.identity), NODES, JSON.stringify(doc))
    for (const identity of NODES) assert.equal(actedOn(cluster.dir, identity, doc.request.id), 1, identity)
  })

  it('a node frozen while a command runs gets the request again, acts once, and audits the copy as a replay', async () => {
    await everyNodeAnswersAndActedOnce('warm-up')
    const node = cluster.nodes.get('node03')
    assert.ok(node !== undefined)
    node.process.kill('SIGSTOP')
    const command = troupe(['ping', '--json', '--timeout', '10', '--config', cluster.clientConfigPath], { env })
    // The others answer at once: after 2 s the requester sends node03 its request again, queued
    // behind the first copy on the same connection.
    await new Promise(resolve => setTimeout(resolve, 3500))
    node.process.kill('SIGCONT')
    const doc = parseJson<DocJson>(await command)
    assert.deepEqual(doc.replies.map(reply => reply.identity), NODES, JSON.stringify(doc))
    const decisions = (): string[][] => readFileSync(join(cluster.dir, 'node03', 'audit.log'), 'utf8').trim().split('\n')
      .map(line => JSON.parse(line) as { request_id: string, decision: string, reason?: string })
      .filter(entry => entry.request_id === doc.request.id)
      .map(entry => [entry.decision, entry.reason ?? ''])
      .sort((a, b) => (a[0] ?? '').localeCompare(b[0] ?? ''))
    // Whichever copy the node read second is refused as a replay (its line can follow the reply):
    // it ran once.
    await waitFor(() => decisions().length >= 2, 'node03 to audit both copies', 10_000).catch(() => {})
    assert.deepEqual(decisions(), [['accepted', ''], ['refused', `request ${doc.request.id} was already seen (replay)`]])
    // Its own requester asking again is routine: audited, not warned of.
    const warnings = readFileSync(join(cluster.dir, 'node03', 'daemon.log'), 'utf8').split('\n').filter(line => line.includes(doc.request.id) && line.includes('"level":40'))
    assert.deepEqual(warnings, [])
  })

  it('a fresh requester agent that meets the bootstrap just restarted (its directory still empty) lists every node on its first command', async () => {
    const fresh = join(mkdtempSync(join(tmpdir(), 'troupe-fresh-')), 'fresh.yaml')
    writeFileSync(fresh, readFileSync(cluster.clientConfigPath, 'utf8').replace(/^key: .*\n/m, '').replace(/requester_socket: .*/, `requester_socket: ${join(dirname(fresh), 'fresh.sock')}`))
    // The daemons are paused while the bootstrap restarts and for the requester's first second,
    // and no other requester is about (the bootstrap would sync from it): the fresh requester's
    // first answer from the bootstrap is an empty directory, as when it is first to arrive.
    await stopRequesterAgent(loadConfig(cluster.clientConfigPath))
    const daemons = [...cluster.nodes.values()].map(node => node.process)
    for (const daemon of daemons) daemon.kill('SIGSTOP')
    try {
      cluster.killBootstrap()
      await cluster.startBootstrap()
    } finally {
      setTimeout(() => { for (const daemon of daemons) daemon.kill('SIGCONT') }, 1000)
    }
    const found = parseJson<{ nodes: string[] }>(await troupe(['find', '--json', '--config', fresh], { env }))
    assert.deepEqual(found.nodes, NODES)
  })

  it('two client configs in one directory (no key set) are two requesters, and both get every reply', async () => {
    const shared = mkdtempSync(join(tmpdir(), 'troupe-two-configs-'))
    const base = readFileSync(cluster.clientConfigPath, 'utf8').replace(/^key: .*\n/m, '')
    const first = join(shared, 'alice.yaml')
    const second = join(shared, 'test.yaml')
    writeFileSync(first, base.replace(/requester_socket: .*/, `requester_socket: ${join(shared, 'alice.sock')}`))
    writeFileSync(second, base.replace(/requester_socket: .*/, `requester_socket: ${join(shared, 'test.sock')}`))
    // Each fresh requester agent knows the whole fleet from its first command (the bootstrap has
    // every registration back since the test above).
    for (const config of [first, second]) {
      const found = parseJson<{ nodes: string[] }>(await troupe(['find', '--json', '--config', config]))
      assert.deepEqual(found.nodes, NODES, `${config}: the fresh requester agent's first command`)
    }
    for (let round = 0; round < 2; round++) {
      for (const config of [first, second]) {
        const { doc } = await ping(config)
        assert.deepEqual(doc.replies.map(reply => reply.identity), NODES, `${config} round ${round}: ${JSON.stringify(doc)}`)
      }
    }
  })

  it('two configs that name one peer key: the duplicate peer id is detected and reported (exit 2)', async () => {
    const shared = mkdtempSync(join(tmpdir(), 'troupe-same-key-'))
    // Both agents must be alive at once: not the cluster's 2 s idle-out.
    const base = readFileSync(cluster.clientConfigPath, 'utf8').replace(/^key: .*/m, `key: ${join(shared, 'one.peer.key')}`).replace(/requester_idle: .*/, 'requester_idle: 300')
    const first = join(shared, 'one.yaml')
    const second = join(shared, 'two.yaml')
    writeFileSync(first, base.replace(/requester_socket: .*/, `requester_socket: ${join(shared, 'one.sock')}`))
    writeFileSync(second, base.replace(/requester_socket: .*/, `requester_socket: ${join(shared, 'two.sock')}`))
    await ping(first)
    let last = { code: 0 as number | null, stderr: '' }
    for (let attempt = 0; attempt < 20 && last.code !== 2; attempt++) {
      const result = await troupe(['ping', '--timeout', '2', '--config', second], { env })
      last = { code: result.code, stderr: result.stderr }
      if (last.code !== 2) await new Promise(resolve => setTimeout(resolve, 500))
    }
    for (const config of [first, second]) await stopRequesterAgent(loadConfig(config))
    assert.equal(last.code, 2, last.stderr)
    assert.match(last.stderr, /another process uses this requester agent's peer id \S+ \(a bootstrap also sees it connected from \/ip4\//)
  })
})

describe('reply path: a node that acted but cannot reach the requester is reported as such', function () {
  this.timeout(120_000)
  let cluster: LocalCluster

  before(async () => {
    // No relay on the bootstrap and nodes that cannot be dialled: a request reaches them over the
    // gossip mesh, and their replies have no way back to the requester.
    cluster = await LocalCluster.start({ nodes: 3, bootstrapConfig: { relay: false }, daemonConfig: { reachability: 'private' } })
  })

  after(async () => {
    await cluster?.stop()
  })

  it('ping names the nodes as "acted, reply undeliverable" with their status, not as missing; exit 1', async () => {
    let doc: DocJson | undefined
    for (let attempt = 0; attempt < 10; attempt++) {
      const result = await troupe(['ping', '--json', '--timeout', '6', '--config', cluster.clientConfigPath])
      doc = parseJson<DocJson>(result)
      assert.equal(result.code, 1)
      if (doc.undelivered.length === 3) break
    }
    assert.ok(doc !== undefined)
    assert.deepEqual(doc.replies, [])
    assert.deepEqual(doc.missing, [])
    assert.deepEqual(doc.undelivered.map(node => [node.identity, node.status, node.statusmsg]), [['node01', 0, 'OK'], ['node02', 0, 'OK'], ['node03', 0, 'OK']])
    for (const identity of ['node01', 'node02', 'node03']) assert.equal(actedOn(cluster.dir, identity, doc.request.id), 1, identity)
    const human = await troupe(['ping', '--timeout', '6', '--config', cluster.clientConfigPath])
    assert.match(human.stdout, /^Acted, but the reply could not reach this requester: node01 \(OK\) node02 \(OK\) node03 \(OK\)$/m)
  })
})
