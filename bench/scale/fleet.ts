// The scale benchmark: N real daemons spread over a few worker processes, a real bootstrap
// process, and a requester in this process. It measures how long a request takes to reach every
// node and for every reply to come back, what the mesh costs each node (gossip messages and CPU,
// idle and per request), and how these grow with N.
import { fork, type ChildProcess } from 'node:child_process'
import { setPriority } from 'node:os'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { LocalCluster } from '../../src/demo/local-cluster.js'
import { loadConfig } from '../../src/config/load.js'
import { openLink, type RequesterLink } from '../../src/requester/link.js'
import { readRequesterKey } from '../../src/security/keys.js'
import { sendAndCollect } from '../../src/requester/session.js'
import { emptyFilter } from '../../src/discovery/filter/index.js'
import { median, round, waitUntil, processCpuMs } from '../measure.js'
import type { WorkerCommand, WorkerReport, WorkerStalls } from './worker.js'

/** Daemons one worker process hosts (BENCH_SCALE_PER_WORKER, default 125): one event loop and one heap for all of them. */
export const DAEMONS_PER_WORKER = perWorker(process.env.BENCH_SCALE_PER_WORKER)

function perWorker (setting: string | undefined): number {
  const count = Number(setting ?? 125)
  if (!Number.isInteger(count) || count < 1) throw new Error(`BENCH_SCALE_PER_WORKER must be a whole number of daemons, got '${setting ?? ''}'`)
  return count
}
/** The workers' nice value (the bootstrap and the requester keep 0): see startWorker. */
const WORKER_NICE = 10
/** After the directory is complete: the daemons' start-up burst of beats (to 31 s) is over. */
const SETTLE_MS = 40_000
/** The bound stated for a complete directory: every node listed this long after the daemons were started. */
const JOIN_BOUND_MS = 600_000
/** After the settle: no connection opened or closed for this long means the mesh dials are done. */
const MESH_QUIET_MS = 10_000
/** The longest the pings wait for that; past it they are measured anyway (and the results say so). */
const MESH_SETTLE_BOUND_MS = 300_000
/** No node added for this long: the directory is stuck (the bench fails the size). */
const STALL_MS = 120_000
/** How often a join in progress is logged. */
const PROGRESS_EVERY_MS = 30_000

/** How many of a ping's silent nodes the results name (all of them are counted). */
const SILENT_LISTED = 10

/** One ping to every node, as measured (ms from publish; null when no reply came). */
export interface PingOutcome {
  expected: number
  replies: number
  /** nodes that said they acted but whose reply did not arrive before the timeout (absent in older runs) */
  undelivered?: number
  /** expected nodes the requester held a direct connection to when it sent (absent in older runs): the others it dials then */
  connected?: number
  /**
   * Expected nodes that gave no reply (absent in older runs and in pings every node answered):
   * the first few identities, how many were not connected when the request went out, and when
   * it went out, to find them in the daemons' logs (BENCH_SCALE_LOG_DIR).
   */
  silent?: { identities: string[], unconnected: number, sent_at: string, per_worker?: number[] }
  /**
   * Per worker process, during this ping: its longest event-loop delay and garbage-collection
   * pause, ms (absent in older runs). A worker's hundred daemons share one event loop: a stall
   * here silences all of them at once, which no host of a real fleet does.
   */
  worker_loop_max_ms?: number[]
  worker_gc_max_ms?: number[]
  /** per worker process: its CPU during the ping, ms (a stall with little CPU was a wait for a core) */
  worker_cpu_ms?: number[]
  /** the latest `pong` timestamp a node put in its reply: when the last node handled the request */
  reach_all_ms: number | null
  first_reply_ms: number | null
  last_reply_ms: number | null
}

