// `npm run bench`: troupe against MCollective (with ActiveMQ) and Serf at the same node counts in
// one run, then troupe's scale curve with hundreds to a thousand and more mesh peers. Writes
// bench/results/latest.json (the run's raw results and where they came from: commit, time,
// machine, settings; commit it with the page), docs/performance.md and its chart
// docs/performance.png. `npm run bench:report` rebuilds the page from that JSON byte for byte.
//
// BENCH_PARTS   which parts to run (default: cli,troupe,floor,mcollective,serf,pe,relay,hostile,scale); pe: the
//               network-namespace fleet open and under the PE rule (root, nftables); cli: the
//               CLI's start (`troupe --version` against `node -e 0`); floor: libp2p's own cost
//               without troupe's code (bench/floor/fleet.ts)
// BENCH_NODES   node counts for the side-by-side part (default 10,50)
// BENCH_SCALE   node counts for the scale part (default 100,250,500,1000)
// BENCH_RELAY   relayed peers for the relay part (default 100,500,1000): one bootstrap's capacity
// BENCH_HOSTILE seconds of the hostile-peer soak (part `hostile`, default 60) on a 10-node fleet
// BENCH_RUNS    runs of each command (default 7); BENCH_IDLE_SECONDS (default 20)
// BENCH_SCALE_LOG_DIR  the scale part's daemons log (info and up) to DIR/IDENTITY.log; silent without it
// BENCH_SCALE_PER_WORKER  daemons each of the scale part's worker processes hosts (default 125)
import { mkdirSync, writeFileSync } from 'node:fs'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { cpus, totalmem } from 'node:os'
import { execFileSync } from 'node:child_process'
import { benchTroupe } from './troupe-fleet.js'
import { benchMcollective } from './anchors/mcollective.js'
import { benchSerf } from './anchors/serf.js'
import { benchScale, type ScaleResult } from './scale/fleet.js'
import { benchPeNetwork } from './pe-fleet.js'
import { benchRelayCapacity, type RelayCapacityResult } from './relay-capacity.js'
import { benchHostileSoak, type SoakResult } from './hostile/soak.js'
import { benchCliStart, type CliStartResult } from './cli-start.js'
import { benchFloor, type FloorResult } from './floor/fleet.js'
import type { SystemResult } from './anchors/types.js'
import { timeCommand, median, round } from './measure.js'
import { writeReport, type BenchReport } from './report.js'

const list = (text: string): number[] => text.split(',').map(Number).filter(n => Number.isInteger(n) && n > 0)
const PARTS = new Set((process.env.BENCH_PARTS ?? 'cli,troupe,floor,mcollective,serf,pe,relay,hostile,scale').split(','))
const RELAY = list(process.env.BENCH_RELAY ?? '100,500,1000')
const SIZES = list(process.env.BENCH_NODES ?? '10,50')
const SCALE = list(process.env.BENCH_SCALE ?? '100,250,500,1000')
const SCALE_ANNOUNCE_INTERVAL = Number(process.env.BENCH_SCALE_ANNOUNCE ?? 600)
const options = { runs: Number(process.env.BENCH_RUNS ?? 7), idleSeconds: Number(process.env.BENCH_IDLE_SECONDS ?? 20) }
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')

const log = (line: string): void => { process.stderr.write(line + '\n') }
const git = (...args: string[]): string => execFileSync('git', args, { cwd: root, encoding: 'utf8' }).trim()
const started = new Date().toISOString()
const commit = git('rev-parse', 'HEAD')
// Uncommitted changes to tracked files (the results and the page this run writes aside): the
// commit alone would not say which code ran.
const dirty = git('status', '--porcelain', '--untracked-files=no').split('\n')
  .filter(line => line !== '' && !/ (bench\/results\/|docs\/performance\.)/.test(line)).length > 0

const bare: number[] = []
for (let i = 0; i < 7; i++) bare.push((await timeCommand(process.execPath, ['-e', '0'])).ms)

let cliStart: CliStartResult | undefined
if (PARTS.has('cli')) {
  log('bench: CLI start (troupe --version against node -e 0) ...')
  cliStart = await benchCliStart(21)
  log(`  ${JSON.stringify({ ...cliStart, pairs: cliStart.pairs.length })}`)
}

