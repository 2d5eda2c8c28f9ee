// `troupe inventory IDENTITY` and `troupe facts FACT`: what the nodes hold, as mco shows it.
import type { Command } from 'commander'
import { addRequesterOptions, REQUEST_GROUPS, type OptionGroups, type RequesterFlags } from '../requester-options.js'
import { executeRequest } from '../run-request.js'
import type { RequestResult } from '../../requester/session.js'
import { compareText } from '../../text.js'

function flatten (value: unknown, prefix = ''): Array<[string, string]> {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    return Object.entries(value).flatMap(([key, inner]) => flatten(inner, prefix === '' ? key : `${prefix}.${key}`))
  }
  return [[prefix, typeof value === 'string' ? value : JSON.stringify(value)]]
}

/** Which nodes hold which value; nodes without the fact (null) are not counted, as in mco facts. */
export function factDistribution (result: RequestResult): Record<string, string[]> {
  const values: Record<string, string[]> = {}
  for (const reply of result.replies.filter(r => r.status === 0)) {
    const value = reply.data.value
    if (value === null || value === undefined) continue
    const key = typeof value === 'string' ? value : JSON.stringify(value)
    ;(values[key] ??= []).push(reply.identity)
  }
  return values
}

/** mco facts' report: values sorted, each padded to 40 columns (or the longest), "found N times". */
export function factReport (fact: string, values: Record<string, string[]>, verbose: boolean): string {
  const keys = Object.keys(values).sort(compareText)
  if (keys.length === 0) return `No values found for fact ${fact}\n`
  const width = Math.max(40, ...keys.map(key => key.length))
  const lines = [`Report for fact: ${fact}`, '']
  for (const key of keys) {
    const nodes = values[key] ?? []
    lines.push(`        ${key.padEnd(width)} found ${nodes.length} times`)
    if (verbose) lines.push('', ...[...nodes].sort(compareText).map(node => `            ${node}`), '')
  }
  return lines.join('\n') + '\n'
}

export const INVENTORY_GROUPS: OptionGroups = { timing: true }

export function registerNodeInfo (program: Command, run: (action: () => Promise<number>) => Promise<void>): void {
  addRequesterOptions(program.command('inventory'), INVENTORY_GROUPS)
    .description('agents, facts, classes, daemon version and request counters of one node')
    .argument('<identity>', 'node identity')
    .action(async (identity: string, flags: RequesterFlags) => { await run(async () => await inventory(identity, flags)) })

  addRequesterOptions(program.command('facts'), REQUEST_GROUPS)
    .description('how the values of one fact are distributed over the matching nodes')
    .argument('<fact>', 'fact name (dotted names reach nested facts)')
    .addHelpText('after', '\nExamples:\n  troupe facts os.family\n  troupe facts role -C profile::base --json')
    .action(async (fact: string, flags: RequesterFlags) => { await run(async () => await facts(fact, flags)) })
}

export async function inventory (identity: string, flags: RequesterFlags): Promise<number> {
  return await executeRequest({ ...flags, wi: [identity] }, {
    agent: 'rpcutil',
    action: 'inventory',
    args: {},
    render: result => {
      for (const reply of result.replies) {
        const data = reply.data as { agents?: string[], facts?: Record<string, unknown>, classes?: string[], version?: string, uptime?: number, stats?: Record<string, number>, main_collective?: string }
        const lines = [`Inventory for ${reply.identity}:`, '', '   Server Statistics:']
        lines.push(`                      Version: ${data.version ?? ''}`, `                       Uptime: ${data.uptime ?? 0} s`, `              Main Collective: ${data.main_collective ?? ''}`)
        for (const [key, value] of Object.entries(data.stats ?? {})) lines.push(`${key.padStart(29)}: ${value}`)
        lines.push('', '   Agents:', ...(data.agents ?? []).map(agent => `      ${agent}`))
        lines.push('', '   Configuration Management Classes:', ...(data.classes ?? []).map(name => `      ${name}`))
        lines.push('', '   Facts:', ...flatten(data.facts ?? {}).map(([key, value]) => `      ${key} => ${value}`))
        process.stdout.write(lines.join('\n') + '\n')
      }
    }
  })
}

export async function facts (fact: string, flags: RequesterFlags): Promise<number> {
  return await executeRequest(flags, {
    agent: 'rpcutil',
    action: 'get_fact',
    args: { fact },
    json: result => ({ fact, values: factDistribution(result), replies: result.replies, missing: result.missing, stats: result.stats }),
    render: result => {
      process.stdout.write(factReport(fact, factDistribution(result), flags.verbose === true))
    }
  })
}
