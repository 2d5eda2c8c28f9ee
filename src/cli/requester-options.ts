// Options of the requester commands (SPEC.md, and the mco habits operators bring), in groups so
// that each command offers, and its --help lists, only the options it acts on.
import type { Command } from 'commander'
import { readFileSync } from 'node:fs'
import { emptyFilter, type Filter } from '../discovery/filter/types.js'
import { FilterParseError } from '../discovery/filter/errors.js'
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

/** One option as commander declares it; the lean path (lean.ts) parses the same table. */
export interface FlagSpec {
  /** commander's flags, e.g. '-F, --wf <fact=value>' ('<...>': takes a value) */
  flags: string
  description?: string
  /** repeatable: every use adds a value to a list */
  collect?: boolean
  default?: string
  choices?: readonly string[]
  /** accepted but not listed by --help (the mco spellings) */
  hidden?: boolean
}

/** The options of each group, in --help order. */
export const OPTION_GROUPS: Readonly<Record<'base' | keyof OptionGroups, readonly FlagSpec[]>> = {
  base: [
    { flags: '--config <file>', description: 'client config (else $TROUPE_CONFIG, ~/.troupe/client.yaml, /etc/troupe/client.yaml)' },
    { flags: '-j, --json', description: 'print one JSON document on stdout and nothing else' },
    { flags: '-T, --collective <name>', description: 'the collective to address (the config\'s `collective` or one of its `collectives`)' },
    { flags: '-v, --verbose', description: 'more detail in human output' }
  ],
  timing: [
    { flags: '-t, --timeout <seconds>', description: 'how long to wait for replies (default: the action\'s time limit from its DDL, plus 2 s)' },
    { flags: '--ttl <seconds>', description: 'how long the request stays valid on the nodes', default: '60' },
    { flags: '--dm <method>', description: "discovery method: 'directory' (expected nodes known, finish early) or 'broadcast' (wait the whole timeout)", choices: ['directory', 'broadcast'], default: 'directory' }
  ],
  selection: [
    { flags: '-F, --wf <fact=value>', description: 'fact filter: = != < > <= >= (=> =<) =~ !~ with /regex/ or a bare regex; arrays match by any element; dotted names reach nested facts (also --with-fact)', collect: true },
    { flags: '-C, --wc <class>', description: 'Puppet class, exact or /regex/ (also --with-class)', collect: true },
    { flags: '-I, --wi <identity>', description: 'node identity, exact or /regex/; repeat -I for several nodes (also --with-identity)', collect: true },
    { flags: '-A, --wa <agent>', description: 'node has this agent (also --with-agent)', collect: true },
    { flags: '-W, --with <filter>', description: "combined classes and facts: 'role::web env=prod' (words with an operator are fact tests)", collect: true },
    { flags: '-S, --select <expression>', description: "compound filter, quoted: -S 'role=web and not env=dev'; parentheses, class names" },
    { flags: '--with-fact <fact=value>', collect: true, hidden: true },
    { flags: '--with-class <class>', collect: true, hidden: true },
    { flags: '--with-identity <identity>', collect: true, hidden: true },
    { flags: '--with-agent <agent>', collect: true, hidden: true },
    { flags: '--nodes <file>', description: "act on the identities listed in FILE, one a line ('-' reads them from stdin)" },
    { flags: '--limit <N|P%>', description: 'act on at most N nodes, or P percent of the matches' },
    { flags: '-1, --one', description: 'act on one of the matching nodes (same as --limit 1)' },
    { flags: '--limit-seed <number>', description: 'make --limit choose the same nodes every time' }
  ],
  batching: [
    { flags: '--batch <N|N%>', description: 'send to N nodes (or N percent of them) at a time; 0: all at once' },
    { flags: '--batch-sleep <seconds>', description: 'pause between batches', default: '1' },
    { flags: '--np, --no-progress', description: 'no progress bar, even on a terminal' }
  ],
  display: [
    { flags: '--display <which>', description: "which replies to print: 'failed', 'ok' or 'all' (default: as the action's DDL says; failures always)", choices: ['failed', 'ok', 'all'] }
  ]
}

/** The groups most requester commands take (and addRequesterOptions' default). */
export const REQUEST_GROUPS: OptionGroups = { selection: true, timing: true, batching: true }
/** ... and --display: commands that print each reply (rpc, puppet status and the like). */
export const DISPLAY_GROUPS: OptionGroups = { selection: true, timing: true, batching: true, display: true }

/** The option specs of these groups, in --help order (the base group first). */
export function groupFlags (groups: OptionGroups): FlagSpec[] {
  return [
    ...OPTION_GROUPS.base,
    ...(groups.timing === true ? OPTION_GROUPS.timing : []),
    ...(groups.selection === true ? OPTION_GROUPS.selection : []),
    ...(groups.batching === true ? OPTION_GROUPS.batching : []),
    ...(groups.display === true ? OPTION_GROUPS.display : [])
  ]
}

// Options are made with command.createOption, not commander's Option class: this module is on
// the lean path (lean.ts), which does not load commander.
export function addRequesterOptions (command: Command, groups: OptionGroups = REQUEST_GROUPS): Command {
  for (const spec of groupFlags(groups)) {
    const option = command.createOption(spec.flags, spec.description)
    if (spec.collect === true) option.argParser(collect)
    if (spec.default !== undefined) option.default(spec.default)
    if (spec.choices !== undefined) option.choices(spec.choices)
    if (spec.hidden === true) option.hideHelp()
    command.addOption(option)
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
  const join = (a?: string[], b?: string[]): string[] | undefined => a === undefined && b === undefined ? undefined : [...(a ?? []), ...(b ?? [])]
  let identities = join(flags.wi, flags.withIdentity)
  let filter: Filter
  const facts = join(flags.wf, flags.withFact)
  const classes = join(flags.wc, flags.withClass)
  const agents = join(flags.wa, flags.withAgent)
  // The filter parser (and its regex dialect) is loaded only when there is a filter to parse.
  const given = [facts, classes, identities, agents, flags.with].some(list => list !== undefined && list.length > 0) || flags.select !== undefined
  try {
    const { buildFilter } = given ? await import('../discovery/filter/parse.js') : { buildFilter: emptyFilter }
    filter = buildFilter({ facts, classes, identities, agents, with: flags.with, select: flags.select })
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
