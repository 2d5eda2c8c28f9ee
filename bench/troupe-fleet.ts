// troupe on K daemon processes on loopback (a bootstrap, the daemons, the requester agent the CLI
// starts), measured the way the comparison systems are: whole commands, daemon memory and CPU.
import { LocalCluster, TROUPE_BIN } from '../src/demo/local-cluster.js'
import { loadConfig } from '../src/config/load.js'
import { stopRequesterAgent } from '../src/requester/link.js'
import type { SystemResult, MeasureOptions, CommandResult } from './anchors/types.js'
import { timeCommand, median, rssMiB, round, waitUntil, idleCpuPercent, sample, daemonFigures } from './measure.js'

export interface TroupeResult extends SystemResult {
  /** the first command on a settled fleet: it starts the requester agent, which learns the fleet */
  first_call_ms: number
  /** median of `troupe ping`'s own figure: publish to the last reply */
  publish_to_last_reply_ms: number
}

interface PingDoc { stats?: { responded: number, publish_to_last_reply_ms: number }, nodes?: string[] }

export async function benchTroupe (nodes: number, options: MeasureOptions): Promise<TroupeResult> {
  const cluster = await LocalCluster.start({ nodes })
  try {
    const run = async (args: string[]): Promise<{ ms: number, doc: PingDoc }> => {
      const timed = await timeCommand(process.execPath, [TROUPE_BIN, ...args, '--json', '--config', cluster.clientConfigPath])
      return { ms: timed.ms, doc: JSON.parse(timed.stdout) as PingDoc }
    }
    await waitUntil(`the directory to hold ${nodes} nodes`, 120_000, async () => ((await run(['find'])).doc.nodes?.length ?? 0) === nodes)
    // The operator's first command of the day: the fleet is settled, no requester agent runs yet.
    await stopRequesterAgent(loadConfig(cluster.clientConfigPath))
    const first = await run(['ping'])
    const daemonPids = [...cluster.nodes.values()].map(node => node.process.pid ?? 0)

    const variants = [
      { name: 'ping', args: ['ping'] },
      { name: 'rpc ping', args: ['rpc', 'rpcutil', 'ping'] },
      { name: 'ping -F role=web', args: ['ping', '-F', 'role=web'] },
      { name: 'find -F role=web', args: ['find', '-F', 'role=web'] }
    ]
    const idle = await idleCpuPercent(daemonPids, options.idleSeconds)
    const commands: CommandResult[] = []
    let cpuPerRequest = 0
    for (const variant of variants) {
      const { samples, cpuMsPerRun } = await sample(options.runs, daemonPids, idle, async () => await run(variant.args))
      const lasts = samples.flatMap(result => result.doc.stats !== undefined ? [result.doc.stats.publish_to_last_reply_ms] : [])
      if (variant.name === 'ping') cpuPerRequest = cpuMsPerRun
      commands.push({
        name: variant.name,
        command: `troupe ${variant.args.join(' ')}`,
        wall_ms: round(median(samples.map(result => result.ms))),
        replies: Math.min(...samples.map(result => result.doc.stats?.responded ?? result.doc.nodes?.length ?? 0)),
        ...(lasts.length > 0 ? { last_reply_ms: round(median(lasts)) } : {})
      })
    }
    return {
      system: 'troupe',
      nodes,
      commands,
      ...daemonFigures(daemonPids, idle, cpuPerRequest),
      infrastructure_rss_mib: round(rssMiB(cluster.bootstrapProcess?.pid ?? 0)),
      first_call_ms: round(first.ms),
      publish_to_last_reply_ms: commands[0]?.last_reply_ms ?? 0
    }
  } finally {
    await cluster.stop()
  }
}
