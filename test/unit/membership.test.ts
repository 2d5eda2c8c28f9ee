// membership.ts, a daemon's own messages over time: full registrations at start-up, then beats,
// and its unchanged registration again once registrationRefreshFor(directory size) seconds have
// passed since the last registration it gossiped (whatever made it send that one). Daemons hear
// no beats, so this refresh is what keeps a node listed on them.
//
// The Membership and Directory are the real ones; the libp2p node is narrowed to what a daemon's
// schedule touches (pubsub publish, no peers), and time is node:test's mock timers (setTimeout,
// setInterval and Date): built into Node, no dependency. Messages are read back from what was
// published, decoded by the real wire code.
import assert from 'node:assert/strict'
import { mock } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { PeerId, PrivateKey } from '@libp2p/interface'
import { Membership, REGISTRATION_REFRESH_S, registrationRefreshFor, type SelfRegistration } from '../../src/discovery/membership.js'
import { Directory } from '../../src/discovery/directory.js'
import { peerSigner } from '../../src/security/peer-signature.js'
import { decodeRegistryMessage, registrationSignatureValid, type Registration, type RegistryMessage } from '../../src/wire/registration.js'
import { beatTopic, registryTopic } from '../../src/transport/topics.js'
import type { MeshNode } from '../../src/transport/mesh-node.js'
import { silentLogger } from '../../src/log.js'

const T0 = 1_700_000_000_000
const BEAT_S = 30
/** Mock time advances in steps this long: a timer fires at most this late (Date.now() reads the step's end). */
const STEP_MS = 250

interface Sent { at: number, topic: string, message: RegistryMessage }

/** The parts of a libp2p node a daemon's Membership uses when nobody else is connected. */
function narrowNode (peerId: PeerId, sent: Sent[]): { node: MeshNode, stop: () => void } {
  let status = 'started'
  const pubsub = {
    topicValidators: new Map(),
    addEventListener: () => {},
    subscribe: () => {},
    publish: async (topic: string, data: Uint8Array) => {
      sent.push({ at: Date.now() - T0, topic, message: decodeRegistryMessage(data) })
      return { recipients: [] }
    }
  }
  const node = {
    peerId,
    get status () { return status },
    services: { pubsub },
    handle: async () => {},
    addEventListener: () => {},
    getPeers: () => [],
    getConnections: () => [],
    getMultiaddrs: () => []
  }
  return { node: node as unknown as MeshNode, stop: () => { status = 'stopped' } }
}

function registration (peer: string): Registration {
  return { v: 1, kind: 'announce', identity: peer, peer, collective: 'main', sig: '', addrs: [], agents: ['rpcutil'], classes: [], facts: {}, version: '0', started: T0, interval: BEAT_S, seq: 1, rev: 1 }
}