export interface ScaleResult {
  nodes: number
  workers: number
  daemons_per_worker: number
  /** seconds until the requester's directory held every node */
  join_seconds: number
  /** CPU seconds the whole fleet (worker processes and the bootstrap) spent until then (absent in older runs) */
  join_cpu_s?: number
  /** per node (median): registrations received by gossip until then, duplicates included (absent in older runs) */
  join_registry_in?: number
  /** every ping as measured */
  pings: PingOutcome[]
  /** pings every node answered; the medians below are over these only */
  complete_pings: number
  /** median over the complete pings, ms from publish; null when none was complete */
  reach_all_ms: number | null
  first_reply_ms: number | null
  last_reply_ms: number | null
  replies_min: number
  /** per node, per request: copies of the request received by gossip (duplicates included) and forwarded */
  gossip_in_per_request: number
  gossip_out_per_request: number
  /** per node, per request: copies the requester sent the node itself (absent in older runs, whose requests went by gossip) */
  direct_in_per_request?: number
  /** per node, idle: membership messages (beats) per second in and out, and CPU ms per second */
  idle_gossip_per_second: number
  idle_cpu_ms_per_second: number
  /** per node: CPU ms a request costs (the whole machine's CPU over the nodes); null when the busy-less-idle difference came out negative */
  cpu_ms_per_request: number | null
  /** the requester's CPU for one request, per node addressed (sending it, taking the reply), in µs */
  requester_cpu_us_per_node: number
  /** each worker process's RSS: one process hosting daemons_per_worker daemons (shared code and heap), not a daemon's */
  worker_rss_mib: number[]
  beat_interval_s: number
  /** seconds after the settle until no daemon opened or closed a connection for 10 s; null when the bound ran out first (absent in older runs) */
  mesh_settle_s?: number | null
}

interface Worker {
  child: ChildProcess
  next: (report: WorkerReport) => void
}

