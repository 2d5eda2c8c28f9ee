// How long the CLI takes before it does anything: `troupe --version` against a bare `node -e 0`,
// run alternately (so both see the same machine), wall time of each process and its CPU (user +
// system, from bash's `times`, which reads the child's resource usage to the millisecond).
import { spawn } from 'node:child_process'
import { TROUPE_BIN } from '../src/demo/local-cluster.js'
import { timeCommand, median, round, withoutExtraCaCerts } from './measure.js'

export interface CliStartPair {
  node_ms: number
  troupe_ms: number
  node_cpu_ms: number
  troupe_cpu_ms: number
}

export interface CliStartResult {
  /** every pair as measured (the two commands alternate which goes first) */
  pairs: CliStartPair[]
  /** medians */
  node_ms: number
  troupe_ms: number
  node_cpu_ms: number
  troupe_cpu_ms: number
  /** troupe --version over node -e 0 (the target: at most 1.3) */
  wall_ratio: number
  cpu_ratio: number
  /**
   * The same pairs, wall time only, with NODE_EXTRA_CA_CERTS removed from both commands'
   * environment (measured only when it is set: see withoutExtraCaCerts)
   */
  without_extra_ca_certs?: { file: string, node_ms: number, troupe_ms: number, wall_ratio: number }
}

/** CPU ms (user + system) a command used, from bash's `times` (the second line: its children). */
export async function commandCpuMs (command: string, args: string[]): Promise<number> {
  return await new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', '"$@" >/dev/null 2>&1; times', 'troupe-bench', command, ...args], { stdio: ['ignore', 'pipe', 'ignore'] })
    let out = ''
    child.stdout.on('data', (chunk: Buffer) => { out += chunk.toString() })
    child.once('error', reject)
    child.once('exit', () => {
      const times = [...(out.trim().split('\n')[1] ?? '').matchAll(/(\d+)m([\d.]+)s/g)].map(match => Number(match[1]) * 60_000 + Number(match[2]) * 1000)
      if (times.length !== 2) reject(new Error(`bench: no times from bash: ${out}`))
      else resolve((times[0] ?? 0) + (times[1] ?? 0))
    })
  })
}

export async function benchCliStart (pairs: number): Promise<CliStartResult> {
  const node = [process.execPath, ['-e', '0']] as const
  // Run as an operator runs it, through the launcher's shebang (a flag there once cost every command).
  const troupe = [TROUPE_BIN, ['--version']] as const
  const measured: CliStartPair[] = []
  for (let i = 0; i < pairs; i++) {
    const pair: Partial<CliStartPair> = {}
    for (const which of i % 2 === 0 ? ['node', 'troupe'] as const : ['troupe', 'node'] as const) {
      const [command, args] = which === 'node' ? node : troupe
      pair[`${which}_ms`] = round((await timeCommand(command, [...args])).ms)
      pair[`${which}_cpu_ms`] = round(await commandCpuMs(command, [...args]))
    }
    measured.push(pair as CliStartPair)
  }
  const m = (key: keyof CliStartPair): number => median(measured.map(pair => pair[key]))
  const env = withoutExtraCaCerts()
  let without: CliStartResult['without_extra_ca_certs']
  if (env !== undefined) {
    const nodeMs: number[] = []
    const troupeMs: number[] = []
    for (let i = 0; i < pairs; i++) {
      for (const which of i % 2 === 0 ? ['node', 'troupe'] as const : ['troupe', 'node'] as const) {
        const [command, args] = which === 'node' ? node : troupe
        ;(which === 'node' ? nodeMs : troupeMs).push((await timeCommand(command, [...args], env)).ms)
      }
    }
    without = { file: process.env.NODE_EXTRA_CA_CERTS ?? '', node_ms: round(median(nodeMs)), troupe_ms: round(median(troupeMs)), wall_ratio: round(median(troupeMs) / median(nodeMs), 2) }
  }
  return {
    pairs: measured,
    node_ms: round(m('node_ms')),
    troupe_ms: round(m('troupe_ms')),
    node_cpu_ms: round(m('node_cpu_ms')),
    troupe_cpu_ms: round(m('troupe_cpu_ms')),
    wall_ratio: round(m('troupe_ms') / m('node_ms'), 2),
    cpu_ratio: round(m('troupe_cpu_ms') / m('node_cpu_ms'), 2),
    ...(without !== undefined ? { without_extra_ca_certs: without } : {})
  }
}
