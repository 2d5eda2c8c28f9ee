// Options shared by every requester command (SPEC.md): config, output, timing, selection.
import { Option, type Command } from 'commander'
import type { Filter } from '../discovery/filter/types.js'
import { UsageError } from './errors.js'
import { parseBatch, type BatchSize } from '../discovery/select.js'

export interface RequesterFlags {
  config?: string
  json?: boolean
  timeout?: string
  ttl?: string
  batch?: string
  batchSleep?: string
  limit?: string
  limitSeed?: string
  dm?: string
  verbose?: boolean
  wf?: string[]
  wc?: string[]
  wi?: string[]
  wa?: string[]
  with?: string[]
  select?: string
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, value]

export function addRequesterOptions (command: Command): Command {
  return command
    .option('--config <file>', 'client config (else $TROUPE_CONFIG, ~/.troupe/client.yaml, /etc/troupe/client.yaml)')
    .option('-j, --json', 'print one JSON document on stdout and nothing else')
    .option('-t, --timeout <seconds>', 'how long to wait for replies (default 10, longer for long actions)')
    .option('--ttl <seconds>', 'how long the request stays valid on the nodes', '60')
    .option('-F, --wf <fact=value>', 'fact filter: = != < > <= >= (=> =<) =~ !~ with /regex/ or a bare regex; arrays match by any element; dotted names reach nested facts', collect)
    .option('-C, --wc <class>', 'Puppet class, exact or /regex/', collect)
    .option('-I, --wi <identity>', 'node identity, exact or /regex/ (several: any of them)', collect)
    .option('-A, --wa <agent>', 'node has this agent', collect)
    .option('-W, --with <filter>', "combined classes and facts: 'role::web env=prod' (words with an operator are fact tests)", collect)
    .option('-S, --select <expression>', "compound filter: 'role=web and not env=dev', parentheses, class names")
    .option('--limit <N|P%>', 'act on at most N nodes, or P percent of the matches')
    .option('--limit-seed <number>', 'make --limit choose the same nodes every time')
    .option('--batch <N|N%>', 'send to N nodes (or N percent of them) at a time; 0: all at once')
    .option('--batch-sleep <seconds>', 'pause between batches', '1')
    .addOption(new Option('--dm <method>', "discovery method: 'directory' (expected nodes known, finish early) or 'broadcast' (wait the whole timeout)").choices(['directory', 'broadcast']).default('directory'))
    .option('-v, --verbose', 'more detail in human output')
}

export function positiveSeconds (text: string | undefined, flag: string, fallback: number): number {
  if (text === undefined) return fallback
  const value = Number(text)
  if (!Number.isFinite(value) || value <= 0) throw new UsageError(`${flag} must be a positive number of seconds, got '${text}'`)
  return value
}

export function positiveInteger (text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined
  const value = Number(text)
  if (!Number.isInteger(value) || value <= 0) throw new UsageError(`${flag} must be a whole number above 0, got '${text}'`)
  return value
}

export async function filterFromFlags (flags: RequesterFlags): Promise<Filter> {
  const { buildFilter, FilterParseError } = await import('../discovery/filter/index.js')
  try {
    return buildFilter({ facts: flags.wf, classes: flags.wc, identities: flags.wi, agents: flags.wa, with: flags.with, select: flags.select })
  } catch (err) {
    if (err instanceof FilterParseError) throw new UsageError(`bad filter: ${err.message}`)
    throw err
  }
}

/** `--batch N|N%` (MCollective's forms; 0 turns batching off). */
export function parseBatchFlag (text: string | undefined): BatchSize | undefined {
  if (text === undefined) return undefined
  try {
    return parseBatch(text)
  } catch (err) {
    throw new UsageError(`--batch: ${(err as Error).message}`)
  }
}
