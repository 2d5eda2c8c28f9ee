// `troupe rpc AGENT ACTION key=value...`: any action of any agent.
import type { Command } from 'commander'
import { addRequesterOptions, type RequesterFlags } from '../requester-options.js'
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

export function renderReplies (result: RequestResult, flags: RequesterFlags): void {
  for (const reply of result.replies) {
    const failed = reply.status !== 0
    if (!failed && flags.verbose !== true && Object.keys(reply.data).length === 0) continue
    process.stdout.write(`${reply.identity}${failed ? `: ${reply.statusmsg} (status ${reply.status})` : ''}\n`)
    for (const [key, value] of Object.entries(reply.data)) {
      process.stdout.write(`   ${key.padStart(20)}: ${typeof value === 'string' ? value : JSON.stringify(value)}\n`)
    }
    process.stdout.write('\n')
  }
}

export function registerRpc (program: Command, run: (action: () => Promise<number>) => Promise<void>): void {
  addRequesterOptions(program.command('rpc'))
    .description('invoke an action of an agent on the matching nodes; prints each reply and the summary')
    .argument('<agent>', 'agent name (see `troupe plugin doc`)')
    .argument('<action>', 'action name')
    .argument('[inputs...]', 'inputs as key=value, typed by the agent\'s DDL')
    .addHelpText('after', '\nExamples:\n  troupe rpc rpcutil ping\n  troupe rpc package status package=openssl -C role::web\n  troupe rpc service restart service=nginx --batch 5 --batch-sleep 2')
    .action(async (agent: string, action: string, inputs: string[], flags: RequesterFlags) => {
      await run(async () => {
        const args = await typedInputs(agent, action, parseKeyValues(inputs))
        return await executeRequest(flags, { agent, action, args, render: renderReplies })
      })
    })
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
