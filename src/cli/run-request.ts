// Runs one request for a requester command: options -> plan -> session -> output and exit code.
import type { RequesterFlags } from './requester-options.js'
import { filterFromFlags, parseBatchFlag, positiveSeconds } from './requester-options.js'
import { openClient } from './client-context.js'
import { runRequest, type RequestResult, type ReplyRecord } from '../requester/session.js'
import { exitCodeFor, jsonDocument, summaryLines } from './output.js'
import { UsageError } from './errors.js'

export interface RequestCommand {
  agent: string
  action: string
  args: Record<string, unknown>
  /** prints human output for the whole result (after all replies) */
  render: (result: RequestResult, flags: RequesterFlags) => void | Promise<void>
  /** optional: prints each reply as it arrives (human output only) */
  onReply?: (reply: ReplyRecord) => void
  /** keep at most N nodes working at once (puppet runall) */
  rolling?: number
  /** timeout when --timeout is not given (long actions such as Puppet runs) */
  defaultTimeoutSeconds?: number
  /** replaces the standard JSON document (e.g. facts adds its value distribution) */
  json?: (result: RequestResult) => unknown
}

export async function executeRequest (flags: RequesterFlags, command: RequestCommand): Promise<number> {
  const filter = await filterFromFlags(flags)
  const timeoutSeconds = positiveSeconds(flags.timeout ?? (command.defaultTimeoutSeconds !== undefined ? String(command.defaultTimeoutSeconds) : undefined), '--timeout', 10)
  const ttlSeconds = Math.ceil(positiveSeconds(flags.ttl, '--ttl', 60))
  const batch = parseBatchFlag(flags.batch)
  const limitSeed = flags.limitSeed !== undefined ? Number(flags.limitSeed) : undefined
  if (limitSeed !== undefined && !Number.isFinite(limitSeed)) throw new UsageError(`--limit-seed must be a number, got '${flags.limitSeed}'`)
  let limit
  if (flags.limit !== undefined) {
    const { parseLimit } = await import('../discovery/select.js')
    try { limit = parseLimit(flags.limit) } catch (err) { throw new UsageError(`--limit: ${(err as Error).message}`) }
  }
  const client = await openClient(flags.config)
  // The progress bar's library is loaded only when a bar may be drawn (it costs every other call 9 ms).
  const progress = (batch !== undefined || command.rolling !== undefined) && flags.json !== true && process.stderr.isTTY
    ? new (await import('./progress.js')).BatchProgress()
    : undefined
  try {
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
      rolling: command.rolling
    }, {
      onReply: flags.json === true ? undefined : command.onReply,
      onBatch: progress !== undefined ? (done, total) => progress.update(done, total) : undefined
    })
    progress?.stop()
    if (flags.json === true) {
      process.stdout.write((command.json !== undefined ? JSON.stringify(command.json(result)) : jsonDocument(result)) + '\n')
    } else {
      await command.render(result, flags)
      process.stdout.write('\n' + summaryLines(result).join('\n') + '\n')
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
