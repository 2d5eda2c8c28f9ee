// Issue 11 items 1 and 4 against a real cluster: a hostile peer publishes requests whose
// filters are built to cost (an `or` nested 24 deep; 256 catastrophic regexes signed with an
// authorized key, as a compromised requester could), and an ordinary `troupe ping` still
// completes on every node. The nodes' own records show what they did with each request.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { multiaddr } from '@multiformats/multiaddr'
import { LocalCluster } from '../../src/demo/local-cluster.js'
import type { MeshNode } from '../../src/transport/mesh-node.js'
import { testPeer } from '../helpers/peers.js'
import { agentTopic } from '../../src/transport/topics.js'
import { generateRequesterKey, readRequesterKey, type RequesterKey } from '../../src/security/keys.js'
import { signRequest } from '../../src/wire/request.js'
import type { Expr, Filter } from '../../src/discovery/filter/types.js'
import { troupe, parseJson } from '../helpers/cli.js'

const leaf = (i: number): Expr => ({ kind: 'fact', test: { fact: `f${i}`, op: '=', value: 'x' } })

function nestedOr (depth: number): Expr {
  let expr: Expr = leaf(0)
  for (let i = 1; i <= depth; i++) expr = { kind: 'or', left: expr, right: leaf(i) }
  return expr
}

function catastrophicOr (count: number): Expr {
  let level: Expr[] = Array.from({ length: count }, (_, i): Expr => ({ kind: 'fact', test: { fact: 'evil', op: '=~', value: `(a+)+$(?:${i})?` } }))
  while (level.length > 1) {
    const next: Expr[] = []
    for (let i = 0; i < level.length; i += 2) next.push(level[i + 1] === undefined ? level[i] as Expr : { kind: 'or', left: level[i] as Expr, right: level[i + 1] as Expr })
    level = next
  }
  return level[0] as Expr
}

interface PingJson { replies: Array<{ identity: string, status: number }>, missing: string[], stats: { responded: number } }

describe('hostile filters against a real cluster', function () {
  this.timeout(180_000)
  let cluster: LocalCluster
  let hostile: MeshNode

  before(async () => {
    cluster = await LocalCluster.start({
      nodes: ['node01', 'node02', 'node03'].map(identity => ({ identity, facts: { evil: 'a'.repeat(40) + '!' }, classes: [] }))
    })
    // Admitted as requesters are (it holds the cluster's caller key): a compromised requester,
    // the peer that can still reach every validator once admission keeps strangers out.
    hostile = await testPeer(cluster, { caller: true })
    // Any peer that can connect reaches every validator: the bootstrap and each daemon.
    await hostile.dial(multiaddr(cluster.bootstrapAddr))
    for (const node of cluster.nodes.values()) await hostile.dial(multiaddr(node.addrs[0] ?? ''))
    const topic = agentTopic('main', 'rpcutil')
    for (let i = 0; hostile.services.pubsub.getSubscribers(topic).length < 4; i++) {
      if (i > 400) throw new Error('the bootstrap and the daemons never showed their rpcutil subscriptions')
      await new Promise(resolve => setTimeout(resolve, 50))
    }
    // The ordinary path works before the attack (and the requester agent is warm).
    const first = await troupe(['ping', '--json', '--config', cluster.clientConfigPath])
    assert.equal(first.code, 0, first.stderr)
  })

  after(async () => {
    await hostile?.stop()
    await cluster?.stop()
  })

  function hostileRequest (filter: Filter, key: RequesterKey): { id: string, bytes: Uint8Array } {
    const signed = signRequest({
      collective: 'main',
      agent: 'rpcutil',
      action: 'ping',
      args: {},
      filter,
      requester: { peer: hostile.peerId.toString(), addrs: hostile.getMultiaddrs().map(addr => addr.toString()) },
      ttl: 60
    }, key)
    return { id: signed.body.id, bytes: signed.bytes }
  }

  const empty = (compound: Expr): Filter => ({ facts: [], classes: [], identities: [], agents: [], compound })

  it('a request whose filter nests `or` 24 deep, and 256 catastrophic regexes from an authorized key, do not stop a ping', async () => {
    const topic = agentTopic('main', 'rpcutil')
    const stranger = generateRequesterKey()
    const deep = [1, 2, 3].map(() => hostileRequest(empty(nestedOr(24)), stranger))
    const regexes = [1, 2, 3, 4].map(() => hostileRequest(empty(catastrophicOr(256)), readRequesterKey(cluster.callerKeyPath)))
    for (const request of [...deep, ...regexes]) await hostile.services.pubsub.publish(topic, request.bytes)

    // Without the defences each daemon would spend 4 × 256 × 50 ms (51 s) in those filters,
    // and every peer hours validating the nested one: this ping would time out.
    const ping = await troupe(['ping', '--json', '--timeout', '10', '--config', cluster.clientConfigPath], { timeoutMs: 60_000 })
    const doc = parseJson<PingJson>(ping)
    assert.equal(ping.code, 0, ping.stdout + ping.stderr)
    assert.deepEqual(doc.replies.map(reply => reply.identity).sort(), ['node01', 'node02', 'node03'])

    // Each daemon evaluated each regex request, stopped at its budget, filtered it, logged it once.
    for (const node of ['node01', 'node02', 'node03']) {
      const audit = readFileSync(join(cluster.dir, node, 'audit.log'), 'utf8').split('\n').filter(line => line !== '').map(line => JSON.parse(line) as { request_id: string, decision: string })
      for (const request of regexes) {
        assert.deepEqual(audit.filter(entry => entry.request_id === request.id).map(entry => entry.decision), ['filtered'], `${node} ${request.id}`)
      }
      const log = readFileSync(join(cluster.dir, node, 'daemon.log'), 'utf8')
      for (const request of regexes) {
        assert.equal(log.split('\n').filter(line => line.includes(request.id) && line.includes('over budget')).length, 1, `${node} logs the spent budget of ${request.id} once`)
      }
    }
    const stats = parseJson<{ replies: Array<{ identity: string, data: { filter_budget_exceeded?: number } }> }>(await troupe(['rpc', 'rpcutil', 'daemon_stats', '--json', '--config', cluster.clientConfigPath]))
    for (const reply of stats.replies) assert.equal(reply.data.filter_budget_exceeded, 4, reply.identity)
  })
})
