// Running a backend command for an action: never through a shell (arguments are an array), with
// a time limit (the process group is killed), and bounded output.
import { spawn } from 'node:child_process'
import { ActionError, Status } from './types.js'

export interface CommandResult {
  code: number | null
  stdout: string
  stderr: string
}

export interface CommandOptions {
  signal?: AbortSignal
  input?: string
  env?: NodeJS.ProcessEnv
  maxOutputBytes?: number
  cwd?: string
}

const DEFAULT_MAX_OUTPUT = 1024 * 1024

export async function runCommand (command: string, args: string[], options: CommandOptions = {}): Promise<CommandResult> {
  const max = options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT
  return await new Promise((resolve, reject) => {
    let child
    try {
      child = spawn(command, args, {
        shell: false,
        detached: true,
        cwd: options.cwd ?? '/',
        env: { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C.UTF-8', ...options.env },
        stdio: ['pipe', 'pipe', 'pipe']
      })
    } catch (err) {
      reject(new ActionError(Status.UNKNOWN_ERROR, `cannot run ${command}: ${(err as Error).message}`))
      return
    }
    let stdout = ''
    let stderr = ''
    let truncated = false
    const collect = (target: 'out' | 'err') => (chunk: Buffer) => {
      const text = chunk.toString('utf8')
      if (target === 'out') stdout += text
      else stderr += text
      if (stdout.length + stderr.length > max) {
        truncated = true
        kill()
      }
    }
    const kill = (): void => {
      try { if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL') } catch { /* already gone */ }
    }
    const onAbort = (): void => kill()
    options.signal?.addEventListener('abort', onAbort)
    child.stdout.on('data', collect('out'))
    child.stderr.on('data', collect('err'))
    child.stdin.on('error', () => {})
    child.stdin.end(options.input ?? '')
    child.once('error', err => {
      options.signal?.removeEventListener('abort', onAbort)
      const missing = (err as NodeJS.ErrnoException).code === 'ENOENT'
      reject(new ActionError(Status.UNKNOWN_ERROR, missing ? `${command} is not installed here` : `cannot run ${command}: ${err.message}`))
    })
    child.once('close', code => {
      options.signal?.removeEventListener('abort', onAbort)
      if (options.signal?.aborted === true) {
        reject(new ActionError(Status.UNKNOWN_ERROR, `${command} was stopped: the action's time limit passed`))
      } else if (truncated) {
        reject(new ActionError(Status.UNKNOWN_ERROR, `${command} printed more than ${max} bytes; stopped`))
      } else {
        resolve({ code, stdout, stderr })
      }
    })
  })
}

/** The last non-empty line of a command's error output, for a one-line status message. */
export function lastLine (text: string): string {
  return text.trim().split('\n').filter(line => line.trim() !== '').pop()?.trim() ?? ''
}
