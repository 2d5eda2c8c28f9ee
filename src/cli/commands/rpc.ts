// `troupe rpc AGENT ACTION key=value...`: any action of any agent.
import type { Command } from 'commander'
import { addRequesterOptions, DISPLAY_GROUPS, type RequesterFlags } from '../requester-options.js'
import { executeRequest } from '../run-request.js'
import { UsageError } from '../errors.js'
import type { RequestResult } from '../../requester/session.js'

export function parseKeyValues (pairs: string[]): Record<string, string> {
  const args: Record<string, string> = {}
  for (const pair of pairs) {
    const eq = pair.indexOf('=')
    if (eq <= 0) throw new UsageError(`argument '${pair}' is not key=value`)
    args[pair.slice(0, eq)] = pair.slice(eq + 1)
  }
  return args
}

/** Whether a reply is printed: --display as mco (failed, ok, all), else the DDL's display (failures always). */
export function shown (failed: boolean, display: RequesterFlags['display'], ddlDisplay: 'ok' | 'failed' | 'always', verbose: boolean): boolean {
  if (display === 'all') return true
  if (display === 'ok') return !failed
  if (display === 'failed') return failed
  return failed || ddlDisplay === 'always' || ddlDisplay === 'ok' || verbose
}

/** Each reply as MCollective prints it (failures always; successes per the DDL's display or --display), then the summaries. */
export async function renderReplies (result: RequestResult, flags: RequesterFlags): Promise<void> {
  const { knownActionDDL } = await import('../../agents/catalog.js')
  const ddl = knownActionDDL(result.request.agent, result.request.action)
  for (const reply of result.replies) {
    const failed = reply.status !== 0
    if (!shown(failed, flags.display, ddl?.display ?? 'failed', flags.verbose === true)) continue
    process.stdout.write(`${reply.identity.padEnd(30)} ${failed ? `${reply.statusmsg === '' ? '(no message)' : reply.statusmsg} (status ${reply.status})` : ''}\n`)
    const width = Math.max(0, ...Object.keys(reply.data).map(key => (ddl?.outputs[key]?.display_as ?? key).length))
    for (const [key, value] of Object.entries(reply.data)) {
      const label = ddl?.outputs[key]?.display_as ?? key
      process.stdout.write(`   ${label.padStart(width)}: ${typeof value === 'string' ? value : JSON.stringify(value)}\n`)
    }
    process.stdout.write('\n')
  }
  if (ddl !== undefined) {
    const { summarize, renderSummaries } = await import('../../agents/summaries.js')
    const text = renderSummaries(summarize(ddl, result.replies))
    if (text !== '') process.stdout.write(text)
  }
}

export function registerRpc (program: Command, run: (action: () => Promise<number>) => Promise<void>): void {
  addRequesterOptions(program.command('rpc'), DISPLAY_GROUPS)
    .description('invoke an action of an agent on the matching nodes; prints each reply and the summary')
    .argument('<agent>', 'agent name (see `troupe plugin doc`)')
    .argument('<action>', 'action name')
    .argument('[inputs...]', 'inputs as key=value, typed by the agent\'s DDL')
    .addHelpText('after', '\nExamples:\n  troupe rpc rpcutil ping\n  troupe rpc package status package=openssl -C role::web\n  troupe rpc service restart service=nginx --batch 5 --batch-sleep 2')
    .action(async (agent: string, action: string, inputs: string[], flags: RequesterFlags) => { await run(async () => await rpc(agent, action, inputs, flags)) })
}

export async function rpc (agent: string, action: string, inputs: string[], flags: RequesterFlags): Promise<number> {
  const args = await typedInputs(agent, action, parseKeyValues(inputs))
  return await executeRequest(flags, { agent, action, args, render: renderReplies })
}

/** Types key=value strings by the agent's DDL when this machine knows the agent; else sends them as strings. */
async function typedInputs (agent: string, action: string, pairs: Record<string, string>): Promise<Record<string, unknown>> {
  const { knownActionDDL } = await import('../../agents/catalog.js')
  const ddl = knownActionDDL(agent, action)
  if (ddl === undefined) return pairs
  const { coerceCliArgs, validateInputs } = await import('../../agents/validate.js')
  const { ActionError } = await import('../../agents/types.js')
  try {
    const typed = coerceCliArgs(ddl, pairs)
    validateInputs(action, ddl, typed)
    return typed
  } catch (err) {
    if (err instanceof ActionError) throw new UsageError(`${agent} ${action}: ${err.message}`)
    throw err
  }
}
