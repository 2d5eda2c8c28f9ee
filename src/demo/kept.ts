// The fleet `troupe demo --keep` leaves running, and `troupe demo --stop` that stops it: the
// processes it started are recorded (pid and the command line they were started with), and only
// those are stopped, never anything matched by name.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'

interface KeptDemo {
  dir: string
  config: string
  processes: Array<{ pid: number, cmdline: string }>
}

function recordPath (): string {
  const runtime = process.env.XDG_RUNTIME_DIR
  const dir = runtime !== undefined && runtime !== '' ? join(runtime, 'troupe') : join(homedir(), '.troupe', 'run')
  return join(dir, 'demo.json')
}

function cmdline (pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8')
  } catch {
    return ''
  }
}

export function recordKeptDemo (dir: string, config: string, pids: number[]): void {
  const path = recordPath()
  mkdirSync(join(path, '..'), { recursive: true, mode: 0o700 })
  const record: KeptDemo = { dir, config, processes: pids.map(pid => ({ pid, cmdline: cmdline(pid) })) }
  writeFileSync(path, JSON.stringify(record) + '\n', { mode: 0o600 })
}

export async function stopKeptDemo (): Promise<string> {
  const path = recordPath()
  if (!existsSync(path)) return 'No demo fleet is recorded as running (troupe demo --keep starts one).'
  const record = JSON.parse(readFileSync(path, 'utf8')) as KeptDemo
  const { loadConfig } = await import('../config/load.js')
  const { stopRequesterAgent } = await import('../requester/link.js')
  try { await stopRequesterAgent(loadConfig(record.config)) } catch { /* no agent, or the files are gone */ }
  let stopped = 0
  for (const { pid, cmdline: started } of record.processes) {
    // Only the very process recorded: a pid reused by something else has another command line.
    if (started === '' || cmdline(pid) !== started) continue
    try { process.kill(pid, 'SIGTERM'); stopped += 1 } catch { /* already gone */ }
  }
  for (let i = 0; i < 50 && record.processes.some(({ pid, cmdline: started }) => started !== '' && cmdline(pid) === started); i++) {
    await new Promise(resolve => setTimeout(resolve, 100))
  }
  rmSync(record.dir, { recursive: true, force: true })
  rmSync(path, { force: true })
  return `Stopped the demo fleet (${stopped} processes) and removed ${record.dir}.`
}
