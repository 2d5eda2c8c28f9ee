// How many relayed nodes one bootstrap holds (issue 12): a real `troupe bootstrap` process on
// loopback, N peers that cannot be dialled (no listen address: they only dial out) each holding a
// relay reservation on it, then a requester that opens a relayed connection to every one of them
// (the warm requester agent's state under the PE rule) and sends request/reply-sized round trips
// over them. Reports the bootstrap's RSS per reservation and per relayed connection, and its CPU
// per relayed round trip (a request frame in, a reply frame back).
import { generateKeyPair } from '@libp2p/crypto/keys'
import { multiaddr } from '@multiformats/multiaddr'
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createMeshNode, type MeshNode, type MeshNodeOptions } from '../src/transport/mesh-node.js'
import { admissionFor } from '../src/mesh/member.js'
import { silentLogger } from '../src/log.js'
import { frameWriter, readFrames } from '../src/transport/framing.js'
import { MAX_PENDING_PER_HOST } from '../src/transport/handshake-limit.js'
import { spawnTroupe } from '../src/demo/local-cluster.js'
import { cpuSeconds, rssMiB, round } from './measure.js'
import type { ChildProcess } from 'node:child_process'

const ECHO = '/troupe-bench/echo/1.0.0'
const REQUEST = new Uint8Array(1200)
const REPLY = new Uint8Array(300)

/** A peer of a lab-mode mesh (the bench's bootstrap has no CA: every peer is admitted). */
async function labPeer (options: Omit<MeshNodeOptions, 'privateKey' | 'admission'>): Promise<MeshNode> {
  const privateKey = await generateKeyPair('Ed25519')
  return await createMeshNode({ ...options, privateKey, admission: admissionFor({ role: options.role, collective: 'main', credentials: {}, privateKey, log: silentLogger() }) })
}

export interface RelayCapacityResult {
  nodes: number
  bootstrap_rss_mib: { alone: number, reserved: number, relayed: number }
  /** bootstrap RSS added by each reservation (peer connected, reservation held) */
  kib_per_reservation: number
  /** and by each relayed connection the requester holds on top of it */
  kib_per_relayed_connection: number
  /** bootstrap CPU per relayed round trip: a 1.2 KB request in, a 300 B reply back */
  bootstrap_cpu_us_per_relayed_reply: number
  round_trips: number
}

