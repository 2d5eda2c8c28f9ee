// Runs the real `troupe` binary, as an operator would.
import { spawn } from 'node:child_process'
import { TROUPE_BIN } from '../../src/demo/local-cluster.js'

export interface CliResult {
  code: number | null
  stdout: string
  stderr: string
}

export async function troupe (args: string[], options: { timeoutMs?: number, env?: NodeJS.ProcessEnv, netns?: string } = {}): Promise<CliResult> {
  const nodeArgs = [TROUPE_BIN, ...args]
  const [command, commandArgs] = options.netns !== undefined ? ['ip', ['netns', 'exec', options.netns, process.execPath, ...nodeArgs]] : [process.execPath, nodeArgs]
  return await runCommand(command, commandArgs, { timeoutMs: options.timeoutMs ?? 60_000, env: options.env, label: `troupe ${args.join(' ')}` })
}

/** Runs a command to its end, collecting its output; killed and rejected after timeoutMs. */
export async function runCommand (command: string, args: string[], options: { timeoutMs: number, env?: NodeJS.ProcessEnv, label?: string }): Promise<CliResult> {
  return await new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...options.env } })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString() })
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`${options.label ?? `${command} ${args.join(' ')}`} did not finish within ${options.timeoutMs} ms; stderr: ${stderr}`))
    }, options.timeoutMs)
    child.once('exit', code => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
}

export function parseJson<T> (result: CliResult): T {
  try {
    return JSON.parse(result.stdout) as T
  } catch {
    throw new Error(`not JSON (exit ${String(result.code)}): ${result.stdout}\nstderr: ${result.stderr}`)
  }
}

/** Waits until `troupe find` lists this many nodes (registrations spread within seconds). */
export async function waitForDirectory (config: string[], count: number): Promise<void> {
  for (let i = 0; i < 120; i++) {
    const found = parseJson<{ nodes: string[] }>(await troupe(['find', '--json', ...config]))
    if (found.nodes.length >= count) return
    await new Promise(resolve => setTimeout(resolve, 250))
  }
  throw new Error(`the directory never listed ${count} nodes`)
}

export interface PingJson {
  request: { id: string, agent: string, action: string }
  replies: Array<{ identity: string, status: number, statusmsg: string, data: Record<string, unknown>, ms: number }>
  missing: string[]
  stats: { expected: number, responded: number, ok: number, failed: number, elapsed_ms: number }
}
