// Small measuring tools for the benchmarks: wall time of whole commands, process RSS and CPU.
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'

export interface Timed {
  ms: number
  code: number | null
  stdout: string
}

export async function timeCommand (command: string, args: string[]): Promise<Timed> {
  const started = process.hrtime.bigint()
  return await new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'ignore'] })
    let stdout = ''
    child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString() })
    child.once('error', reject)
    child.once('exit', code => resolve({ ms: Number(process.hrtime.bigint() - started) / 1e6, code, stdout }))
  })
}

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
