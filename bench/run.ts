// `npm run bench`: troupe ping against 10 and 50 daemon processes (whole-command wall time and
// publish-to-last-reply), idle daemon RSS and CPU, with a bare `node` start measured in the same
// run as the baseline. Results: stdout and bench/results/latest.json.
import { mkdirSync, writeFileSync } from 'node:fs'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { cpus } from 'node:os'
import { LocalCluster, TROUPE_BIN } from '../src/demo/local-cluster.js'
import { timeCommand, median, rssMiB, cpuSeconds, round } from './measure.js'

const RUNS = Number(process.env.BENCH_RUNS ?? 9)
const SIZES = (process.env.BENCH_NODES ?? '10,50').split(',').map(Number)
const IDLE_SECONDS = Number(process.env.BENCH_IDLE_SECONDS ?? 20)

interface SizeResult {
  nodes: number
  ping_wall_ms: number
  ping_publish_to_last_reply_ms: number
  ping_first_call_ms: number
  find_wall_ms: number
  replies_min: number
  daemon_rss_mib_median: number
  daemon_idle_cpu_percent_median: number
}

async function troupeJson (args: string[]): Promise<{ ms: number, doc: { stats?: { responded: number, publish_to_last_reply_ms: number }, nodes?: string[] } }> {
  const timed = await timeCommand(process.execPath, [TROUPE_BIN, ...args, '--json'])
  return { ms: timed.ms, doc: JSON.parse(timed.stdout) as { stats?: { responded: number, publish_to_last_reply_ms: number }, nodes?: string[] } }
}

async function benchSize (nodes: number): Promise<SizeResult> {
  const cluster = await LocalCluster.start({ nodes })
  try {
    const config = ['--config', cluster.clientConfigPath]
    // The first call starts the requester agent (cold), then waits for the whole directory.
    const first = await troupeJson(['ping', ...config])
    for (let i = 0; i < 60; i++) {
      const found = await troupeJson(['find', ...config])
      if ((found.doc.nodes?.length ?? 0) === nodes) break
      await new Promise(resolve => setTimeout(resolve, 500))
    }
    const walls: number[] = []
    const publishToLast: number[] = []
    const finds: number[] = []
    let repliesMin = Infinity
    for (let i = 0; i < RUNS; i++) {
      const ping = await troupeJson(['ping', ...config])
      walls.push(ping.ms)
      publishToLast.push(ping.doc.stats?.publish_to_last_reply_ms ?? NaN)
      repliesMin = Math.min(repliesMin, ping.doc.stats?.responded ?? 0)
      finds.push((await troupeJson(['find', '-F', 'role=web', ...config])).ms)
    }
    const pids = [...cluster.nodes.values()].map(node => node.process.pid).filter((pid): pid is number => pid !== undefined)
    const cpuBefore = pids.map(cpuSeconds)
    await new Promise(resolve => setTimeout(resolve, IDLE_SECONDS * 1000))
    const cpuPercent = pids.map((pid, i) => (cpuSeconds(pid) - (cpuBefore[i] ?? 0)) / IDLE_SECONDS * 100)
    return {
      nodes,
      ping_wall_ms: round(median(walls)),
      ping_publish_to_last_reply_ms: round(median(publishToLast)),
      ping_first_call_ms: round(first.ms),
      find_wall_ms: round(median(finds)),
      replies_min: repliesMin,
      daemon_rss_mib_median: round(median(pids.map(rssMiB))),
      daemon_idle_cpu_percent_median: round(median(cpuPercent), 2)
    }
  } finally {
    await cluster.stop()
  }
}

const bareNodeRuns: number[] = []
for (let i = 0; i < 5; i++) bareNodeRuns.push((await timeCommand(process.execPath, ['-e', '0'])).ms)
const bareNode = median(bareNodeRuns)
const results: SizeResult[] = []
for (const size of SIZES) {
  process.stderr.write(`bench: ${size} daemons ...\n`)
  results.push(await benchSize(size))
}
const report = { date: new Date().toISOString(), cpus: cpus().length, cpu_model: cpus()[0]?.model, node: process.version, runs: RUNS, bare_node_start_ms: round(bareNode), results }
const out = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bench', 'results')
mkdirSync(out, { recursive: true })
writeFileSync(join(out, 'latest.json'), JSON.stringify(report, null, 2) + '\n')
console.log(`bare node start: ${report.bare_node_start_ms} ms (baseline)`)
console.log('nodes  ping wall  ×node  publish→last  first call  find wall  min replies  daemon RSS  idle CPU')
for (const r of results) {
  console.log(`${String(r.nodes).padStart(5)}  ${String(r.ping_wall_ms).padStart(7)} ms  ${(r.ping_wall_ms / report.bare_node_start_ms).toFixed(1).padStart(5)}  ${String(r.ping_publish_to_last_reply_ms).padStart(9)} ms  ${String(r.ping_first_call_ms).padStart(7)} ms  ${String(r.find_wall_ms).padStart(6)} ms  ${String(r.replies_min).padStart(11)}  ${String(r.daemon_rss_mib_median).padStart(6)} MiB  ${String(r.daemon_idle_cpu_percent_median).padStart(6)} %`)
}
