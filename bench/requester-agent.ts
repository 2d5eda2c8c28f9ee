// The warm requester agent's own cost per request and per reply: its CPU (user + system, from
// /proc/PID/stat) and its write system calls (/proc/PID/io syscw: each is an encrypted frame to a
// node, or a batch of messages to the CLI), and the nodes' writes. The CLI's side of each call is
// played from this process through the same socket protocol (a connection per call, as each
// `troupe ping` opens one), so the agent's figures hold only the agent's work: hello, select, the
// publish and every reply relayed back. The requests run in batches; every batch is kept.
import { readFileSync, readdirSync } from 'node:fs'
import { loadConfig } from '../src/config/load.js'
import { openLink } from '../src/requester/link.js'
import { readRequesterKey } from '../src/security/keys.js'
import { defaultCallerKeyPath } from '../src/config/locate.js'
import { runRequest } from '../src/requester/session.js'
import { emptyFilter } from '../src/discovery/filter/types.js'
import { cpuSeconds, idleCpuPercent, median, processCpuMs, round } from './measure.js'

/** One batch of requests as measured. */
export interface AgentBatch {
  requests: number
  /** replies over the batch's requests, and the fewest any request got */
  replies: number
  replies_min: number
  /** the agent's CPU over the batch less its idle CPU over the same time, ms */
  agent_cpu_ms: number
  agent_writes: number
  /** write system calls of each node over the batch */
  node_writes: number[]
  /** the nodes' CPU over the batch less their idle CPU over the same time, ms, all nodes together (absent in older runs) */
  node_cpu_ms?: number
  /** median time from publish to the last reply */
  last_reply_ms: number
}

export interface RequesterAgentFigures {
  nodes: number
  batches: AgentBatch[]
  /** the agent's idle CPU, percent of a core (subtracted from each batch) */
  agent_idle_cpu_percent: number
  /** medians over the batches: the agent's CPU for one request with all its replies, and per reply */
  agent_cpu_ms_per_request: number
  agent_cpu_ms_per_reply: number
  /** replies one core of the agent would take a second at that cost */
  agent_replies_per_core_second: number
  /** the agent's write system calls per request, and each node's (median over the nodes) */
  agent_writes_per_request: number
  node_writes_per_request: number
  /**
   * Each node's CPU for one request, over all the batches (null when the nodes' idle CPU came out
   * above what they used): requests back to back as the libp2p floor's are, with no command
   * starting between them (absent in older runs)
   */
  node_cpu_ms_per_request?: number | null
}

/** write system calls a process has made so far (/proc/PID/io, readable by its user and root) */
export function writeCalls (pid: number): number {
  try {
    return Number(/^syscw:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/io`, 'utf8'))?.[1] ?? 0)
  } catch {
    return 0
  }
}

/** The requester agent serving this config: its process id, from the command lines in /proc. */
export function requesterAgentPid (configPath: string): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0')
      if (argv.includes('requester-agent') && argv.includes(configPath)) return Number(entry)
    } catch { /* gone */ }
  }
  return undefined
}

/**
 * Pings every node through the requester agent of this config (started if it does not run), in
 * `batches` batches of `requests` pings, and measures the agent and the nodes over each batch.
 */
export async function measureRequesterAgent (configPath: string, nodePids: number[], options: { batches: number, requests: number, idleSeconds: number, nodeIdlePercents: number[] }): Promise<RequesterAgentFigures> {
  const config = loadConfig(configPath, 'client')
  const key = readRequesterKey(config.caller_key ?? defaultCallerKeyPath())
  const ping = async (): Promise<{ replies: number, lastReplyMs: number }> => {
    const link = await openLink(config)
    try {
      const result = await runRequest(link, key, { collective: config.collective, agent: 'rpcutil', action: 'ping', args: {}, filter: emptyFilter(), discovery: 'directory', timeoutMs: 10_000, ttlSeconds: 60 })
      return { replies: result.stats.responded, lastReplyMs: result.stats.publish_to_last_reply_ms }
    } finally {
      await link.close()
    }
  }
  // Warm: the agent runs, holds a connection to every node, every node holds its reply stream, and
  // the set-up traffic of new connections (identify, subscriptions, mesh grafts) is over.
  for (let i = 0; i < 20; i++) await ping()
  const agent = requesterAgentPid(config.file)
  if (agent === undefined) throw new Error(`bench: no requester agent runs for ${config.file}`)
  const [idlePercent = 0] = await idleCpuPercent([agent], options.idleSeconds)

  const batches: AgentBatch[] = []
  for (let b = 0; b < options.batches; b++) {
    const cpuBefore = cpuSeconds(agent)
    const writesBefore = writeCalls(agent)
    const nodeWritesBefore = nodePids.map(writeCalls)
    const nodeCpuBefore = processCpuMs(nodePids)
    const started = performance.now()
    const runs: Array<{ replies: number, lastReplyMs: number }> = []
    for (let i = 0; i < options.requests; i++) runs.push(await ping())
    const elapsedMs = performance.now() - started
    const nodesIdleMs = options.nodeIdlePercents.reduce((sum, percent) => sum + percent, 0) / 100 * elapsedMs
    batches.push({
      requests: options.requests,
      replies: runs.reduce((sum, run) => sum + run.replies, 0),
      replies_min: Math.min(...runs.map(run => run.replies)),
      agent_cpu_ms: round(Math.max(0, (cpuSeconds(agent) - cpuBefore) * 1000 - idlePercent / 100 * elapsedMs)),
      agent_writes: writeCalls(agent) - writesBefore,
      node_writes: nodePids.map((pid, i) => writeCalls(pid) - (nodeWritesBefore[i] ?? 0)),
      node_cpu_ms: round(processCpuMs(nodePids) - nodeCpuBefore - nodesIdleMs),
      last_reply_ms: round(median(runs.map(run => run.lastReplyMs)))
    })
  }
  const perRequest = median(batches.map(batch => batch.agent_cpu_ms / batch.requests))
  const perReply = median(batches.map(batch => batch.replies > 0 ? batch.agent_cpu_ms / batch.replies : 0))
  // Over all batches together, not a median of batches: one node's share of a batch is a few clock ticks.
  const nodePerRequest = batches.reduce((sum, batch) => sum + (batch.node_cpu_ms ?? 0), 0) / batches.reduce((sum, batch) => sum + batch.requests, 0) / Math.max(1, nodePids.length)
  return {
    nodes: nodePids.length,
    batches,
    agent_idle_cpu_percent: round(idlePercent, 2),
    agent_cpu_ms_per_request: round(perRequest, 2),
    agent_cpu_ms_per_reply: round(perReply, 3),
    agent_replies_per_core_second: perReply > 0 ? Math.round(1000 / perReply) : 0,
    agent_writes_per_request: round(median(batches.map(batch => batch.agent_writes / batch.requests)), 1),
    node_writes_per_request: round(median(batches.flatMap(batch => batch.node_writes.map(writes => writes / batch.requests))), 1),
    node_cpu_ms_per_request: nodePerRequest < 0 ? null : round(nodePerRequest, 2)
  }
}
