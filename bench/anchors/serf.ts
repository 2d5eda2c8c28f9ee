// The peer-to-peer baseline, measured in the same run: Debian's HashiCorp Serf, K agents on
// loopback joined to the first, each answering the query `ping` with a shell handler, as
// `serf query` users set it up. Serf has no early finish: `serf query` waits its whole timeout,
// so besides the command's wall time the benchmark records when the last response arrived.
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, writeFileSync, chmodSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { SystemResult, MeasureOptions, CommandResult } from './types.js'
import { ensureDebianPackages } from './packages.js'
import { waitUntil, timeCommand, idleCpuPercent, sample, daemonFigures, commandResult } from '../measure.js'

const BIND_BASE = 29000
const RPC_BASE = 29500

export async function benchSerf (nodes: number, options: MeasureOptions): Promise<SystemResult | { skipped: string }> {
  const missing = ensureDebianPackages(['serf'])
  if (missing !== undefined) return { skipped: missing }
  const dir = mkdtempSync(join(tmpdir(), 'troupe-bench-serf-'))
  const agents: ChildProcess[] = []
  try {
    const handler = join(dir, 'ping.sh')
    writeFileSync(handler, '#!/bin/sh\necho "pong $SERF_SELF_NAME"\n')
    chmodSync(handler, 0o755)
    for (let i = 1; i <= nodes; i++) {
      agents.push(spawn('serf', [
        'agent', '-node', `node${String(i).padStart(2, '0')}`, '-bind', `127.0.0.1:${BIND_BASE + i}`, '-rpc-addr', rpcAddr(i),
        '-profile', 'lan', '-log-level', 'warn', '-tag', `role=${i % 2 === 1 ? 'web' : 'db'}`, '-event-handler', `query:ping=${handler}`,
        ...(i > 1 ? ['-retry-join', `127.0.0.1:${BIND_BASE + 1}`, '-retry-interval', '1s'] : [])
      ], { stdio: 'ignore' }))
      if (i === 1) await waitUntil('the first serf agent', 30_000, async () => (await timeCommand('serf', ['members', '-rpc-addr', rpcAddr(1)])).code === 0)
    }
    const pids = agents.map(agent => agent.pid ?? 0)
    await waitUntil(`every serf agent to see ${nodes} members`, 120_000, async () => {
      for (const i of [1, nodes]) {
        const members = (await timeCommand('serf', ['members', '-status', 'alive', '-rpc-addr', rpcAddr(i)])).stdout.trim().split('\n').length
        if (members < nodes) return false
      }
      return true
    })

    const idle = await idleCpuPercent(pids, options.idleSeconds)
    const commands: CommandResult[] = []
    let cpuPerRequest: number | null = null
    for (const variant of [{ name: 'query ping (default timeout)', args: [] as string[] }, { name: 'query ping -timeout 1.5s', args: ['-timeout', '1.5s'] }]) {
      const { samples, cpuMsPerRun } = await sample(options.runs, pids, idle, async () => await timeResponses(['query', '-rpc-addr', rpcAddr(1), ...variant.args, 'ping']))
      if (variant.args.length === 0) cpuPerRequest = cpuMsPerRun
      commands.push(commandResult(variant.name, ['serf query', ...variant.args, 'ping'].join(' '), nodes,
        samples.map(timed => ({ ms: timed.wallMs, code: timed.code, replies: timed.responses, ...(timed.responses > 0 ? { last_reply_ms: timed.lastResponseMs } : {}) }))))
    }
    return {
      system: 'Serf 0.9',
      nodes,
      security: 'no request authentication (any agent may query; gossip encryption off)',
      commands,
      // A query waits out its timeout (6.4 s by default): the command's own runs, not CPU_SAMPLE_RUNS.
      ...daemonFigures(pids, idle, cpuPerRequest, options.runs)
    }
  } finally {
    for (const agent of agents) agent.kill('SIGKILL')
    rmSync(dir, { recursive: true, force: true })
  }
}

function rpcAddr (i: number): string {
  return `127.0.0.1:${RPC_BASE + i}`
}

/** Runs `serf query`, noting when each "Response from" line arrives. */
async function timeResponses (args: string[]): Promise<{ wallMs: number, lastResponseMs: number, responses: number, code: number | null }> {
  const started = performance.now()
  return await new Promise((resolve, reject) => {
    const child = spawn('serf', args, { stdio: ['ignore', 'pipe', 'ignore'] })
    let buffered = ''
    let responses = 0
    let last = 0
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString()
      const lines = buffered.split('\n')
      buffered = lines.pop() ?? ''
      for (const line of lines) {
        if (line.startsWith('Response from ')) {
          responses += 1
          last = performance.now() - started
        }
      }
    })
    child.once('error', reject)
    child.once('exit', code => resolve({ wallMs: performance.now() - started, lastResponseMs: last, responses, code }))
  })
}
