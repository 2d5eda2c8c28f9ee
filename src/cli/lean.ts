// The lean path of the `troupe` command: the everyday requester commands (ping, rpc, find, facts,
// inventory, puppet status and the like), parsed here without commander, run without the YAML
// parser, zod or libp2p (the config comes from its cache, config/cached.ts; the requester agent
// holds the mesh). Start-up is what an operator waits for on every call: this path loads a
// fraction of the full CLI's files (docs/performance.md).
//
// It takes only command lines whose meaning is plain: the command's own options, each given as
// `--long value`, `--long=value`, `-s value` or a flag, and the words the command takes. Anything
// else (help, a version flag anywhere, `--`, combined short flags, an unknown option, a missing
// value, a choice not offered, a missing or stray word) goes to the full CLI (main.ts), which
// gives the usual answer or usage error. test/unit/lean-cli.test.ts holds the two parsers to
// the same results.
import { DISPLAY_GROUPS, REQUEST_GROUPS, groupFlags, type FlagSpec, type OptionGroups, type RequesterFlags } from './requester-options.js'

type Positional = string | string[] | undefined
type Action = (positional: Positional[], flags: RequesterFlags) => Promise<number>

interface LeanCommand {
  path: readonly string[]
  /** the words the command takes, as commander declares them: 'required', 'optional' or 'variadic' (last) */
  args: ReadonlyArray<'required' | 'optional' | 'variadic'>
  /** the command's option groups and body, from its own module (the one commander registers) */
  load: () => Promise<{ groups: OptionGroups, action: Action }>
}

const word = (value: Positional): string => value as string
const words = (value: Positional): string[] => value as string[]

const COMMANDS: readonly LeanCommand[] = [
  { path: ['ping'], args: [], load: async () => ({ groups: REQUEST_GROUPS, action: (_, flags) => import('./commands/ping.js').then(async m => await m.ping(flags)) }) },
  {
    path: ['rpc'],
    args: ['required', 'required', 'variadic'],
    load: async () => ({ groups: DISPLAY_GROUPS, action: async ([agent, action, inputs], flags) => await (await import('./commands/rpc.js')).rpc(word(agent), word(action), words(inputs), flags) })
  },
  { path: ['find'], args: [], load: async () => { const m = await import('./commands/find.js'); return { groups: m.FIND_GROUPS, action: async (_, flags) => await m.find(flags) } } },
  { path: ['facts'], args: ['required'], load: async () => ({ groups: REQUEST_GROUPS, action: async ([fact], flags) => await (await import('./commands/node-info.js')).facts(word(fact), flags) }) },
  {
    path: ['inventory'],
    args: ['required'],
    load: async () => { const m = await import('./commands/node-info.js'); return { groups: m.INVENTORY_GROUPS, action: async ([identity], flags) => await m.inventory(word(identity), flags) } }
  },
  { path: ['puppet', 'status'], args: [], load: async () => ({ groups: DISPLAY_GROUPS, action: async (_, flags) => await (await import('./commands/puppet.js')).puppetStatus(flags) }) },
  { path: ['puppet', 'count'], args: [], load: async () => ({ groups: REQUEST_GROUPS, action: async (_, flags) => await (await import('./commands/puppet.js')).puppetCount(flags) }) },
  { path: ['puppet', 'summary'], args: [], load: async () => ({ groups: REQUEST_GROUPS, action: async (_, flags) => await (await import('./commands/puppet.js')).puppetSummary(flags) }) },
  { path: ['puppet', 'enable'], args: [], load: async () => ({ groups: DISPLAY_GROUPS, action: async (_, flags) => await (await import('./commands/puppet.js')).puppetEnable(flags) }) },
  {
    path: ['puppet', 'disable'],
    args: ['optional'],
    load: async () => ({ groups: DISPLAY_GROUPS, action: async ([message], flags) => await (await import('./commands/puppet.js')).puppetDisable(message as string | undefined, flags) })
  }
]

/** A command line the lean path takes: which command, its words and options as commander would give them. */
export interface LeanInvocation {
  path: readonly string[]
  positional: Positional[]
  flags: RequesterFlags
  run: () => Promise<number>
}