const systems: SystemResult[] = []
const skipped: string[] = []
const scale: ScaleResult[] = []
const relay: RelayCapacityResult[] = []
const hostile: SoakResult[] = []
const floor: FloorResult[] = []
const resultsDir = join(root, 'bench', 'results')
mkdirSync(resultsDir, { recursive: true })
/** Written after every part, so a run cut short keeps what it measured. */
const saveProgress = (): void => { writeFileSync(join(resultsDir, 'partial.json'), JSON.stringify({ systems, floor, scale, relay, hostile, skipped }, null, 2) + '\n') }
/** One measurement: its result goes to `into` and the log; a failure to `skipped`, not fatal to the run. */
async function measurePart<T> (what: string, into: T[], run: () => Promise<T>): Promise<void> {
  try {
    const result = await run()
    into.push(result)
    log(`  ${JSON.stringify(result)}`)
  } catch (err) {
    skipped.push(`${what}: ${(err as Error).message}`)
    log(`  failed: ${(err as Error).message}`)
  }
  saveProgress()
}
/** One comparison system at one size: its result to `systems`, or why it was skipped. */
async function measureSystem (name: string, run: () => Promise<SystemResult | SystemResult[] | { skipped: string }>): Promise<void> {
  const result = await run()
  if ('skipped' in result) skipped.push(`${name}: ${result.skipped}`)
  else systems.push(...(Array.isArray(result) ? result : [result]))
  log(`  ${JSON.stringify(result)}`)
  saveProgress()
}
for (const nodes of SIZES) {
  const parts = [
    { name: 'troupe', run: async () => { await measureSystem('troupe', async () => await benchTroupe(nodes, options)) } },
    // Right after troupe at the same size: the two measured with the machine in the same state.
    // Kept apart from the systems (it runs no commands).
    { name: 'floor', run: async () => { await measurePart(`libp2p floor at ${nodes} nodes`, floor, async () => await benchFloor(nodes, options)) } },
    { name: 'mcollective', run: async () => { await measureSystem('mcollective', async () => await benchMcollective(nodes, options)) } },
    { name: 'serf', run: async () => { await measureSystem('serf', async () => await benchSerf(nodes, options)) } },
    { name: 'pe', run: async () => { await measureSystem('pe', async () => await benchPeNetwork(nodes, options, log)) } }
  ]
  for (const part of parts.filter(p => PARTS.has(p.name))) {
    log(`bench: ${part.name} at ${nodes} nodes ...`)
    await part.run()
  }
}
if (PARTS.has('relay')) {
  for (const nodes of RELAY) {
    log(`bench: relay capacity, ${nodes} relayed peers ...`)
    await measurePart(`relay capacity at ${nodes} peers`, relay, async () => await benchRelayCapacity(nodes, log))
  }
}
if (PARTS.has('hostile')) {
  log('bench: hostile-peer soak, 10 daemons ...')
  await measurePart('hostile soak', hostile, async () => await benchHostileSoak({ nodes: 10, seconds: Number(process.env.BENCH_HOSTILE ?? 60), log }))
}

if (PARTS.has('scale')) {
  for (const nodes of SCALE) {
    log(`bench: scale, ${nodes} daemons ...`)
    // A size this machine cannot hold (memory, start-up time) is reported, not fatal to the run.
    await measurePart(`scale at ${nodes} daemons`, scale, async () => await benchScale(nodes, { pings: options.runs, idleSeconds: options.idleSeconds, announceInterval: SCALE_ANNOUNCE_INTERVAL, log }))
  }
}

const report: BenchReport = {
  run: {
    commit,
    dirty,
    started,
    finished: new Date().toISOString(),
    machine: {
      cpus: cpus().length,
      cpu_model: cpus()[0]?.model ?? 'unknown',
      memory_gib: round(totalmem() / 1024 ** 3),
      node: process.version,
      os: execFileSync('uname', ['-sr'], { encoding: 'utf8' }).trim()
    },
    settings: { parts: [...PARTS], nodes: SIZES, scale: PARTS.has('scale') ? SCALE : [], runs: options.runs, idle_seconds: options.idleSeconds, scale_announce_interval: SCALE_ANNOUNCE_INTERVAL }
  },
  bare_node_start_ms: round(median(bare)),
  ...(cliStart !== undefined ? { cli_start: cliStart } : {}),
  systems,
  floor,
  scale,
  relay,
  hostile,
  skipped
}
writeFileSync(join(resultsDir, 'latest.json'), JSON.stringify(report, null, 2) + '\n')
await writeReport(report, join(root, 'docs'))
for (const system of systems) {
  for (const command of system.commands) log(`${system.system.padEnd(28)} ${String(system.nodes).padStart(4)}  ${command.command.padEnd(44)} ${String(command.wall_ms ?? 'failed').padStart(8)} ms  ${command.complete}/${command.runs.length} complete  ${command.replies}/${command.expected} replies`)
}
for (const row of relay) log(`relay ${row.nodes}: ${row.kib_per_reservation} KiB per reservation, ${row.kib_per_relayed_connection} KiB per relayed connection, ${row.bootstrap_cpu_us_per_relayed_reply} µs bootstrap CPU per relayed reply`)
for (const row of scale) log(`scale ${row.nodes}: ${row.complete_pings}/${row.pings.length} pings complete, reach all ${row.reach_all_ms ?? 'failed'} ms, last reply ${row.last_reply_ms ?? 'failed'} ms, ${row.gossip_in_per_request} copies in by gossip and ${row.direct_in_per_request ?? 0} directly per node`)
for (const line of skipped) log(`skipped ${line}`)
log('bench: wrote bench/results/latest.json, docs/performance.md, docs/performance.png')