describe('membership: a daemon\'s registration refresh', function () {
  let key: PrivateKey
  let peer: string
  before(async function () {
    key = await generateKeyPair('Ed25519')
    peer = peerIdFromPrivateKey(key).toString()
  })

  let membership: Membership | undefined
  let stopNode = (): void => {}
  beforeEach(function () { mock.timers.enable({ apis: ['setTimeout', 'setInterval', 'Date'], now: T0 }) })
  afterEach(async function () {
    stopNode()
    await membership?.stop()
    membership = undefined
    mock.timers.reset()
  })

  /** Starts a daemon's Membership over a directory holding `others` other nodes; what it publishes is collected in the returned list. */
  async function daemon (others: number, facts: () => Record<string, unknown> = () => ({ role: 'web' })): Promise<{ sent: Sent[], directory: Directory, m: Membership }> {
    const sent: Sent[] = []
    const directory = new Directory()
    for (let i = 0; i < others; i++) directory.apply(registration(`other${i}`))
    const narrow = narrowNode(peerIdFromPrivateKey(key), sent)
    stopNode = narrow.stop
    const self = (): SelfRegistration => ({ v: 1, identity: 'web01', started: T0, interval: BEAT_S, agents: ['rpcutil'], classes: [], facts: facts(), version: '1' })
    const m = new Membership(narrow.node, directory, { collective: 'main', self, sign: peerSigner(key), addrs: () => ['/ip4/10.0.0.1/tcp/4001'], log: silentLogger() })
    membership = m
    await m.start()
    return { sent, directory, m }
  }

  function advance (toMs: number): void {
    while (Date.now() - T0 < toMs) mock.timers.tick(STEP_MS)
  }

  /**
   * Checks the rule over the whole run: after the three start-up registrations, every message sent
   * less than `refreshS` after the last registration is a beat, and the first one sent at or
   * after it is the full registration. A registration may come sooner only at the times in
   * `changes` (a change announced). Returns when the registrations went out (ms after start).
   */
  function checkRule (sent: Sent[], refreshS: number, changes: number[] = []): number[] {
    const registrations: number[] = []
    let last = -Infinity
    for (const [index, { at, topic, message }] of sent.entries()) {
      const due = index < 3 || at - last >= refreshS * 1000
      if (due) {
        assert.equal(message.kind, 'announce', `message ${index} at ${at} ms, ${at - last} ms after the last registration, is a registration`)
        assert.equal(topic, registryTopic('main'))
        registrations.push(at)
        last = at
      } else if (message.kind === 'beat') {
        assert.equal(topic, beatTopic('main'))
      } else {
        // Only an announcement of a change may come before the refresh is due.
        assert.ok(message.kind === 'announce' && changes.includes(at), `message ${index} at ${at} ms, ${at - last} ms after the last registration, is a beat`)
        registrations.push(at)
        last = at
      }
    }
    return registrations
  }

  it('registers three times at start-up, then only beats until registrationRefreshFor(size) has passed; then the full, unchanged registration again', async function () {
    const { sent, directory } = await daemon(0)
    const refreshS = registrationRefreshFor(1)
    assert.equal(refreshS, REGISTRATION_REFRESH_S)
    advance(2 * refreshS * 1000 + 5 * BEAT_S * 1000)
    assert.equal(directory.size, 1, 'its own entry')

    assert.deepEqual(sent.slice(0, 3).map(({ at, message }) => [at, message.kind]), [[250, 'announce'], [1250, 'announce'], [3250, 'announce']])
    const registrations = checkRule(sent, refreshS)
    assert.equal(registrations.length, 5, `three at start-up and two refreshes: ${registrations.join(', ')}`)
    for (const [before, after] of [[registrations[2], registrations[3]], [registrations[3], registrations[4]]] as Array<[number, number]>) {
      const gap = after - before
      assert.ok(gap >= refreshS * 1000 && gap <= refreshS * 1000 + BEAT_S * 1000 + STEP_MS, `a refresh ${gap} ms after the last registration: due, and sent with the first message after`)
    }
    // In between, a beat about every interval (24 to 30 s, jittered).
    for (const [before, after] of [[registrations[2], registrations[3]], [registrations[3], registrations[4]]] as Array<[number, number]>) {
      const beats = sent.filter(({ at, message }) => message.kind === 'beat' && at > before && at < after).length
      assert.ok(beats >= Math.floor(0.9 * refreshS / BEAT_S), `${beats} beats between the registrations at ${before} and ${after} ms`)
    }

    // The refresh is the whole registration, signed, at the same revision: nothing changed.
    const first = sent[0]?.message as Registration
    const refresh = sent.find(({ at }) => at === registrations[3])?.message as Registration
    assert.equal(refresh.kind, 'announce')
    assert.equal(refresh.rev, first.rev)
    assert.ok(refresh.seq > first.seq)
    assert.deepEqual({ ...refresh, seq: 0, sig: '' }, { ...first, seq: 0, sig: '' })
    assert.equal(refresh.peer, peer)
    assert.equal(registrationSignatureValid(refresh), true)
  })

  it('on a fleet large enough to stretch it, the refresh waits for registrationRefreshFor(directory size), not the hour', async function () {
    const { sent, directory } = await daemon(2500)
    const refreshS = registrationRefreshFor(2501)
    assert.equal(refreshS, 5002)
    advance(2 * refreshS * 1000 + 3000_000)
    assert.equal(directory.size, 2501, 'the others and its own entry')

    const registrations = checkRule(sent, refreshS)
    assert.ok(registrations.length >= 5, `three at start-up and at least two refreshes: ${registrations.join(', ')}`)
    // Beats went out after the hour and before the stretched refresh was due: the hour is not the rule here.
    const startUpEnd = registrations[2] ?? 0
    const afterHour = sent.filter(({ at, message }) => message.kind === 'beat' && at - startUpEnd >= REGISTRATION_REFRESH_S * 1000 && at - startUpEnd < refreshS * 1000)
    assert.ok(afterHour.length > 0, 'a beat between the hour and the stretched refresh')
  })

  it('any registration restarts the wait: after a change is announced, the next refresh is registrationRefreshFor(size) after that one', async function () {
    let role = 'web'
    const { sent, m } = await daemon(0, () => ({ role }))
    const refreshS = registrationRefreshFor(1)
    advance(refreshS * 1000 / 2)
    role = 'db'
    m.refresh()
    const changedAt = Date.now() - T0
    const changed = sent.at(-1)
    assert.equal(changed?.message.kind, 'announce')
    assert.deepEqual((changed?.message as Registration).facts, { role: 'db' })
    advance(changedAt + refreshS * 1000 + 2 * BEAT_S * 1000)

    const registrations = checkRule(sent, refreshS, [changedAt])
    assert.deepEqual(registrations.slice(3, 4), [changedAt])
    assert.equal(registrations.length, 5, `start-up, the change, one refresh: ${registrations.join(', ')}`)
    const startUpEnd = registrations[2] ?? 0
    assert.ok(sent.some(({ at, message }) => message.kind === 'beat' && at - startUpEnd > refreshS * 1000 && at < changedAt + refreshS * 1000), 'only beats when an hour had passed since start-up, but not since the change')
    assert.ok((registrations[4] ?? 0) - changedAt >= refreshS * 1000)
  })

  it('nothing follows the leave: a change while stopping (libp2p dropping its addresses) announces nothing', async function () {
    let role = 'web'
    const { sent, m } = await daemon(0, () => ({ role }))
    advance(5000)
    const stopping = m.stop()
    mock.timers.tick(200)
    await stopping
    assert.equal(sent.at(-1)?.message.kind, 'leave')
    const count = sent.length
    role = 'db'
    m.refresh()
    m.announce()
    assert.equal(sent.length, count, 'no registration after the leave')
    assert.equal(sent.at(-1)?.message.kind, 'leave')
  })
})
