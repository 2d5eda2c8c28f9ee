// The hostile-peer soak (issue 11): while `troupe ping` runs every second against a real enrolled
// fleet, peers send every kind of junk the mesh must shrug off, each as fast as it can, for a
// minute. Each kind has its own attacker, so that one being cut off does not stop the others.
// Reported: how many pings completed (every node, exit 0) and how long they took, against the
// same pings before the attack; what the daemons and the bootstrap spent meanwhile (CPU, RSS);
// how much each attacker sent and whether it was cut off.
import { spawn } from 'node:child_process'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { LocalCluster, TROUPE_BIN } from '../../src/demo/local-cluster.js'
import { timeCommand, median, rssMiB, cpuSeconds, round, waitUntil } from '../measure.js'
import type { AttackerFigures } from './attacker.js'

const ATTACKER = join(dirname(fileURLToPath(import.meta.url)), 'attacker.js')


export interface SoakResult {
  nodes: number
  seconds: number
  pings_before: { runs: number, complete: number, median_ms: number | null }
  pings_during: { runs: number, complete: number, median_ms: number | null, max_ms: number | null }
  daemon_cpu_percent_idle: number
  daemon_cpu_percent_under_attack: number
  bootstrap_cpu_percent_under_attack: number
  daemon_rss_mib_before: number
  daemon_rss_mib_after: number
  bootstrap_rss_mib_before: number
  bootstrap_rss_mib_after: number
  attackers: AttackerFigures[]
}

interface PingOutcome { ms: number, complete: boolean }

export async function benchHostileSoak (options: { nodes: number, seconds: number, log: (line: string) => void }): Promise<SoakResult> {
  const cluster = await LocalCluster.start({ nodes: options.nodes })
  try {
    const ping = async (): Promise<PingOutcome> => {
      const timed = await timeCommand(process.execPath, [TROUPE_BIN, 'ping', '--json', '-t', '5', '--config', cluster.clientConfigPath])
      let responded = 0
      try { responded = (JSON.parse(timed.stdout) as { stats: { responded: number } }).stats.responded } catch { /* no JSON: nothing answered */ }
      return { ms: timed.ms, complete: timed.code === 0 && responded === options.nodes }
    }
    for (let settled = false, tries = 0; !settled && tries < 120; tries++) settled = (await ping()).complete
    const before: PingOutcome[] = []
    for (let i = 0; i < 10; i++) before.push(await ping())
    const daemonPids = [...cluster.nodes.values()].map(node => node.process.pid ?? 0)
    const bootstrapPid = cluster.bootstrapProcess?.pid ?? 0
    const rssBefore = { daemons: median(daemonPids.map(rssMiB)), bootstrap: rssMiB(bootstrapPid) }
    const idleCpu = await cpuPercent(daemonPids, 10_000)

    // The attackers run in their own process: what they cost is not counted against the fleet.
    const attacker = spawn(process.execPath, [ATTACKER, JSON.stringify({ dir: cluster.dir, bootstrapAddr: cluster.bootstrapAddr, nodeAddrs: [...cluster.nodes.values()].map(node => node.addrs[0] ?? '') })], { stdio: ['ignore', 'pipe', 'inherit'] })
    let attackerOut = ''
    attacker.stdout.on('data', (chunk: Buffer) => { attackerOut += chunk.toString() })
    await waitUntil('the attackers to start', 60_000, async () => attackerOut.includes('attacking\n'))

    const during: PingOutcome[] = []
    const cpuBefore = { daemons: daemonPids.map(cpuSeconds), bootstrap: cpuSeconds(bootstrapPid) }
    const started = Date.now()
    while (Date.now() - started < options.seconds * 1000) {
      const tick = Date.now()
      during.push(await ping())
      await new Promise(resolve => setTimeout(resolve, Math.max(0, 1000 - (Date.now() - tick))))
    }
    const elapsed = (Date.now() - started) / 1000
    const daemonCpu = daemonPids.map((pid, i) => (cpuSeconds(pid) - (cpuBefore.daemons[i] ?? 0)) / elapsed * 100)
    const bootstrapCpu = (cpuSeconds(bootstrapPid) - cpuBefore.bootstrap) / elapsed * 100
    const exited = new Promise(resolve => attacker.once('exit', resolve))
    attacker.kill('SIGTERM')
    await Promise.race([exited, new Promise(resolve => setTimeout(resolve, 15_000))])
    // Too busy to answer (that is its job): its figures are lost, but it must not outlive the run.
    if (attacker.exitCode === null) attacker.kill('SIGKILL')
    // The last line of each kind (the attacker writes them every few seconds and when it stops).
    const latest = new Map<string, AttackerFigures>()
    for (const line of attackerOut.split('\n').filter(line => line.startsWith('{'))) {
      try { const figure = JSON.parse(line) as AttackerFigures; latest.set(figure.kind, figure) } catch { /* a line cut by the kill */ }
    }
    const figures = [...latest.values()]
    const completeMs = (runs: PingOutcome[]): number[] => runs.filter(run => run.complete).map(run => run.ms)
    const result: SoakResult = {
      nodes: options.nodes,
      seconds: round(elapsed),
      pings_before: { runs: before.length, complete: completeMs(before).length, median_ms: completeMs(before).length > 0 ? round(median(completeMs(before))) : null },
      pings_during: {
        runs: during.length,
        complete: completeMs(during).length,
        median_ms: completeMs(during).length > 0 ? round(median(completeMs(during))) : null,
        max_ms: completeMs(during).length > 0 ? round(Math.max(...completeMs(during))) : null
      },
      daemon_cpu_percent_idle: round(median(idleCpu), 2),
      daemon_cpu_percent_under_attack: round(median(daemonCpu), 1),
      bootstrap_cpu_percent_under_attack: round(bootstrapCpu, 1),
      daemon_rss_mib_before: round(rssBefore.daemons),
      daemon_rss_mib_after: round(median(daemonPids.map(rssMiB))),
      bootstrap_rss_mib_before: round(rssBefore.bootstrap),
      bootstrap_rss_mib_after: round(rssMiB(bootstrapPid)),
      attackers: figures
    }
    options.log(`  ${JSON.stringify(result)}`)
    return result
  } finally {
    await cluster.stop()
  }
}

async function cpuPercent (pids: number[], ms: number): Promise<number[]> {
  const before = pids.map(cpuSeconds)
  await new Promise(resolve => setTimeout(resolve, ms))
  return pids.map((pid, i) => (cpuSeconds(pid) - (before[i] ?? 0)) / (ms / 1000) * 100)
}
