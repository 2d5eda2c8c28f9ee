// troupe on the network-namespace fleet, open and under Puppet Enterprise's rule, side by side
// (issue 12): one namespace per daemon host, the bootstrap and the requester in a master
// namespace. Open: every host accepts connections, so the requester reaches each node directly.
// PE rule (nftables): hosts accept no inbound connection, the master only 61613, so every
// request and reply crosses the bootstrap's relay. Besides the command times and the daemons'
// figures, the bootstrap's RSS and CPU: what relaying costs the one process every node depends on.
import { LocalCluster, TROUPE_BIN } from '../src/demo/local-cluster.js'
import { NetnsFleet, nftAvailable } from '../test/helpers/netns.js'
import type { SystemResult, MeasureOptions, CommandResult } from './anchors/types.js'
import { rssMiB, round, waitUntil, idleCpuPercent, sample, daemonFigures, processCpuMs, commandResult } from './measure.js'
import { spawn } from 'node:child_process'

export interface PeResult extends SystemResult {
  /** how the requester reached the nodes in the last ping: replies that came direct, relayed */
  paths: { direct: number, relayed: number }
}

interface PingDoc { stats?: { responded: number, publish_to_last_reply_ms: number }, replies?: Array<{ via?: string }>, nodes?: string[] }

export async function benchPeNetwork (nodes: number, options: MeasureOptions, log: (line: string) => void): Promise<PeResult[] | { skipped: string }> {
  if (!NetnsFleet.available() || !nftAvailable()) return { skipped: 'network namespaces or nftables unavailable (run as root with Debian\'s nftables)' }
  const results: PeResult[] = []
  for (const rule of ['open', 'pe'] as const) {
    log(`  ${rule === 'open' ? 'open network' : 'PE rule'}, ${nodes} hosts ...`)
    try {
      results.push(await benchOne(nodes, rule, options))
    } catch (err) {
      // A size this machine cannot start in time is reported, not fatal to the run.
      return { skipped: `${rule === 'open' ? 'open network' : 'PE rule'} at ${nodes} hosts: ${(err as Error).message}` }
    }
  }
  return results
}

async function benchOne (nodes: number, rule: 'open' | 'pe', options: MeasureOptions): Promise<PeResult> {
  const fleet = NetnsFleet.create(nodes)
  let cluster: LocalCluster | undefined
  try {
    if (rule === 'pe') {
      fleet.firewall('master', [61613])
      for (const host of fleet.hosts.slice(1)) fleet.firewall(host)
    }
    const hostOf = (name: string): string => name === 'bootstrap' || name === 'requester' ? 'master' : `host${Number(name.replace('node', ''))}`
    cluster = await LocalCluster.start({
      nodes,
      placement: {
        bootstrapPort: 61613,
        address: name => fleet.address(hostOf(name)),
        spawn: (name, args) => fleet.spawn(hostOf(name), process.execPath, [TROUPE_BIN, ...args])
      }
    })
    const config = cluster.clientConfigPath
    const run = async (args: string[]): Promise<{ ms: number, code: number | null, doc: PingDoc }> => {
      const started = process.hrtime.bigint()
      const { stdout, code } = await new Promise<{ stdout: string, code: number | null }>((resolve, reject) => {
        const child = spawn('ip', ['netns', 'exec', fleet.namespace('master'), process.execPath, TROUPE_BIN, ...args, '--json', '--config', config], { stdio: ['ignore', 'pipe', 'ignore'] })
        let out = ''
        child.stdout.on('data', (chunk: Buffer) => { out += chunk.toString() })
        child.once('error', reject)
        child.once('exit', exitCode => resolve({ stdout: out, code: exitCode }))
      })
      let doc: PingDoc = {}
      // A command that failed may print no JSON: it counts as a run with no replies, its exit code kept.
      try { doc = JSON.parse(stdout) as PingDoc } catch { /* no replies */ }
      return { ms: Number(process.hrtime.bigint() - started) / 1e6, code, doc }
    }
    // Settled: every node answers (under the PE rule, through the relay).
    await waitUntil(`every one of ${nodes} nodes to answer`, 180_000, async () => ((await run(['ping', '--timeout', '5'])).doc.stats?.responded ?? 0) === nodes)
    const daemonPids = [...cluster.nodes.values()].map(node => node.process.pid ?? 0)
    const bootstrapPid = cluster.bootstrapProcess?.pid ?? 0
    const idle = await idleCpuPercent([...daemonPids, bootstrapPid], options.idleSeconds)
    const bootstrapIdle = idle[idle.length - 1] ?? 0
    const bootstrapBefore = processCpuMs([bootstrapPid])
    const started = performance.now()
    const { samples, cpuMsPerRun } = await sample(options.runs, daemonPids, idle.slice(0, -1), async () => await run(['ping']))
    const bootstrapMs = Math.max(0, processCpuMs([bootstrapPid]) - bootstrapBefore - bootstrapIdle / 100 * (performance.now() - started)) / options.runs
    const command: CommandResult = commandResult('ping', 'troupe ping', nodes, samples.map(result => ({
      ms: result.ms,
      code: result.code,
      replies: result.doc.stats?.responded ?? 0,
      ...(result.doc.stats !== undefined ? { last_reply_ms: result.doc.stats.publish_to_last_reply_ms } : {})
    })))
    const vias = samples[samples.length - 1]?.doc.replies?.map(reply => reply.via) ?? []
    return {
      system: rule === 'open' ? 'troupe (netns, open)' : 'troupe (netns, PE rule)',
      nodes,
      security: 'every request signed (ed25519) and verified by every node; nodes enrolled (certificates from the fleet\'s CA)',
      commands: [command],
      ...daemonFigures(daemonPids, idle.slice(0, -1), cpuMsPerRun, options.runs),
      infrastructure_rss_mib: round(rssMiB(bootstrapPid)),
      infrastructure_idle_cpu_percent: round(bootstrapIdle, 2),
      infrastructure_cpu_ms_per_request: round(bootstrapMs, 2),
      paths: { direct: vias.filter(via => via === 'direct').length, relayed: vias.filter(via => via === 'relayed').length }
    }
  } finally {
    await cluster?.stop()
    await fleet.destroy()
  }
}