function startWorker (): Worker {
  // V8's defaults: a worker hosts hundreds of daemons without going through `troupe daemon`, and a
  // young generation pinned for one daemon would make it spend a third of its time collecting
  // garbage.
  const child = fork(join(dirname(fileURLToPath(import.meta.url)), 'worker.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  // The workers stand for hundreds of hosts, the bootstrap for the master and this process for
  // the operator's: on a real fleet neither shares its CPU with the nodes. At the same priority,
  // 8 to 16 busy workers left the one bootstrap process little of two cores during a join, and
  // dials to it timed out (a 1000-daemon join that did not complete in run I). On Linux this
  // sets the worker's main thread, the one that runs its daemons.
  if (child.pid !== undefined) setPriority(child.pid, WORKER_NICE)
  const worker: Worker = { child, next: () => {} }
  child.on('message', (report: WorkerReport) => worker.next(report))
  return worker
}

async function ask (worker: Worker, command: WorkerCommand): Promise<WorkerReport> {
  return await new Promise((resolve, reject) => {
    worker.next = report => report.op === 'failed' ? reject(new Error(report.message)) : resolve(report)
    worker.child.send(command)
  })
}

type Stats = Extract<WorkerReport, { op: 'stats' }>

/**
 * Each worker's daemons listen on, and connect from, an address of their own (127.0.1.W): a
 * worker stands for a site of hosts behind one address. On one shared address the bootstrap's
 * per-address bound on handshakes in progress (src/transport/handshake-limit.ts) held the whole
 * fleet, and the requester with it, to 16 joins at a time, as no real fleet is.
 */
function workerAddress (index: number): string {
  return `127.0.1.${index}`
}

/**
 * Waits until no daemon has opened or closed a connection for MESH_QUIET_MS (their mesh peers
 * are dialled: each daemon's first top-up comes 15-60 s after its start, and on two cores a
 * thousand daemons' dials take longer), at most MESH_SETTLE_BOUND_MS; says how it ended. Pings
 * sent during those dials would measure the bench's own load: on a real fleet each host dials
 * its own few peers.
 */
async function meshSettled (workers: Worker[]): Promise<{ seconds: number | null, said: string }> {
  const started = Date.now()
  let connections = -1
  let steadySince = started
  try {
    await waitUntil('the daemons\' connections to hold steady', MESH_SETTLE_BOUND_MS, async () => {
      const now = sum(nodeValues(await allStats(workers), 'connections'))
      if (now !== connections) { connections = now; steadySince = Date.now() }
      return Date.now() - steadySince >= MESH_QUIET_MS
    })
  } catch (err) {
    if (!(err as Error).message.startsWith('bench: timed out')) throw err
    return { seconds: null, said: `connections still changing after ${round(MESH_SETTLE_BOUND_MS / 1000)} s (${connections}); measuring anyway` }
  }
  const seconds = round((Date.now() - started) / 1000)
  return { seconds, said: `connections steady at ${connections} after ${seconds} s` }
}

/** One figure of every daemon, from the workers' stats. */
function nodeValues (stats: Stats[], key: string): number[] {
  return stats.flatMap(s => s.nodes.map(node => node[key] ?? 0))
}

function sum (values: number[]): number {
  return values.reduce((total, value) => total + value, 0)
}

/** The first few nodes a directory lacks, named (to find them in the daemons' logs), or ''. */
function unlisted (identities: string[], listed: Array<{ identity: string }>): string {
  const held = new Set(listed.map(node => node.identity))
  const missing = identities.filter(identity => !held.has(identity))
  return missing.length === 0 ? '' : `; not listed: ${missing.slice(0, SILENT_LISTED).join(', ')}${missing.length > SILENT_LISTED ? ', …' : ''}`
}

/** Each worker's stalls since the last call (worker.ts). */
async function allStalls (workers: Worker[]): Promise<WorkerStalls[]> {
  return await Promise.all(workers.map(async worker => (await ask(worker, { op: 'stalls' }) as Extract<WorkerReport, { op: 'stalls' }>).stalls))
}

/** How many of the silent nodes each worker process hosts (hostOf: the worker each identity was started in). */
function silentPerWorker (silent: Array<{ identity: string }>, hostOf: Map<string, number>, workers: number): number[] {
  const counts = new Array<number>(workers).fill(0)
  for (const node of silent) {
    const worker = hostOf.get(node.identity)
    if (worker !== undefined) counts[worker] = (counts[worker] ?? 0) + 1
  }
  return counts
}

async function allStats (workers: Worker[]): Promise<Stats[]> {
  return await Promise.all(workers.map(async worker => await ask(worker, { op: 'stats' }) as Stats))
}

/** Per-node sums of a counter between two snapshots. */
function perNodeDelta (before: Stats[], after: Stats[], key: string): number[] {
  return after.flatMap((stats, w) => stats.nodes.map((node, i) => (node[key] ?? 0) - (before[w]?.nodes[i]?.[key] ?? 0)))
}

function cpuMs (stats: Stats[], others: number[]): number {
  return stats.reduce((sum, s) => sum + s.cpuMicros / 1000, 0) + processCpuMs(others)
}

export interface ScaleOptions {
  pings: number
  idleSeconds: number
  /** the daemons' announce_interval: long, so that one machine can hold a thousand daemons' beats */
  announceInterval: number
  log: (line: string) => void
}

export async function benchScale (nodes: number, options: ScaleOptions): Promise<ScaleResult> {
  const cluster = await LocalCluster.start({ nodes: [], clientConfig: { requester_idle: 0 } })
  const workers: Worker[] = []
  let link: RequesterLink | undefined
  try {
    const identities = Array.from({ length: nodes }, (_, i) => `s${String(i + 1).padStart(5, '0')}`)
    // Daemons are enrolled as a real fleet's are: each its certificate from the fleet's CA.
    const enrollment: Record<string, Record<string, string>> = {}
    for (const identity of identities) enrollment[identity] = await cluster.enroll(identity)
    options.log(`  ${nodes} certificates issued`)
    const bootstrapPid = cluster.bootstrapProcess?.pid ?? 0
    const bootstrapCpuAtStart = processCpuMs([bootstrapPid])
    const started = Date.now()
    const starts: Array<Promise<WorkerReport>> = []
    /** the worker process each daemon runs in (index into workers) */
    const hostOf = new Map<string, number>()
    for (let from = 0; from < nodes; from += DAEMONS_PER_WORKER) {
      const worker = startWorker()
      const hosted = identities.slice(from, from + DAEMONS_PER_WORKER)
      for (const identity of hosted) hostOf.set(identity, workers.length)
      workers.push(worker)
      starts.push(ask(worker, { op: 'start', dir: cluster.dir, bootstrap: cluster.bootstrapAddr, address: workerAddress(workers.length), authorizedKeys: cluster.authorizedKeysPath, identities: hosted, announceInterval: options.announceInterval, enrollment }))
    }
    await Promise.all(starts)
    options.log(`  ${nodes} daemons started in ${workers.length} processes (${((Date.now() - started) / 1000).toFixed(0)} s)`)
    const config = loadConfig(cluster.clientConfigPath)
    link = await openLink(config)
    const requester = link
    let expected = await requester.select(emptyFilter(), 'rpcutil')
    // A directory that stops growing will not complete before the nodes' next beat
    // (announceInterval): fail then, saying how far it got, rather than wait out the bound.
    let grewAt = Date.now()
    let held = expected.length
    let loggedAt = Date.now()
    await waitUntil(`the directory to hold ${nodes} nodes`, JOIN_BOUND_MS, async () => {
      expected = await requester.select(emptyFilter(), 'rpcutil')
      if (expected.length > held) { held = expected.length; grewAt = Date.now() }
      // A line every half minute: where a slow join spends its time (the bootstrap or the daemons).
      if (Date.now() - loggedAt >= PROGRESS_EVERY_MS) {
        loggedAt = Date.now()
        const workerCpuS = (await allStats(workers)).reduce((sum, s) => sum + s.cpuMicros / 1e6, 0)
        const stalls = await allStalls(workers)
        options.log(`  ${round((Date.now() - started) / 1000)} s: ${held} listed; CPU so far: workers ${round(workerCpuS)} s, bootstrap ${round((processCpuMs([bootstrapPid]) - bootstrapCpuAtStart) / 1000)} s; a worker's longest stall ${Math.max(...stalls.map(s => s.loop_max_ms))} ms (GC ${Math.max(...stalls.map(s => s.gc_max_ms))} ms)`)
      }
      if (Date.now() - grewAt > STALL_MS) throw new Error(`the requester's directory held ${held} of ${nodes} nodes ${round((Date.now() - started) / 1000)} s after the start, none new for ${STALL_MS / 1000} s${unlisted(identities, expected)}`)
      return expected.length >= nodes
    }).catch(err => { throw (err as Error).message.startsWith('bench: timed out') ? new Error(`${(err as Error).message} (${held} of ${nodes} listed${unlisted(identities, expected)})`) : err })
    const joinSeconds = (Date.now() - started) / 1000
    const joined = await allStats(workers)
    const joinCpuS = (cpuMs(joined, []) + processCpuMs([bootstrapPid]) - bootstrapCpuAtStart) / 1000
    const joinRegistryIn = median(nodeValues(joined, 'gossip_registry_in'))
    options.log(`  directory complete after ${joinSeconds.toFixed(0)} s; settling`)
    await new Promise(resolve => setTimeout(resolve, SETTLE_MS))
    const mesh = await meshSettled(workers)
    options.log(`  ${mesh.said}`)

    const idleBefore = await allStats(workers)
    const idleCpuBefore = cpuMs(idleBefore, [bootstrapPid])
    // Beats come in waves at first (nodes started together); a longer window evens them out.
    const beatInterval = median(nodeValues(idleBefore, 'beat_interval'))
    const idleSeconds = Math.max(options.idleSeconds, Math.min(beatInterval * 1.5, 60))
    await new Promise(resolve => setTimeout(resolve, idleSeconds * 1000))
    const idleAfter = await allStats(workers)
    const idleCpu = cpuMs(idleAfter, [bootstrapPid]) - idleCpuBefore
    const idleMessages = (['gossip_registry_in', 'gossip_registry_out', 'gossip_beats_in', 'gossip_beats_out'] as const)
      .map(name => perNodeDelta(idleBefore, idleAfter, name))
      .reduce((sum, counts) => sum.map((n, i) => n + (counts[i] ?? 0)))

    const key = readRequesterKey(cluster.callerKeyPath)
    const view = await requester.hello()
    const plan = { collective: config.collective, agent: 'rpcutil', action: 'ping', args: {}, ttlSeconds: 60, timeoutMs: 30_000 }
    const pings: PingOutcome[] = []
    const before = await allStats(workers)
    const cpuBefore = cpuMs(before, [bootstrapPid, process.pid])
    const pingsStarted = Date.now()
    const requesterCpu = process.cpuUsage()
    for (let i = 0; i < options.pings; i++) {
      const pongs: number[] = []
      const arrivals: number[] = []
      // Selected for each request, as each CLI command does: a node the requester was not yet
      // connected to at the last selection is connected to now (the publish dials it).
      expected = await requester.select(emptyFilter(), 'rpcutil')
      await allStalls(workers)
      const directPeers = new Set((await requester.connections()).filter(connection => !connection.relayed).map(connection => connection.peer))
      const sentAt = Date.now()
      const noticed = new Set<string>()
      const replied = new Set<string>()
      await sendAndCollect(requester, key, view, plan, emptyFilter(), expected, reply => {
        replied.add(reply.identity)
        arrivals.push(Date.now())
        pongs.push(Number(reply.data.pong))
      }, notice => { noticed.add(notice.identity) })
      // A ping with no replies has no times: it is a failed ping, not the fastest one.
      const got = arrivals.length > 0
      const silent = expected.filter(node => !replied.has(node.identity))
      const stalls = await allStalls(workers)
      pings.push({
        expected: expected.length,
        connected: expected.filter(node => directPeers.has(node.peer)).length,
        replies: arrivals.length,
        undelivered: [...noticed].filter(identity => !replied.has(identity)).length,
        ...(silent.length > 0 ? { silent: { identities: silent.slice(0, SILENT_LISTED).map(node => node.identity), unconnected: silent.filter(node => !directPeers.has(node.peer)).length, sent_at: new Date(sentAt).toISOString(), per_worker: silentPerWorker(silent, hostOf, workers.length) } } : {}),
        worker_loop_max_ms: stalls.map(s => s.loop_max_ms),
        worker_gc_max_ms: stalls.map(s => s.gc_max_ms),
        worker_cpu_ms: stalls.map(s => s.cpu_ms),
        reach_all_ms: got ? Math.max(...pongs) - sentAt : null,
        first_reply_ms: got ? Math.min(...arrivals) - sentAt : null,
        last_reply_ms: got ? Math.max(...arrivals) - sentAt : null
      })
      await new Promise(resolve => setTimeout(resolve, 1000))
    }
    const requesterCpuMicros = (({ user, system }) => user + system)(process.cpuUsage(requesterCpu))
    const after = await allStats(workers)
    const pingSeconds = (Date.now() - pingsStarted) / 1000
    const idleShare = pingSeconds / idleSeconds
    const perRequest = (key: string): number => median(perNodeDelta(before, after, key)) / options.pings
    const cpuDuringPings = cpuMs(after, [bootstrapPid, process.pid]) - cpuBefore
    const complete = pings.filter(ping => ping.replies >= nodes)
    const medianOf = (key: 'reach_all_ms' | 'first_reply_ms' | 'last_reply_ms'): number | null =>
      complete.length > 0 ? round(median(complete.map(ping => ping[key] ?? 0))) : null
    const busyCpu = cpuDuringPings - idleCpu * idleShare
    return {
      nodes,
      workers: workers.length,
      daemons_per_worker: DAEMONS_PER_WORKER,
      join_seconds: round(joinSeconds),
      join_cpu_s: round(joinCpuS),
      join_registry_in: joinRegistryIn,
      pings,
      complete_pings: complete.length,
      reach_all_ms: medianOf('reach_all_ms'),
      first_reply_ms: medianOf('first_reply_ms'),
      last_reply_ms: medianOf('last_reply_ms'),
      replies_min: Math.min(...pings.map(ping => ping.replies)),
      gossip_in_per_request: round(perRequest('gossip_requests_in'), 2),
      gossip_out_per_request: round(perRequest('gossip_requests_out'), 2),
      direct_in_per_request: round(perRequest('direct_requests_in'), 2),
      idle_gossip_per_second: round(median(idleMessages) / idleSeconds, 2),
      idle_cpu_ms_per_second: round(idleCpu / idleSeconds / nodes, 2),
      // Negative: the idle window was the busier one; not a measurement (n/a), never 0.
      cpu_ms_per_request: busyCpu < 0 ? null : round(busyCpu / options.pings / nodes, 2),
      requester_cpu_us_per_node: round(requesterCpuMicros / options.pings / nodes),
      worker_rss_mib: after.map(s => round(s.rssBytes / 1024 / 1024)),
      beat_interval_s: beatInterval,
      mesh_settle_s: mesh.seconds
    }
  } finally {
    await link?.close()
    await Promise.all(workers.map(async worker => await new Promise<void>(resolve => {
      const timer = setTimeout(() => { worker.child.kill('SIGKILL') }, 20_000)
      worker.child.once('exit', () => { clearTimeout(timer); resolve() })
      worker.child.send({ op: 'stop' } satisfies WorkerCommand)
    })))
    await cluster.stop()
  }
}
