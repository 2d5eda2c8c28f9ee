// Idle daemons side by side: two local fleets of N daemons each, one from this build and one from
// another build's dist/ (another worktree's, built there), started one after the other, settled,
// then measured over the same idle window: each daemon's CPU (utime + stime from /proc/PID/stat)
// in percent of a core, and its event-loop wakeups a second (voluntary context switches of its
// main thread: the loop blocks in epoll_wait between callbacks). A requester agent is connected to
// each fleet (the `find` that waits for the directory starts it), as in the profile of 2026-11-26.
//
//   node dist/bench/idle-cpu.js [--other /path/to/other/dist] [--nodes 10] [--seconds 60] [--settle 40]
//
// Both fleets run at once on the same machine, so other load hits both alike: read the pair.
import { readFileSync } from 'node:fs'
import { join, resolve, dirname } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { timeCommand, cpuSeconds, median, round, waitUntil } from './measure.js'

interface Build { label: string, dist: string }
interface Fleet { build: Build, cluster: { clientConfigPath: string, nodes: Map<string, { process: { pid?: number } }>, bootstrapProcess?: { pid?: number }, stop: () => Promise<void> }, bin: string }

const here = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const { values } = parseArgs({
  options: {
    other: { type: 'string', default: '/work/main/dist' },
    nodes: { type: 'string', default: '10' },
    seconds: { type: 'string', default: '60' },
    settle: { type: 'string', default: '40' }
  }
})
const nodes = Number(values.nodes)
const seconds = Number(values.seconds)
const settleSeconds = Number(values.settle)

/** Voluntary context switches of a process's main thread so far. */
function wakeups (pid: number): number {
  const status = readFileSync(`/proc/${pid}/task/${pid}/status`, 'utf8')
  return Number(/voluntary_ctxt_switches:\s+(\d+)/.exec(status)?.[1] ?? 0)
}

async function startFleet (build: Build): Promise<Fleet> {
  const module = await import(pathToFileURL(join(build.dist, 'src', 'demo', 'local-cluster.js')).href) as { LocalCluster: { start: (options: { nodes: number }) => Promise<Fleet['cluster']> }, TROUPE_BIN: string }
  const cluster = await module.LocalCluster.start({ nodes })
  const fleet = { build, cluster, bin: module.TROUPE_BIN }
  await waitUntil(`${build.label}: the directory to hold ${nodes} nodes`, 120_000, async () => {
    const timed = await timeCommand(process.execPath, [fleet.bin, 'find', '--json', '--config', cluster.clientConfigPath])
    try { return (JSON.parse(timed.stdout) as { nodes?: string[] }).nodes?.length === nodes } catch { return false }
  })
  return fleet
}

const builds: Build[] = [{ label: 'other', dist: resolve(values.other) }, { label: 'this', dist: here }]
const fleets: Fleet[] = []
try {
  for (const build of builds) fleets.push(await startFleet(build))
  await new Promise(resolve => setTimeout(resolve, settleSeconds * 1000))
  const pidsOf = (fleet: Fleet): number[] => [...fleet.cluster.nodes.values()].map(node => node.process.pid ?? 0)
  const before = fleets.map(fleet => pidsOf(fleet).map(pid => ({ cpu: cpuSeconds(pid), wake: wakeups(pid) })))
  const started = performance.now()
  await new Promise(resolve => setTimeout(resolve, seconds * 1000))
  const elapsed = (performance.now() - started) / 1000
  const results = fleets.map((fleet, f) => {
    const per = pidsOf(fleet).map((pid, i) => ({
      cpuPercent: (cpuSeconds(pid) - (before[f]?.[i]?.cpu ?? 0)) / elapsed * 100,
      wakeupsPerSecond: (wakeups(pid) - (before[f]?.[i]?.wake ?? 0)) / elapsed
    }))
    const mean = (values: number[]): number => values.reduce((sum, value) => sum + value, 0) / values.length
    return {
      build: fleet.build.label,
      dist: fleet.build.dist,
      daemons: per.length,
      idle_cpu_percent_median: round(median(per.map(p => p.cpuPercent)), 2),
      idle_cpu_percent_mean: round(mean(per.map(p => p.cpuPercent)), 2),
      wakeups_per_second_median: round(median(per.map(p => p.wakeupsPerSecond)), 2),
      wakeups_per_second_mean: round(mean(per.map(p => p.wakeupsPerSecond)), 2)
    }
  })
  console.log(JSON.stringify({ nodes, seconds: round(elapsed, 1), settle_seconds: settleSeconds, results }, null, 2))
} finally {
  for (const fleet of fleets) await fleet.cluster.stop().catch(() => {})
}
