// Options of the requester commands (SPEC.md, and the mco habits operators bring), in groups so
// that each command offers, and its --help lists, only the options it acts on.
import { Option, type Command } from 'commander'
import { readFileSync } from 'node:fs'
import type { Filter } from '../discovery/filter/types.js'
import { UsageError } from './errors.js'
import { parseBatch, type BatchSize } from '../discovery/select.js'

export interface RequesterFlags {
  config?: string
  json?: boolean
  collective?: string
  timeout?: string
  ttl?: string
  batch?: string
  batchSleep?: string
  /** false with --np / --no-progress */
  progress?: boolean
  limit?: string
  limitSeed?: string
  one?: boolean
  nodes?: string
  dm?: string
  display?: 'ok' | 'failed' | 'all'
  verbose?: boolean
  wf?: string[]
  wc?: string[]
  wi?: string[]
  wa?: string[]
  withFact?: string[]
  withClass?: string[]
  withIdentity?: string[]
  withAgent?: string[]
  with?: string[]
  select?: string
}

/** Which groups of options a command takes (the base group, config/json/collective/verbose, always). */
export interface OptionGroups {
  /** -F -C -I -A -S, --limit, -1, --nodes */
  selection?: boolean
  /** --timeout, --ttl, --dm */
  timing?: boolean
  /** --batch, --batch-sleep, --np */
  batching?: boolean
  /** --display */
  display?: boolean
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, value]

export function addRequesterOptions (command: Command, groups: OptionGroups = { selection: true, timing: true, batching: true }): Command {
  command
    .option('--config <file>', 'client config (else $TROUPE_CONFIG, ~/.troupe/client.yaml, /etc/troupe/client.yaml)')
    .option('-j, --json', 'print one JSON document on stdout and nothing else')
    .option('-T, --collective <name>', 'the collective to address (the config\'s `collective` or one of its `collectives`)')
    .option('-v, --verbose', 'more detail in human output')
  if (groups.timing === true) {
    command
      .option('-t, --timeout <seconds>', 'how long to wait for replies (default: the action\'s time limit from its DDL, plus 2 s)')
      .option('--ttl <seconds>', 'how long the request stays valid on the nodes', '60')
      .addOption(new Option('--dm <method>', "discovery method: 'directory' (expected nodes known, finish early) or 'broadcast' (wait the whole timeout)").choices(['directory', 'broadcast']).default('directory'))
  }
  if (groups.selection === true) {
    command
      .option('-F, --wf <fact=value>', 'fact filter: = != < > <= >= (=> =<) =~ !~ with /regex/ or a bare regex; arrays match by any element; dotted names reach nested facts (also --with-fact)', collect)
      .option('-C, --wc <class>', 'Puppet class, exact or /regex/ (also --with-class)', collect)
      .option('-I, --wi <identity>', 'node identity, exact or /regex/; repeat -I for several nodes (also --with-identity)', collect)
      .option('-A, --wa <agent>', 'node has this agent (also --with-agent)', collect)
      .option('-W, --with <filter>', "combined classes and facts: 'role::web env=prod' (words with an operator are fact tests)", collect)
      .option('-S, --select <expression>', "compound filter, quoted: -S 'role=web and not env=dev'; parentheses, class names")
      .addOption(new Option('--with-fact <fact=value>').argParser(collect).hideHelp())
      .addOption(new Option('--with-class <class>').argParser(collect).hideHelp())
      .addOption(new Option('--with-identity <identity>').argParser(collect).hideHelp())
      .addOption(new Option('--with-agent <agent>').argParser(collect).hideHelp())
      .option('--nodes <file>', "act on the identities listed in FILE, one a line ('-' reads them from stdin)")
      .option('--limit <N|P%>', 'act on at most N nodes, or P percent of the matches')
      .option('-1, --one', 'act on one of the matching nodes (same as --limit 1)')
      .option('--limit-seed <number>', 'make --limit choose the same nodes every time')
  }
  if (groups.batching === true) {
    command
      .option('--batch <N|N%>', 'send to N nodes (or N percent of them) at a time; 0: all at once')
      .option('--batch-sleep <seconds>', 'pause between batches', '1')
      .option('--np, --no-progress', 'no progress bar, even on a terminal')
  }
  if (groups.display === true) {
    command.addOption(new Option('--display <which>', "which replies to print: 'failed', 'ok' or 'all' (default: as the action's DDL says; failures always)").choices(['failed', 'ok', 'all']))
  }
  return command
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

/** --limit, or -1 (one node): what limits the selection, if anything. */
export function limitText (flags: RequesterFlags): string | undefined {
  if (flags.one === true && flags.limit !== undefined) throw new UsageError('-1/--one and --limit say the same thing twice: give one of them')
  return flags.one === true ? '1' : flags.limit
}

/** The identities of --nodes FILE (or stdin with '-'): one a line, '#' comments and blank lines skipped. */
export function nodesFromFile (path: string): string[] {
  let text: string
  try {
    text = readFileSync(path === '-' ? 0 : path, 'utf8')
  } catch (err) {
    throw new UsageError(`--nodes: cannot read ${path === '-' ? 'stdin' : path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`)
  }
  const names = text.split('\n').map(line => line.replace(/#.*/, '').trim()).filter(line => line !== '')
  for (const name of names) {
    if (/\s/.test(name)) throw new UsageError(`--nodes: '${name}' is not one identity (one a line)`)
  }
  if (names.length === 0) throw new UsageError(`--nodes: no identity in ${path === '-' ? 'stdin' : path}`)
  return [...new Set(names)]
}

export async function filterFromFlags (flags: RequesterFlags): Promise<Filter> {
  const { buildFilter, FilterParseError } = await import('../discovery/filter/index.js')
  const join = (a?: string[], b?: string[]): string[] | undefined => a === undefined && b === undefined ? undefined : [...(a ?? []), ...(b ?? [])]
  let identities = join(flags.wi, flags.withIdentity)
  let filter: Filter
  try {
    filter = buildFilter({ facts: join(flags.wf, flags.withFact), classes: join(flags.wc, flags.withClass), identities, agents: join(flags.wa, flags.withAgent), with: flags.with, select: flags.select })
  } catch (err) {
    if (err instanceof FilterParseError) throw new UsageError(`bad filter: ${err.message}`)
    throw err
  }
  if (flags.nodes !== undefined) {
    if (identities !== undefined) throw new UsageError('--nodes and -I both name nodes: give one of them')
    identities = nodesFromFile(flags.nodes)
    filter = { ...filter, identities: identities.map(exact => ({ exact })) }
  }
  return filter
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
