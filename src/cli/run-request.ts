// Runs one request for a requester command: options -> plan -> session -> output and exit code.
import type { RequesterFlags } from './requester-options.js'
import { filterFromFlags, limitText, parseBatchFlag, positiveSeconds } from './requester-options.js'
import { openClient } from './client-context.js'
import { runRequest, type RequestResult, type ReplyRecord } from '../requester/session.js'
import { exitCodeFor, jsonDocument, summaryLines, isEmptyFilter } from './output.js'
import { UsageError } from './errors.js'
import { safeReply, safeResult } from './escape.js'

export interface RequestCommand {
  agent: string
  action: string
  args: Record<string, unknown>
  /** prints human output for the whole result (after all replies); node-supplied strings already escaped */
  render: (result: RequestResult, flags: RequesterFlags) => void | Promise<void>
  /** optional: prints each reply as it arrives (human output only) */
  onReply?: (reply: ReplyRecord) => void
  /** keep at most N nodes working at once (puppet runall) */
  rolling?: number
  /** timeout when --timeout is not given; else the action's DDL time limit plus DELIVERY_MARGIN_SECONDS */
  defaultTimeoutSeconds?: number
  /** replaces the standard JSON document (e.g. facts adds its value distribution) */
  json?: (result: RequestResult) => unknown
}

/** Time for the request to reach the nodes and the replies to come back, on top of the action's own limit. */
const DELIVERY_MARGIN_SECONDS = 2
/** For an agent this machine has no DDL of (an external agent). */
const UNKNOWN_ACTION_TIMEOUT_SECONDS = 10

export async function executeRequest (flags: RequesterFlags, command: RequestCommand): Promise<number> {
  const filter = await filterFromFlags(flags)
  const { knownAgentDDLs } = await import('../agents/catalog.js')
  const agentDDL = knownAgentDDLs().find(ddl => ddl.metadata.name === command.agent)
  const actionDDL = agentDDL?.actions[command.action]
  if (agentDDL !== undefined && actionDDL === undefined) {
    throw new UsageError(`unknown action '${command.action}' of agent ${command.agent}; it has: ${Object.keys(agentDDL.actions).join(', ')} (troupe plugin doc ${command.agent})`)
  }
  // Each action's own time limit (its DDL) sets how long to wait: a slow action on a busy host
  // is not reported as "no response" while it is still working.
  const ddlTimeout = actionDDL !== undefined && agentDDL !== undefined ? (actionDDL.timeout ?? agentDDL.metadata.timeout) + DELIVERY_MARGIN_SECONDS : undefined
  const timeoutSeconds = positiveSeconds(flags.timeout, '--timeout', command.defaultTimeoutSeconds ?? ddlTimeout ?? UNKNOWN_ACTION_TIMEOUT_SECONDS)
  const ttlSeconds = Math.ceil(positiveSeconds(flags.ttl, '--ttl', 60))
  const batch = parseBatchFlag(flags.batch)
  const limitSeed = flags.limitSeed !== undefined ? Number(flags.limitSeed) : undefined
  if (limitSeed !== undefined && !Number.isFinite(limitSeed)) throw new UsageError(`--limit-seed must be a number, got '${flags.limitSeed}'`)
  let limit
  const limitFlag = limitText(flags)
  if (limitFlag !== undefined) {
    const { parseLimit } = await import('../discovery/select.js')
    try { limit = parseLimit(limitFlag) } catch (err) { throw new UsageError(`--limit: ${(err as Error).message}`) }
  }
  const named = flags.nodes !== undefined ? filter.identities.map(matcher => 'exact' in matcher ? matcher.exact : '').filter(name => name !== '') : undefined
  const client = await openClient(flags.config, true, flags.collective)
  // The progress bar's library is loaded only when a bar may be drawn (it costs every other call 9 ms).
  const progress = (batch !== undefined || command.rolling !== undefined) && flags.json !== true && flags.progress !== false && process.stderr.isTTY
    ? new (await import('./progress.js')).BatchProgress()
    : undefined
  try {
    if (agentDDL === undefined) {
      // An agent this machine has no DDL of: served by some node, or a mistake to say so plainly.
      const { emptyFilter } = await import('../discovery/filter/types.js')
      const servers = await client.link.select(emptyFilter(), command.agent)
      if (servers.length === 0) {
        throw new UsageError(`unknown agent '${command.agent}': no node in the directory serves it (built in: ${knownAgentDDLs().map(ddl => ddl.metadata.name).join(', ')}; external agents need agents_dir on the nodes)`)
      }
    }
    const human = flags.json !== true
    const onReply = command.onReply
    const result = await runRequest(client.link, client.key, {
      collective: client.config.collective,
      agent: command.agent,
      action: command.action,
      args: command.args,
      filter,
      discovery: flags.dm === 'broadcast' ? 'broadcast' : 'directory',
      timeoutMs: timeoutSeconds * 1000,
      ttlSeconds,
      limit,
      limitSeed,
      batchSize: batch !== undefined && 'size' in batch ? batch.size : undefined,
      batchPercent: batch !== undefined && 'percent' in batch ? batch.percent : undefined,
      batchSleepMs: batch !== undefined ? positiveSecondsOrZero(flags.batchSleep) * 1000 : undefined,
      rolling: command.rolling,
      named
    }, {
      // Node-supplied strings reach the terminal escaped: a reply cannot move the cursor, retitle
      // the window or forge lines of output.
      onReply: human && onReply !== undefined ? reply => onReply(safeReply(reply)) : undefined,
      onBatch: progress !== undefined ? (done, total) => progress.update(done, total) : undefined
    })
    progress?.stop()
    if (!human) {
      process.stdout.write((command.json !== undefined ? JSON.stringify(command.json(result)) : jsonDocument(result)) + '\n')
    } else {
      const shown = safeResult(result)
      await command.render(shown, flags)
      process.stdout.write('\n' + summaryLines(shown, { filtered: !isEmptyFilter(filter) }).join('\n') + '\n')
    }
    return exitCodeFor(result)
  } finally {
    await client.link.close()
  }
}

function positiveSecondsOrZero (text: string | undefined): number {
  if (text === undefined) return 1
  const value = Number(text)
  if (!Number.isFinite(value) || value < 0) throw new UsageError(`--batch-sleep must be 0 or more seconds, got '${text}'`)
  return value
}
