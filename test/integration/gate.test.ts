// A request that was tampered with or never signed, injected into a real mesh, is refused by
// the first peer that sees it, never forwarded, and never acted on; a genuine request sent the
// same way is served (so the test can tell the difference).
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { multiaddr } from '@multiformats/multiaddr'
import { LocalCluster } from '../../src/demo/local-cluster.js'
import type { MeshNode } from '../../src/transport/mesh-node.js'
import { testPeer } from '../helpers/peers.js'
import { acceptReplies } from '../../src/transport/reply-channel.js'
import { agentTopic } from '../../src/transport/topics.js'
import { readRequesterKey } from '../../src/security/keys.js'
import { signRequest } from '../../src/wire/request.js'
import { decodeReply } from '../../src/wire/reply.js'
import { emptyFilter } from '../../src/discovery/filter/types.js'
import { silentLogger } from '../../src/log.js'
import { eventually as waitFor } from '../helpers/eventually.js'

describe('first-hop gate: forged requests injected into the mesh', function () {
  this.timeout(120_000)
  let cluster: LocalCluster
  // The injector talks only to the bootstrap; replies go to a separate collector peer, so no
  // daemon ever connects to the injector and the bootstrap is the only first hop.
  let injector: MeshNode
  let collector: MeshNode
  const repliesById = new Map<string, string[]>()

  before(async () => {
    cluster = await LocalCluster.start({ nodes: 3 })
    injector = await testPeer(cluster, { caller: true })
    await injector.dial(multiaddr(cluster.bootstrapAddr))
    collector = await testPeer(cluster, { caller: true })
    await acceptReplies(collector, frame => {
      const reply = decodeReply(frame)
      repliesById.set(reply.id, [...(repliesById.get(reply.id) ?? []), reply.identity])
    }, silentLogger())
    const topic = agentTopic('main', 'rpcutil')
    await waitFor(() => injector.services.pubsub.getSubscribers(topic).length > 0, 'the bootstrap to be subscribed to rpcutil')
    // Let the gossip mesh form: the injector talks only to the bootstrap, which relays to the
    // daemons once it has grafted them. A fresh genuine request every second until all answer.
    const deadline = Date.now() + 30_000
    for (;;) {
      const probe = request()
      await injector.services.pubsub.publish(topic, probe)
      await new Promise(resolve => setTimeout(resolve, 1000))
      if ((repliesById.get(genuineId(probe)) ?? []).length === 3) break
      if (Date.now() > deadline) throw new Error('the mesh did not relay a genuine request to all 3 daemons within 30 s')
    }
    repliesById.clear()
  })

  after(async () => {
    await injector?.stop()
    await collector?.stop()
    await cluster?.stop()
  })

  function request (relay?: boolean): Uint8Array {
    return signRequest({
      collective: 'main',
      agent: 'rpcutil',
      action: 'ping',
      args: {},
      filter: emptyFilter(),
      requester: { peer: collector.peerId.toString(), addrs: collector.getMultiaddrs().map(addr => addr.toString()) },
      ttl: 60,
      relay
    }, readRequesterKey(cluster.callerKeyPath)).bytes
  }

  function logOf (name: string): string {
    return readFileSync(join(cluster.dir, name === 'bootstrap' ? 'bootstrap.log' : join(name, 'daemon.log')), 'utf8')
  }

  it('refuses a request with a field value changed (body still valid) and one with only its signature broken, at the first hop', async () => {
    // The tampered body is still well-formed JSON that the schema accepts (ttl 60 -> 61): only
    // the signature check can stop it. The second keeps its body and zeroes the signature.
    const tampered = tamperField(request(), '"ttl":60', '"ttl":61')
    const unsigned = request()
    unsigned.fill(0, 2, 66)
    const genuine = request()
    const topic = agentTopic('main', 'rpcutil')
    await injector.services.pubsub.publish(topic, tampered)
    await injector.services.pubsub.publish(topic, unsigned)
    await injector.services.pubsub.publish(topic, genuine)

    assert.deepEqual(injector.getPeers().map(peer => peer.toString()), [cluster.bootstrapAddr.split('/p2p/')[1]])
    // The genuine request is served by every node: the path works.
    await waitFor(() => (repliesById.get(genuineId(genuine)) ?? []).length === 3, 'replies to the genuine request')
    assert.deepEqual(repliesById.get(genuineId(genuine))?.sort(), ['node01', 'node02', 'node03'])

    // Nothing else was answered, the bootstrap (the first hop) refused both for their
    // signature, each by its id, and no daemon ever saw them.
    assert.deepEqual([...repliesById.keys()], [genuineId(genuine)])
    const refusals = gateRefusals('bootstrap')
    assert.deepEqual(refusals.map(line => [line.id, line.reason]).sort(), [
      [genuineId(tampered), 'request signature does not verify'],
      [genuineId(unsigned), 'request signature does not verify']
    ].sort(), logOf('bootstrap'))
    for (const node of ['node01', 'node02', 'node03']) assert.deepEqual(gateRefusals(node), [])
  })

  function gateRefusals (name: string): Array<{ id?: string, reason: string }> {
    return logOf(name).split('\n').filter(line => line.includes('request refused at the gate')).map(line => JSON.parse(line) as { id?: string, reason: string })
  }

  it('a request marked relay: false is served by the peer it reaches and not forwarded', async () => {
    // The injector reaches only the bootstrap, which serves no agents: a request it may not
    // relay reaches no daemon. A relayed one published after it reaches all three.
    const topic = agentTopic('main', 'rpcutil')
    const unrelayed = request(false)
    const relayed = request()
    await injector.services.pubsub.publish(topic, unrelayed)
    await injector.services.pubsub.publish(topic, relayed)
    await waitFor(() => (repliesById.get(genuineId(relayed)) ?? []).length === 3, 'replies to the relayed request')
    await new Promise(resolve => setTimeout(resolve, 500))
    assert.equal(repliesById.get(genuineId(unrelayed)), undefined, 'no daemon may have received the unrelayed request')
    for (const node of ['node01', 'node02', 'node03']) assert.deepEqual(gateRefusals(node), [])
  })
})

/** Replaces one field's text in a signed request's body by text of the same length; the body stays valid JSON. */
function tamperField (bytes: Uint8Array, from: string, to: string): Uint8Array {
  const body = Buffer.from(bytes.subarray(66)).toString('utf8')
  assert.equal(from.length, to.length)
  assert.ok(body.includes(from), `${from} in ${body}`)
  const changed = body.replace(from, to)
  JSON.parse(changed)
  return Uint8Array.from([...bytes.subarray(0, 66), ...Buffer.from(changed, 'utf8')])
}

function genuineId (bytes: Uint8Array): string {
  const body = JSON.parse(Buffer.from(bytes.subarray(66)).toString('utf8')) as { id: string }
  return body.id
}
