// The soak's attackers, in a process of their own (bench/hostile/soak.ts starts it), so that what
// they cost shows in this process and not in the measurements of the fleet and its pings. Each
// kind of junk has its own attacker, sent as fast as it goes until the process is told to stop;
// on exit it prints one JSON line per attacker: what it sent and whether it was cut off.
import '../../src/polyfill.js'
import { connect, type Socket } from 'node:net'
import { join } from 'node:path'
import { existsSync } from 'node:fs'
import { multiaddr } from '@multiformats/multiaddr'
import { testPeer, type PeerCluster } from '../../test/helpers/peers.js'
import type { MeshNode } from '../../src/transport/mesh-node.js'
import { DIRECT_REQUEST_PROTOCOL, agentTopic, registryTopic } from '../../src/transport/topics.js'
import { frameWriter } from '../../src/transport/framing.js'
import { generateRequesterKey } from '../../src/security/keys.js'
import { signRequest } from '../../src/wire/request.js'
import { emptyFilter } from '../../src/discovery/filter/types.js'
import { issueCertificate } from '../../src/security/ca.js'

export interface AttackPlan {
  dir: string
  bootstrapAddr: string
  nodeAddrs: string[]
}

export interface AttackerFigures {
  kind: string
  /** what it sent (messages, frames, connection attempts) */
  sent: number
  /** true when the mesh cut it off (no connection left at the end) */
  cut_off: boolean
}

const plan = JSON.parse(process.argv[2] ?? '{}') as AttackPlan
const cluster: PeerCluster = {
  caCertPath: join(plan.dir, 'ca', 'ca.crt'),
  callerKeyPath: join(plan.dir, 'caller.key'),
  authorizedKeysPath: join(plan.dir, 'authorized_keys'),
  enroll: async (identity: string) => {
    const out = join(plan.dir, 'certs')
    const files = existsSync(join(out, `${identity}.crt`)) ? { cert: join(out, `${identity}.crt`), key: join(out, `${identity}.key`) } : await issueCertificate(join(plan.dir, 'ca'), identity, out)
    return { ca: join(plan.dir, 'ca', 'ca.crt'), cert: files.cert, cert_key: files.key }
  }
}

let attacking = true
const sockets = new Set<Socket>()
const figures: Array<AttackerFigures & { peer?: MeshNode }> = []
const strangerKey = generateRequesterKey()

/** A compromised host of the fleet: it holds a certificate from the fleet's CA. */
async function enrolled (name: string): Promise<MeshNode> {
  const peer = await testPeer(cluster, { enrollAs: name, role: 'daemon' })
  await peer.dial(multiaddr(plan.bootstrapAddr)).catch(() => {})
  for (const addr of plan.nodeAddrs) await peer.dial(multiaddr(addr)).catch(() => {})
  return peer
}

function request (from: MeshNode, issued = Date.now()): Uint8Array {
  return signRequest({
    collective: 'main', agent: 'rpcutil', action: 'ping', args: {}, filter: emptyFilter(),
    requester: { peer: from.peerId.toString(), addrs: from.getMultiaddrs().map(String) }, ttl: 60
  }, strangerKey, issued).bytes
}

/** Opens one stream to every node and writes 100 frames on each. */
async function direct (from: MeshNode, frame: () => Uint8Array): Promise<number> {
  await Promise.all(plan.nodeAddrs.map(async addr => {
    const stream = await from.dialProtocol(multiaddr(addr), DIRECT_REQUEST_PROTOCOL)
    const { queue, done } = frameWriter(stream)
    for (let i = 0; i < 100; i++) queue.push(frame())
    queue.end()
    await done
  }))
  return 100 * plan.nodeAddrs.length
}

async function loop (figure: AttackerFigures & { peer?: MeshNode }, once: () => Promise<number>): Promise<void> {
  figures.push(figure)
  while (attacking) {
    // A send that settles without I/O (a publish nobody takes) would otherwise spin in
    // microtasks: no timer, no SIGTERM handler and no other attacker would ever run.
    await new Promise(resolve => setImmediate(resolve))
    try {
      figure.sent += await once()
    } catch {
      figure.sent += 1
      await new Promise(resolve => setTimeout(resolve, 5))
    }
  }
}

const forged = await enrolled('junk-forged')
const stranger = await enrolled('junk-stranger')
const future = await enrolled('junk-future')
const registrations = await enrolled('junk-registrations')
const oversize = await enrolled('junk-oversize')
const deep = new TextEncoder().encode(`{"v":1,"kind":"announce","facts":{"x":${'['.repeat(20_000)}${']'.repeat(20_000)}}}`)
const loops = [
  loop({ kind: 'forged requests (bad signature), gossiped', sent: 0, cut_off: false, peer: forged }, async () => {
    const bytes = request(forged)
    bytes.fill(7, 2, 66)
    await forged.services.pubsub.publish(agentTopic('main', 'rpcutil'), bytes)
    return 1
  }),
  loop({ kind: 'well-signed requests from a key nobody authorizes, straight to every node', sent: 0, cut_off: false, peer: stranger }, async () => await direct(stranger, () => request(stranger))),
  loop({ kind: 'requests dated an hour ahead, straight to every node', sent: 0, cut_off: false, peer: future }, async () => await direct(future, () => request(future, Date.now() + 3600_000))),
  loop({ kind: 'registrations nested 20,000 deep, gossiped', sent: 0, cut_off: false, peer: registrations }, async () => {
    await registrations.services.pubsub.publish(registryTopic('main'), deep)
    return 1
  }),
  loop({ kind: '64 KiB of garbage a frame, straight to every node', sent: 0, cut_off: false, peer: oversize }, async () => await direct(oversize, () => new Uint8Array(64 * 1024).fill(0x41))),
  loop({ kind: 'peers without a certificate connecting to the bootstrap', sent: 0, cut_off: false }, async () => {
    const peer = await testPeer(cluster, { verify: false })
    try { await peer.dial(multiaddr(plan.bootstrapAddr)) } finally { await peer.stop() }
    return 1
  }),
  loop({ kind: 'idle TCP sockets held open on the bootstrap (200 at a time)', sent: 0, cut_off: false }, async () => {
    while (sockets.size >= 200 && attacking) await new Promise(resolve => setTimeout(resolve, 20))
    const socket = connect({ host: '127.0.0.1', port: Number(plan.bootstrapAddr.split('/')[4]), localAddress: '127.0.0.2' })
    socket.on('error', () => {})
    socket.on('close', () => sockets.delete(socket))
    sockets.add(socket)
    return 1
  })
]
process.stdout.write('attacking\n')

const figureLines = (): string => figures.map(figure => JSON.stringify({ kind: figure.kind, sent: figure.sent, cut_off: figure.peer !== undefined && figure.peer.getPeers().length === 0 }) + '\n').join('')
// Every few seconds too: an attacker too busy to answer SIGTERM in time is killed, and its last
// figures are still there (the soak keeps the last line of each kind).
setInterval(() => { process.stdout.write(figureLines()) }, 2000).unref()

process.once('SIGTERM', () => {
  attacking = false
  for (const socket of sockets) socket.destroy()
  void (async () => {
    await Promise.race([Promise.all(loops), new Promise(resolve => setTimeout(resolve, 5000))])
    // Exit only once the lines are out: a pipe is written asynchronously.
    process.stdout.write(figureLines(), () => process.exit(0))
  })()
})