interface ParsedFlag {
  short?: string
  long?: string
  /** the key in the options object, as commander names it (--limit-seed: limitSeed, --no-progress: progress) */
  key: string
  takesValue: boolean
  negate: boolean
  spec: FlagSpec
}

/** commander's reading of a flags string such as '-F, --wf <fact=value>' or '--np, --no-progress'. */
export function parseFlags (spec: FlagSpec): ParsedFlag {
  const parts = spec.flags.split(/[ |,]+/)
  const short = parts.length > 1 && !/^[[<]/.test(parts[1] ?? '') ? parts.shift() : undefined
  const long = parts.shift()
  const name = (long ?? short ?? '').replace(/^--?/, '')
  const negate = long !== undefined && long.startsWith('--no-')
  const key = name.replace(/^no-/, '').split('-').reduce((camel, part) => camel + part.charAt(0).toUpperCase() + part.slice(1))
  return { short, long, key, takesValue: parts.some(part => part.startsWith('<')), negate, spec }
}

/** Flags the full CLI acts on wherever they stand (the program's own, or help). */
const FULL_PATH_FLAGS = new Set(['-h', '--help', '--version'])

/** The lean reading of a command line, or undefined when the full CLI must decide. */
export async function leanInvocation (argv: readonly string[]): Promise<LeanInvocation | undefined> {
  const command = COMMANDS.find(candidate => candidate.path.every((name, index) => argv[index] === name))
  if (command === undefined) return undefined
  const rest = argv.slice(command.path.length)
  // The root program takes -V/--version anywhere on the line (even where a value should be).
  if (rest.some(arg => FULL_PATH_FLAGS.has(arg) || arg.startsWith('-V'))) return undefined
  const { groups, action } = await command.load()
  const flags = parseArgs(rest, groupFlags(groups).map(parseFlags))
  if (flags === undefined) return undefined
  const positional = positionalArgs(flags.words, command.args)
  if (positional === undefined) return undefined
  return { path: command.path, positional, flags: flags.values, run: async () => await action(positional, flags.values) }
}

function parseArgs (args: string[], known: ParsedFlag[]): { values: RequesterFlags, words: string[] } | undefined {
  const byFlag = new Map<string, ParsedFlag>()
  const values: Record<string, unknown> = {}
  for (const flag of known) {
    if (flag.short !== undefined) byFlag.set(flag.short, flag)
    if (flag.long !== undefined) byFlag.set(flag.long, flag)
    if (flag.negate) values[flag.key] = true
    else if (flag.spec.default !== undefined) values[flag.key] = flag.spec.default
  }
  const set = (flag: ParsedFlag, value: string | undefined): boolean => {
    if (value === undefined) {
      values[flag.key] = !flag.negate
      return true
    }
    if (flag.spec.choices !== undefined && !flag.spec.choices.includes(value)) return false
    values[flag.key] = flag.spec.collect === true ? [...(values[flag.key] as string[] | undefined ?? []), value] : value
    return true
  }
  const words: string[] = []
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string
    if (arg.length <= 1 || !arg.startsWith('-')) {
      words.push(arg)
      continue
    }
    const flag = byFlag.get(arg)
    if (flag !== undefined) {
      if (flag.takesValue && i + 1 >= args.length) return undefined
      if (!set(flag, flag.takesValue ? args[++i] : undefined)) return undefined
      continue
    }
    const eq = arg.indexOf('=')
    const named = arg.startsWith('--') && eq > 2 ? byFlag.get(arg.slice(0, eq)) : undefined
    if (named === undefined || !named.takesValue || !set(named, arg.slice(eq + 1))) return undefined
  }
  return { values: values as RequesterFlags, words }
}

/** The words as commander hands them to the action; undefined when one is missing or one is too many. */
function positionalArgs (words: string[], declared: LeanCommand['args']): Positional[] | undefined {
  const required = declared.filter(kind => kind === 'required').length
  const variadic = declared.includes('variadic')
  if (words.length < required || (!variadic && words.length > declared.length)) return undefined
  return declared.map((kind, index) => kind === 'variadic' ? words.slice(index) : words[index])
}