export async function benchRelayCapacity (nodes: number, log: (line: string) => void): Promise<RelayCapacityResult> {
  const dir = mkdtempSync(join(tmpdir(), 'troupe-relay-bench-'))
  const peers: MeshNode[] = []
  let bootstrap: ChildProcess | undefined
  try {
    const config = join(dir, 'bootstrap.yaml')
    writeFileSync(config, `listen: [/ip4/127.0.0.1/tcp/0]\nkey: ${join(dir, 'bootstrap.key')}\nlog_level: warn\nlog_file: ${join(dir, 'bootstrap.log')}\n`)
    bootstrap = spawnTroupe(['bootstrap', '--config', config])
    const addr = await firstLine(bootstrap)
    const pid = bootstrap.pid ?? 0
    await settle()
    const alone = rssMiB(pid)
    // Every peer dials from 127.0.0.1: at most MAX_PENDING_PER_HOST handshakes from one address
    // run at once on the bootstrap (a real fleet has an address per host), so a few fewer at a time.
    const atOnce = MAX_PENDING_PER_HOST / 2
    for (let i = 0; i < nodes; i += atOnce) {
      await Promise.all(Array.from({ length: Math.min(atOnce, nodes - i) }, async () => {
        const peer = await labPeer({ role: 'daemon', listen: [], relayReservations: 1 })
        await peer.start()
        await peer.handle(ECHO, ({ stream }) => {
          const { queue, done } = frameWriter(stream)
          done.catch(() => {})
          readFrames(stream, 64 * 1024, () => queue.push(REPLY)).catch(() => {}).finally(() => queue.end())
        }, { runOnLimitedConnection: true })
        peers.push(peer)
        await dialWithRetries(peer, addr)
      }))
    }
    await waitFor(() => peers.every(peer => peer.getMultiaddrs().some(ma => ma.toString().includes('/p2p-circuit'))), 'every peer to hold a reservation')
    await settle()
    const reserved = rssMiB(pid)
    log(`    ${nodes} reservations: bootstrap ${round(alone)} -> ${round(reserved)} MiB`)

    // relayReservations: 1, as every requester of a fleet with a bootstrap has (it also lifts
    // libp2p's cap of 64 relayed dials through one relay; see mesh-node.ts).
    const requester = await labPeer({ role: 'requester', listen: [], relayReservations: 1 })
    await requester.start()
    peers.push(requester)
    await requester.dial(multiaddr(addr))
    const streams = []
    // 20 at a time, each with 60 s: on a crowded machine 50 at once overran libp2p's 10 s dial timeout.
    for (let i = 0; i < nodes; i += 20) {
      streams.push(...await Promise.all(peers.slice(i, Math.min(i + 20, nodes)).map(async peer => {
        const circuit = multiaddr(`${addr}/p2p-circuit/p2p/${peer.peerId.toString()}`)
        const connection = await requester.dial(circuit, { signal: AbortSignal.timeout(60_000) })
        const stream = await connection.newStream(ECHO, { runOnLimitedConnection: true })
        const { queue } = frameWriter(stream)
        let answered = 0
        let wake: (() => void) | undefined
        readFrames(stream, 64 * 1024, () => { answered += 1; wake?.() }).catch(() => {})
        return { queue, answered: () => answered, wait: async (count: number) => { while (answered < count) await new Promise<void>(resolve => { wake = resolve }) } }
      })))
    }
    await settle()
    const relayed = rssMiB(pid)
    log(`    ${nodes} relayed connections: bootstrap ${round(relayed)} MiB`)

    const rounds = 20
    const cpuBefore = cpuSeconds(pid)
    for (let r = 1; r <= rounds; r++) {
      for (const stream of streams) stream.queue.push(REQUEST)
      await Promise.all(streams.map(async stream => { await stream.wait(r) }))
    }
    const cpuMs = (cpuSeconds(pid) - cpuBefore) * 1000
    return {
      nodes,
      bootstrap_rss_mib: { alone: round(alone), reserved: round(reserved), relayed: round(relayed) },
      kib_per_reservation: round((reserved - alone) * 1024 / nodes),
      kib_per_relayed_connection: round((relayed - reserved) * 1024 / nodes),
      bootstrap_cpu_us_per_relayed_reply: round(cpuMs * 1000 / (rounds * nodes)),
      round_trips: rounds * nodes
    }
  } finally {
    await Promise.all(peers.map(async peer => { try { await peer.stop() } catch { /* already stopped */ } }))
    bootstrap?.kill('SIGTERM')
    rmSync(dir, { recursive: true, force: true })
  }
}

/** A dial refused while the bootstrap's pending handshakes from this address are at their cap is tried again. */
async function dialWithRetries (peer: MeshNode, addr: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await peer.dial(multiaddr(addr))
      return
    } catch (err) {
      if (attempt >= 5) throw err
      await new Promise(resolve => setTimeout(resolve, 200 * attempt))
    }
  }
}

/** Lets the bootstrap's heap settle (GC) before RSS is read. */
async function settle (): Promise<void> {
  await new Promise(resolve => setTimeout(resolve, 5000))
}

async function waitFor (done: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 300_000
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`bench: timed out waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, 250))
  }
}

async function firstLine (child: ChildProcess): Promise<string> {
  return await new Promise((resolve, reject) => {
    let out = ''
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString()
      const newline = out.indexOf('\n')
      if (newline >= 0) resolve(out.slice(0, newline).trim())
    })
    child.once('exit', code => reject(new Error(`bootstrap exited with code ${code ?? 'signal'}`)))
  })
}
