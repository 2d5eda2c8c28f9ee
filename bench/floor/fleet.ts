// The libp2p floor: what the stack troupe is built on (libp2p, noise, yamux, gossipsub on Node.js)
// costs a node and a requester by itself, beside troupe at the same node counts in the same run.
// Its peers (bench/floor/peer.ts) run the least any troupe request takes: a frame in on the
// requester's long-lived request stream, a reply out on another, its acknowledgement back. They are bundled into
// one minified file and run with a daemon's V8 settings, as troupe's daemons are, and measured as
// troupe's daemons are: memory once settled, idle CPU, CPU per request; and the requester's CPU
// per reply. A troupe figure near its floor has little left to gain above libp2p.
import { fork, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { build } from 'esbuild'
import { BUNDLE_OPTIONS, REQUIRE_BANNER } from '../../packaging/bundle-options.js'
import { PACKAGE_ROOT } from '../../src/package-root.js'
import type { MeasureOptions } from '../anchors/types.js'
import { daemonFigures, idleCpuPercent, round, sample } from '../measure.js'
import type { FloorCommand, FloorMessage } from './peer.js'

export interface FloorResult {
  nodes: number
  requests: number
  /** replies the measured requests got, and what every node answering every request makes */
  replies: number
  expected_replies: number
  node_rss_mib: number
  node_private_mib?: number
  node_idle_cpu_percent: number
  /** null when the idle window was the busier one (n/a) */
  node_cpu_ms_per_request: number | null
  requester_cpu_ms_per_reply: number | null
  /** how requests reached the nodes (absent in older runs: a gossipsub flood publish) */
  request_path?: 'stream'
}

/** Requests the figures are taken over: a node's share of one is a fraction of a 10 ms clock tick. */
const FLOOR_REQUESTS = 300
const WARM_UP_REQUESTS = 20
/** Peers each node dials beside the requester, as a troupe daemon's mesh keeper keeps six. */
const MESH_PEERS = 6
/** For gossipsub's heartbeats to graft the meshes, before anything is measured. */
const SETTLE_MS = 10_000

export async function benchFloor (nodes: number, options: MeasureOptions): Promise<FloorResult> {
  const dir = mkdtempSync(join(tmpdir(), 'troupe-floor-'))
  const children: ChildProcess[] = []
  try {
    const bundle = join(dir, 'peer.js')
    await build({ ...BUNDLE_OPTIONS, entryPoints: [join(PACKAGE_ROOT, 'dist', 'bench', 'floor', 'peer.js')], outfile: bundle, banner: REQUIRE_BANNER })
    const start = async (args: string[]): Promise<{ child: ChildProcess, addr: string }> => {
      const child = fork(bundle, args, { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] })
      children.push(child)
      return { child, addr: await ready(child) }
    }
    const requester = await start(['requester'])
    const addrs: string[] = []
    for (let i = 0; i < nodes; i++) addrs.push((await start(['node', requester.addr, ...addrs.slice(Math.max(0, addrs.length - MESH_PEERS))])).addr)
    await new Promise(resolve => setTimeout(resolve, SETTLE_MS))
    const pids = children.slice(1).map(child => child.pid ?? 0)
    await run(requester.child, { op: 'run', requests: WARM_UP_REQUESTS, nodes })
    const idle = await idleCpuPercent(pids, options.idleSeconds)
    const measured = await sample(1, pids, idle, async () => await run(requester.child, { op: 'run', requests: FLOOR_REQUESTS, nodes }))
    const outcome = measured.samples[0] ?? { cpuMs: 0, replies: 0 }
    const figures = daemonFigures(pids, idle, measured.cpuMsPerRun === null ? null : measured.cpuMsPerRun / FLOOR_REQUESTS, FLOOR_REQUESTS)
    return {
      nodes,
      requests: FLOOR_REQUESTS,
      replies: outcome.replies,
      expected_replies: FLOOR_REQUESTS * nodes,
      node_rss_mib: figures.daemon_rss_mib,
      node_private_mib: figures.daemon_private_mib,
      node_idle_cpu_percent: figures.daemon_idle_cpu_percent,
      node_cpu_ms_per_request: figures.daemon_cpu_ms_per_request,
      requester_cpu_ms_per_reply: outcome.replies > 0 ? round(outcome.cpuMs / outcome.replies, 3) : null,
      request_path: 'stream'
    }
  } finally {
    for (const child of children) child.kill('SIGKILL')
    rmSync(dir, { recursive: true, force: true })
  }
}

async function ready (child: ChildProcess): Promise<string> {
  return await new Promise((resolve, reject) => {
    child.once('exit', code => reject(new Error(`bench: a libp2p floor peer exited (${code ?? 'signal'}) before it was ready`)))
    child.once('message', (message: FloorMessage) => { if ('ready' in message) resolve(message.ready) })
  })
}

async function run (requester: ChildProcess, command: FloorCommand): Promise<{ cpuMs: number, replies: number }> {
  return await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('bench: the libp2p floor\'s requests did not finish within 10 minutes')), 600_000)
    requester.once('message', (message: FloorMessage) => {
      clearTimeout(timer)
      if ('cpuMs' in message) resolve(message)
      else reject(new Error('bench: unexpected message from the libp2p floor\'s requester'))
    })
    requester.send(command)
  })
}
