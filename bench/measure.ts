// Small measuring tools for the benchmarks: wall time of whole commands, process RSS and CPU.
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import type { SystemResult, RunOutcome, CommandResult } from './anchors/types.js'

export interface Timed {
  ms: number
  code: number | null
  stdout: string
}

export async function timeCommand (command: string, args: string[], env?: NodeJS.ProcessEnv): Promise<Timed> {
  const started = process.hrtime.bigint()
  return await new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'ignore'], ...(env !== undefined ? { env } : {}) })
    let stdout = ''
    child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString() })
    child.once('error', reject)
    child.once('exit', code => resolve({ ms: Number(process.hrtime.bigint() - started) / 1e6, code, stdout }))
  })
}

/**
 * The environment without NODE_EXTRA_CA_CERTS, when it is set; undefined when not. Node reads
 * that file at every start, before any code runs: on this machine it names the system's whole
 * CA bundle, and node -e 0 takes 65 ms with it and 23 ms without (2026-11-28, hyperfine). troupe
 * uses no TLS, so this is a cost of the machine's set-up that every node process pays and no
 * other system compared does; the bench measures `troupe --version`, `node -e 0` and `troupe
 * ping` both ways.
 */
export function withoutExtraCaCerts (): NodeJS.ProcessEnv | undefined {
  if (process.env.NODE_EXTRA_CA_CERTS === undefined) return undefined
  const env = { ...process.env }
  delete env.NODE_EXTRA_CA_CERTS
  return env
}

/** The name, among troupe's commands in the results, of the `troupe ping` run without NODE_EXTRA_CA_CERTS. */
export const PING_WITHOUT_EXTRA_CA_CERTS = 'ping, NODE_EXTRA_CA_CERTS unset'

export function median (values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[mid] ?? 0 : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2
}

export function rssMiB (pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kib = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0)
  return kib / 1024
}

/** CPU seconds (user + system) a process has used so far. */
export function cpuSeconds (pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? []
  const ticks = Number(fields[11] ?? 0) + Number(fields[12] ?? 0)
  return ticks / 100
}

export function round (value: number, digits = 1): number {
  return Math.round(value * 10 ** digits) / 10 ** digits
}

/** Polls until done() holds, or fails naming what it waited for. */
export async function waitUntil (what: string, maxMs: number, done: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + maxMs
  while (!await done()) {
    if (Date.now() > deadline) throw new Error(`bench: timed out waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, 300))
  }
}

/** CPU milliseconds (user + system) these processes have used so far together. */
export function processCpuMs (pids: number[]): number {
  return pids.reduce((sum, pid) => {
    try { return sum + cpuSeconds(pid) * 1000 } catch { return sum }
  }, 0)
}

/** Each process's CPU use, in percent of one core, over a quiet period. */
export async function idleCpuPercent (pids: number[], seconds: number): Promise<number[]> {
  const before = pids.map(cpuSeconds)
  await new Promise(resolve => setTimeout(resolve, seconds * 1000))
  return pids.map((pid, i) => (cpuSeconds(pid) - (before[i] ?? 0)) / seconds * 100)
}

/**
 * Runs a command `runs` times; returns what each run gave, and the CPU ms each run cost each of
 * the given processes: what they used meanwhile, less what they would have used idle. A negative
 * difference (the idle window was the busier one) is not a measurement: null, shown as n/a.
 */
export async function sample<T> (runs: number, pids: number[], idlePercents: number[], once: () => Promise<T>): Promise<{ samples: T[], cpuMsPerRun: number | null }> {
  const samples: T[] = []
  const started = performance.now()
  const before = processCpuMs(pids)
  for (let i = 0; i < runs; i++) samples.push(await once())
  const elapsedMs = performance.now() - started
  const idleMs = idlePercents.reduce((sum, percent) => sum + percent, 0) / 100 * elapsedMs
  const busyMs = processCpuMs(pids) - before - idleMs
  return { samples, cpuMsPerRun: busyMs < 0 ? null : busyMs / runs / Math.max(1, pids.length) }
}

/** A process's private memory (USS): the pages no other process shares. */
export function privateMiB (pid: number): number {
  const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8')
  const kib = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(rollup)?.[1] ?? 0)
  return (kib('Private_Clean') + kib('Private_Dirty')) / 1024
}

/**
 * Commands the CPU per request is taken over, where one command takes a fraction of a second.
 * Over a command's usual 7 runs, a daemon's share is a few clock ticks (10 ms each) beside its
 * idle wake-ups: too coarse to compare runs by.
 */
export const CPU_SAMPLE_RUNS = 30

/** The per-daemon figures every system reports: median RSS and private memory, median idle CPU, CPU per request (over cpuRuns commands). */
export function daemonFigures (pids: number[], idlePercents: number[], cpuMsPerRequest: number | null, cpuRuns: number): Pick<SystemResult, 'daemon_rss_mib' | 'daemon_private_mib' | 'daemon_idle_cpu_percent' | 'daemon_cpu_ms_per_request' | 'daemon_cpu_runs'> {
  return {
    daemon_rss_mib: round(median(pids.map(rssMiB))),
    daemon_private_mib: round(median(pids.map(privateMiB))),
    daemon_idle_cpu_percent: round(median(idlePercents), 2),
    daemon_cpu_ms_per_request: cpuMsPerRequest === null ? null : round(cpuMsPerRequest, 2),
    daemon_cpu_runs: cpuRuns
  }
}

/**
 * A command's runs, summed up without hiding a failure: complete runs (exit 0, every expected
 * reply) give the medians; partial and failed runs are counted, and non-zero exits listed.
 */
export function commandResult (name: string, command: string, expected: number, runs: RunOutcome[]): CommandResult {
  const complete = runs.filter(run => run.code === 0 && run.replies >= expected)
  const failed = runs.filter(run => run.replies === 0 && expected > 0)
  const lasts = complete.flatMap(run => run.last_reply_ms !== undefined ? [run.last_reply_ms] : [])
  const showsLast = runs.some(run => run.last_reply_ms !== undefined)
  return {
    name,
    command,
    expected,
    runs: runs.map(run => ({ ...run, ms: round(run.ms), ...(run.last_reply_ms !== undefined ? { last_reply_ms: round(run.last_reply_ms) } : {}) })),
    complete: complete.length,
    partial: runs.length - complete.length - failed.length,
    failed: failed.length,
    wall_ms: complete.length > 0 ? round(median(complete.map(run => run.ms))) : null,
    ...(showsLast ? { last_reply_ms: lasts.length > 0 ? round(median(lasts)) : null } : {}),
    replies: runs.length > 0 ? Math.min(...runs.map(run => run.replies)) : 0,
    exit_codes: [...new Set(runs.flatMap(run => run.code === 0 ? [] : [run.code ?? -1]))].sort((a, b) => a - b)
  }
}
