// troupe on K daemon processes on loopback (a bootstrap, the daemons, the requester agent the CLI
// starts), measured the way the comparison systems are: whole commands, daemon memory and CPU.
import { LocalCluster, TROUPE_BIN, demoNodeSpecs } from '../src/demo/local-cluster.js'
import { FIRST_TOP_UP_WINDOW_MS } from '../src/daemon/mesh-keeper.js'
import { loadConfig } from '../src/config/load.js'
import { stopRequesterAgent } from '../src/requester/link.js'
import type { SystemResult, MeasureOptions, CommandResult, RunOutcome } from './anchors/types.js'
import { timeCommand, withoutExtraCaCerts, PING_WITHOUT_EXTRA_CA_CERTS, rssMiB, round, waitUntil, idleCpuPercent, sample, daemonFigures, commandResult, median, processCpuMs, CPU_SAMPLE_RUNS } from './measure.js'
import { measureRequesterAgent, type RequesterAgentFigures } from './requester-agent.js'

export interface TroupeResult extends SystemResult {
  /** the first command once the fleet is listed, before it settles (`troupe ping`): it starts the requester agent, which learns the fleet */
  first_call: RunOutcome
  /** median of `troupe ping`'s own figure over its complete runs: publish to the last reply */
  publish_to_last_reply_ms: number | null
  /** the warm requester agent's own CPU and writes per request and per reply (bench/requester-agent.ts) */
  requester_agent?: RequesterAgentFigures
  /**
   * The fleet's start: the bootstrap, then every daemon at once; seconds until `troupe find` first
   * listed them all, and each daemon's CPU by then (median): what joining cost it; and each
   * daemon's CPU once every daemon had dialled its mesh peers (median, `settled_s` after the
   * bootstrap's start), which they do within FIRST_TOP_UP_WINDOW_MS of starting (src/daemon/mesh-keeper.ts).
   */
  fleet_start?: { listed_s: number, daemon_join_cpu_ms: number, settled_s?: number, daemon_settled_cpu_ms?: number }
}

interface PingDoc { stats?: { responded: number, publish_to_last_reply_ms: number }, nodes?: string[] }

export async function benchTroupe (nodes: number, options: MeasureOptions): Promise<TroupeResult> {
  const startedAt = performance.now()
  const cluster = await LocalCluster.start({ nodes })
  try {
    const run = async (args: string[], env?: NodeJS.ProcessEnv): Promise<RunOutcome> => {
      // As an operator runs `troupe`: the launcher as a program, its shebang included.
      const timed = await timeCommand(TROUPE_BIN, [...args, '--json', '--config', cluster.clientConfigPath], env)
      let doc: PingDoc = {}
      // A command that failed may print no JSON: it counts as a run with no replies, its exit code kept.
      try { doc = JSON.parse(timed.stdout) as PingDoc } catch { /* no replies */ }
      return {
        ms: timed.ms,
        code: timed.code,
        replies: doc.stats?.responded ?? doc.nodes?.length ?? 0,
        ...(doc.stats !== undefined ? { last_reply_ms: doc.stats.publish_to_last_reply_ms } : {})
      }
    }
    await waitUntil(`the directory to hold ${nodes} nodes`, 120_000, async () => (await run(['find'])).replies === nodes)
    const daemonPids = [...cluster.nodes.values()].map(node => node.process.pid ?? 0)
    const fleetStart: NonNullable<TroupeResult['fleet_start']> = { listed_s: round((performance.now() - startedAt) / 1000), daemon_join_cpu_ms: round(median(daemonPids.map(pid => processCpuMs([pid])))) }
    // The operator's first command of the day: the fleet is listed, no requester agent runs yet.
    await stopRequesterAgent(loadConfig(cluster.clientConfigPath))
    const first = await run(['ping'])
    // Idle and per-request figures are for a settled fleet: every daemon past its first mesh top-up.
    const settledAt = startedAt + FIRST_TOP_UP_WINDOW_MS.to + 10_000
    await new Promise(resolve => setTimeout(resolve, Math.max(0, settledAt - performance.now())))
    fleetStart.settled_s = round((performance.now() - startedAt) / 1000)
    fleetStart.daemon_settled_cpu_ms = round(median(daemonPids.map(pid => processCpuMs([pid]))))
    const web = demoNodeSpecs(nodes).filter(spec => spec.facts.role === 'web').length

    const withoutCaCerts = withoutExtraCaCerts()
    const variants: Array<{ name: string, args: string[], expected: number, env?: NodeJS.ProcessEnv, shown?: string }> = [
      { name: 'ping', args: ['ping'], expected: nodes },
      { name: 'rpc ping', args: ['rpc', 'rpcutil', 'ping'], expected: nodes },
      { name: 'ping -F role=web', args: ['ping', '-F', 'role=web'], expected: web },
      { name: 'find -F role=web', args: ['find', '-F', 'role=web'], expected: web },
      // The same ping without this machine's NODE_EXTRA_CA_CERTS (measure.ts withoutExtraCaCerts).
      ...(withoutCaCerts !== undefined ? [{ name: PING_WITHOUT_EXTRA_CA_CERTS, args: ['ping'], expected: nodes, env: withoutCaCerts, shown: 'env -u NODE_EXTRA_CA_CERTS troupe ping' }] : [])
    ]
    const idle = await idleCpuPercent(daemonPids, options.idleSeconds)
    const commands: CommandResult[] = []
    for (const variant of variants) {
      const { samples } = await sample(options.runs, daemonPids, idle, async () => await run(variant.args, variant.env))
      commands.push(commandResult(variant.name, variant.shown ?? `troupe ${variant.args.join(' ')}`, variant.expected, samples))
    }
    const cpuPerRequest = (await sample(CPU_SAMPLE_RUNS, daemonPids, idle, async () => await run(['ping']))).cpuMsPerRun
    // The agent's own cost, over more requests than the whole commands above (its CPU is counted
    // in clock ticks): 5 batches of 4 x runs pings.
    const agent = await measureRequesterAgent(cluster.clientConfigPath, daemonPids, { batches: 5, requests: Math.max(20, options.runs * 4), idleSeconds: Math.min(options.idleSeconds, 10), nodeIdlePercents: idle })
    return {
      system: 'troupe',
      nodes,
      security: 'every request signed (ed25519) and verified by every node',
      commands,
      ...daemonFigures(daemonPids, idle, cpuPerRequest, CPU_SAMPLE_RUNS),
      infrastructure_rss_mib: round(rssMiB(cluster.bootstrapProcess?.pid ?? 0)),
      first_call: { ...first, ms: round(first.ms) },
      publish_to_last_reply_ms: commands[0]?.last_reply_ms ?? null,
      requester_agent: agent,
      fleet_start: fleetStart
    }
  } finally {
    await cluster.stop()
  }
}
