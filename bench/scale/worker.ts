// One process of the scale benchmark: hosts many real daemons (the same Daemon class `troupe
// daemon` runs, each its own libp2p peer on its own port), so hundreds to thousands of mesh
// peers fit on one machine. Driven by bench/scale/fleet.ts over the IPC channel.
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks'
import { stringify as toYaml } from 'yaml'
import { parseConfig } from '../../src/config/load.js'
import { Daemon } from '../../src/daemon/daemon.js'
import pino from 'pino'
import { silentLogger, type Logger } from '../../src/log.js'

export interface WorkerStart {
  op: 'start'
  dir: string
  bootstrap: string
  /** the loopback address this worker's daemons listen on and connect from: one host address per worker */
  address: string
  authorizedKeys: string
  identities: string[]
  /** the daemons' announce_interval (seconds) */
  announceInterval: number
  /** per identity: the config keys of its certificate from the fleet's CA (ca, cert, cert_key), as `troupe daemon` has them */
  enrollment: Record<string, Record<string, string>>
}

export type WorkerCommand = WorkerStart | { op: 'stats' } | { op: 'stalls' } | { op: 'stop' }

/**
 * How long this process could not run its daemons since the last `stalls` command: a worker
 * hosts a hundred daemons on one event loop, so one long garbage collection or one busy daemon
 * holds all of them at once. Tells the harness's own stalls from troupe's (docs/performance.md).
 */
export interface WorkerStalls {
  /** the longest event-loop delay, ms */
  loop_max_ms: number
  /** the longest garbage-collection pause, ms */
  gc_max_ms: number
  /** the CPU this process used: a worker stalled with little CPU was waiting for a core, not working */
  cpu_ms: number
}

export type WorkerReport =
  | { op: 'started', count: number }
  | { op: 'stats', nodes: Array<Record<string, number>>, cpuMicros: number, rssBytes: number }
  | { op: 'stalls', stalls: WorkerStalls }
  | { op: 'failed', message: string }

const START_CONCURRENCY = 8
/** BENCH_SCALE_LOG_DIR: each daemon logs (info and up) to DIR/IDENTITY.log, to find out why a node did not answer; silent otherwise */
const LOG_DIR = process.env.BENCH_SCALE_LOG_DIR

function daemonLogger (identity: string): Logger {
  // Written at once: the worker is killed when the part ends, and a buffered tail would be lost.
  return LOG_DIR === undefined ? silentLogger() : pino({ name: identity, level: 'info' }, pino.destination({ dest: join(LOG_DIR, `${identity}.log`), sync: true }))
}
const daemons: Daemon[] = []

const loopDelay = monitorEventLoopDelay({ resolution: 10 })
loopDelay.enable()
let gcMaxMs = 0
let cpuSince = process.cpuUsage()
new PerformanceObserver(list => {
  for (const entry of list.getEntries()) gcMaxMs = Math.max(gcMaxMs, entry.duration)
}).observe({ entryTypes: ['gc'] })

/** The stalls since the last call, and a fresh start for the next. */
function takeStalls (): WorkerStalls {
  const cpu = process.cpuUsage(cpuSince)
  const stalls = { loop_max_ms: Math.round(loopDelay.max / 1e6), gc_max_ms: Math.round(gcMaxMs), cpu_ms: Math.round((cpu.user + cpu.system) / 1000) }
  cpuSince = process.cpuUsage()
  loopDelay.reset()
  gcMaxMs = 0
  return stalls
}

async function startDaemons (command: WorkerStart): Promise<void> {
  const queue = command.identities.map((identity, index) => ({ identity, index }))
  const startOne = async (identity: string, index: number): Promise<void> => {
    const dir = join(command.dir, identity)
    mkdirSync(dir, { recursive: true })
    writeFileSync(join(dir, 'facts.yaml'), toYaml({ role: index % 2 === 0 ? 'web' : 'db', rack: `r${index % 10}` }))
    const config = parseConfig(toYaml({
      identity,
      listen: [`/ip4/${command.address}/tcp/0`],
      source_address: command.address,
      bootstrap: [command.bootstrap],
      key: join(dir, 'peer.key'),
      authorized_keys: command.authorizedKeys,
      facts: join(dir, 'facts.yaml'),
      classes: join(dir, 'classes.txt'),
      announce_interval: command.announceInterval,
      ...command.enrollment[identity]
    }), join(dir, 'daemon.yaml'))
    daemons.push(await Daemon.start(config, daemonLogger(identity)))
  }
  const worker = async (): Promise<void> => {
    for (let next = queue.shift(); next !== undefined; next = queue.shift()) await startOne(next.identity, next.index)
  }
  await Promise.all(Array.from({ length: START_CONCURRENCY }, worker))
}

function report (message: WorkerReport): void {
  process.send?.(message)
}

process.on('message', (command: WorkerCommand) => {
  switch (command.op) {
    case 'start':
      startDaemons(command).then(() => report({ op: 'started', count: daemons.length }), err => report({ op: 'failed', message: String(err) }))
      return
    case 'stats': {
      const usage = process.cpuUsage()
      report({ op: 'stats', nodes: daemons.map(daemon => daemon.statsRecord()), cpuMicros: usage.user + usage.system, rssBytes: process.memoryUsage.rss() })
      return
    }
    case 'stalls':
      report({ op: 'stalls', stalls: takeStalls() })
      return
    case 'stop':
      Promise.all(daemons.map(async daemon => { await daemon.stop() })).finally(() => process.exit(0))
  }
})
