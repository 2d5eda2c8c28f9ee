// Per-agent authorization policies with MCollective actionpolicy semantics (docs/security.md):
//
//   policy default deny
//   allow	alice	ping status	*	*
//   deny	bob	install	role=web	*
//   allow	sysadmins	*	env=dev or role::test        (4 fields: a compound expression last)
//   allow	*	restart	customer=acme	acme::devserver /^profile::/
//
// Fields are separated by tabs (spaces separate the items inside a field), first match wins,
// no match falls back to `policy default` (deny when absent). Callers are the comments of the
// authorized keys (`cert=alice` and `uid=alice` read as `alice`) or group names from the
// `groups` file beside the policies. The facts and classes fields are a list (all must hold)
// or, when they contain and/or/not/!/(...), a compound expression; classes may be /regex/.
//
// A line troupe cannot read is never skipped (MCollective skips it, which widens access when it
// was a deny): the file is reported with the line's number at load, and its agent is refused
// with that report until the file is fixed.
import { readdirSync, readFileSync, existsSync, watch, type FSWatcher } from 'node:fs'
import { join } from 'node:path'
import { parseCompound, parseFactTest, parseMatcher, evaluateExpr, FilterParseError } from '../discovery/filter/index.js'
import type { Expr, FactTest, Matcher, NodeView } from '../discovery/filter/types.js'
import { factMatches, matcherMatches } from '../discovery/filter/evaluate.js'
import { EvalBudget } from '../discovery/filter/budget.js'

export class PolicyParseError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'PolicyParseError'
  }
}

/** Facts or classes of a rule: anything, a list (all must hold) or a compound expression. */
type Condition = '*' | { facts: FactTest[] } | { classes: Matcher[] } | { compound: Expr }

interface PolicyRule {
  allow: boolean
  callers: string[] | '*'
  actions: string[] | '*'
  facts: Condition
  classes: Condition
  line: number
}

export interface Policy {
  /** from `policy default allow|deny`; undefined when the file has no such line (deny) */
  defaultAllow: boolean | undefined
  rules: PolicyRule[]
}

export interface Decision {
  allowed: boolean
  reason: string
}

/** Groups of callers (`policy_dir/groups`): `name caller caller ...` a line. */
export type PolicyGroups = ReadonlyMap<string, readonly string[]>

const GROUP_NAME = /^[\w.-]+$/

function items (field: string): string[] | '*' {
  const list = field.trim().split(/\s+/).filter(item => item !== '')
  return list.length === 0 || (list.length === 1 && list[0] === '*') ? '*' : list
}

/** MCollective's caller ids `cert=alice`, `uid=alice` name the caller `alice` (a key's comment). */
export function callerName (item: string): string {
  return item.replace(/^(cert|uid|user)=/, '')
}

/** actionpolicy's test for a compound field: a word that is and/or/not, starts with !, or holds (...). */
export function isCompound (field: string): boolean {
  return field.split(/\s+/).some(token => /^!|^not$|^or$|^and$|\(.+\)/.test(token))
}

function condition (field: string, kind: 'facts' | 'classes'): Condition {
  const text = field.trim()
  if (text === '*' || text === '') return '*'
  if (isCompound(text)) return { compound: parseCompound(text, { flatAndOr: true }) }
  const list = text.split(/\s+/)
  if (kind === 'facts') {
    return {
      facts: list.map(item => {
        if (!/[=<>]|!~/.test(item)) throw new FilterParseError(`'${item}' is a class where a fact test (fact=value) was expected`, 0, item)
        return parseFactTest(item)
      })
    }
  }
  return {
    classes: list.map(item => {
      if (/[=<>]/.test(item) && !item.startsWith('/')) throw new FilterParseError(`'${item}' is a fact test where a class was expected`, 0, item)
      return parseMatcher(item)
    })
  }
}

/** A policy file; every line it cannot read is collected (with its number) and thrown together. */
export function parsePolicy (text: string, fileName: string): Policy {
  const policy: Policy = { defaultAllow: undefined, rules: [] }
  const lines = text.split('\n')
  if (lines.length > 10_000) throw new PolicyParseError(`${fileName}: more than 10000 lines`)
  const problems: string[] = []
  lines.forEach((raw, index) => {
    const where = `${fileName}:${index + 1}`
    const line = raw.replace(/\r$/, '')
    // Only a whole line is a comment: a '#' inside a value is part of the value (MCollective).
    if (line.trim() === '' || line.trimStart().startsWith('#')) return
    const defaultMatch = /^policy\s+default\s+(\w+)\s*$/.exec(line)
    if (defaultMatch !== null) {
      if (defaultMatch[1] !== 'allow' && defaultMatch[1] !== 'deny') problems.push(`${where}: 'policy default' takes allow or deny, not '${defaultMatch[1] ?? ''}'`)
      policy.defaultAllow = defaultMatch[1] === 'allow'
      return
    }
    const ruleMatch = /^(allow|deny)\t+(.+)$/.exec(line)
    if (ruleMatch === null) {
      problems.push(/^(allow|deny)\s/.test(line)
        ? `${where}: fields must be separated by tabs, not spaces (MCollective ignores this line; troupe refuses the file until it is fixed)`
        : `${where}: a line starts with 'allow', 'deny' or 'policy default'`)
      return
    }
    const fields = (ruleMatch[2] ?? '').split(/\t+/).map(field => field.trim())
    if (fields.length !== 3 && fields.length !== 4) {
      problems.push(`${where}: expected allow|deny<TAB>CALLERS<TAB>ACTIONS<TAB>FACTS[<TAB>CLASSES] (${fields.length + 1} fields found)`)
      return
    }
    const [callers = '', actions = '', facts = '', classes] = fields
    try {
      const callerItems = items(callers)
      policy.rules.push({
        allow: ruleMatch[1] === 'allow',
        callers: callerItems === '*' ? '*' : callerItems.map(callerName),
        actions: items(actions),
        // Four fields: the last is a compound expression ('*' is anything).
        facts: classes === undefined ? (facts === '*' ? '*' : { compound: parseCompound(facts, { flatAndOr: true }) }) : condition(facts, 'facts'),
        classes: classes === undefined ? '*' : condition(classes, 'classes'),
        line: index + 1
      })
    } catch (err) {
      if (!(err instanceof FilterParseError)) throw err
      problems.push(`${where}: ${err.message}`)
    }
  })
  if (problems.length > 0) throw new PolicyParseError(problems.join('; '))
  return policy
}

/** The groups file; lines it cannot read are thrown with their numbers. */
export function parseGroups (text: string, fileName: string): Map<string, string[]> {
  const groups = new Map<string, string[]>()
  const problems: string[] = []
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim()
    if (line === '' || line.startsWith('#')) return
    const [name = '', ...members] = line.split(/\s+/)
    if (!GROUP_NAME.test(name)) {
      problems.push(`${fileName}:${index + 1}: expected 'group_name caller caller ...' (group names: letters, digits, _ . -)`)
      return
    }
    // A group with no members is skipped, as MCollective does: it grants and denies nothing.
    if (members.length > 0) groups.set(name, members.map(callerName))
  })
  if (problems.length > 0) throw new PolicyParseError(problems.join('; '))
  return groups
}

function conditionHolds (cond: Condition, node: NodeView, budget: EvalBudget): boolean {
  if (cond === '*') return true
  if ('facts' in cond) return cond.facts.every(test => factMatches(test, node.facts, budget))
  if ('classes' in cond) return cond.classes.every(matcher => node.classes.some(name => matcherMatches(matcher, name, budget)))
  return evaluateExpr(cond.compound, node, budget)
}

function callerMatches (callers: string[] | '*', caller: string, groups: PolicyGroups): boolean {
  if (callers === '*') return true
  return callers.some(item => item === caller || (groups.get(item)?.includes(caller) ?? false))
}

function ruleMatches (rule: PolicyRule, caller: string, action: string, node: NodeView, groups: PolicyGroups, budget: EvalBudget): boolean {
  if (!callerMatches(rule.callers, caller, groups)) return false
  if (rule.actions !== '*' && !rule.actions.includes(action)) return false
  return conditionHolds(rule.facts, node, budget) && conditionHolds(rule.classes, node, budget)
}

export function decide (policy: Policy, callerName: string, action: string, node: NodeView, fileName: string, groups: PolicyGroups = new Map()): Decision {
  const budget = new EvalBudget()
  for (const rule of policy.rules) {
    if (ruleMatches(rule, callerName, action, node, groups, budget)) {
      return { allowed: rule.allow, reason: `${rule.allow ? 'allowed' : 'denied'} by ${fileName}:${rule.line}` }
    }
    if (budget.exhausted !== undefined) return { allowed: false, reason: `denied: evaluating ${fileName} stopped (${budget.exhausted})` }
  }
  const allow = policy.defaultAllow === true
  return { allowed: allow, reason: `${allow ? 'allowed' : 'denied'} by the default of ${fileName}` }
}

export interface PolicyOptions {
  /** a policy file (without .policy) for agents that have none of their own (actionpolicy's enable_default/default_name) */
  defaultPolicy?: string
  /** agents with no policy file at all: 'deny' (actionpolicy's default) or 'allow' (allow_unconfigured) */
  unconfigured?: 'allow' | 'deny'
}

/**
 * The daemon's policies, re-read when policy_dir changes. An agent without a policy file uses
 * the default policy when one is configured, else is denied (or allowed with
 * `policy_unconfigured: allow`). A file that does not parse denies its agent until it is fixed.
 */
export class PolicyStore {
  private policies = new Map<string, Policy | PolicyParseError>()
  private groups: Map<string, string[]> | PolicyParseError = new Map()
  private unreadable: string | undefined
  private watcher: FSWatcher | undefined
  private timer: NodeJS.Timeout | undefined
  private poll: NodeJS.Timeout | undefined
  private reported = new Set<string>()

  constructor (private readonly dir: string | undefined, private readonly warn: (message: string) => void, private readonly options: PolicyOptions = {}) {}

  start (): void {
    this.reload()
    if (this.dir === undefined) return
    // Also re-read every few seconds: a directory created or replaced later is not seen by a watcher.
    this.poll = setInterval(() => this.reload(), 5000)
    this.poll.unref()
    try {
      this.watcher = watch(this.dir, () => {
        clearTimeout(this.timer)
        this.timer = setTimeout(() => this.reload(), 50)
      })
      this.watcher.on('error', err => this.warn(`cannot watch policy_dir ${this.dir ?? ''}: ${err.message}`))
    } catch (err) {
      this.warn(`cannot watch policy_dir ${this.dir}: ${(err as Error).message}`)
    }
  }

  stop (): void {
    this.watcher?.close()
    clearTimeout(this.timer)
    clearInterval(this.poll)
  }

  /** Warns once per distinct problem (the directory is re-read every 5 s). */
  private report (problem: string): void {
    if (!this.reported.has(problem)) this.warn(problem)
  }

  reload (): void {
    if (this.dir === undefined) return
    const next = new Map<string, Policy | PolicyParseError>()
    const problems = new Set<string>()
    let files: string[] = []
    try {
      files = readdirSync(this.dir).filter(name => name.endsWith('.policy'))
      this.unreadable = undefined
    } catch (err) {
      const problem = `cannot read policy_dir ${this.dir}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`
      problems.add(`${problem}; every request is refused until it is fixed`)
      this.unreadable = problem
    }
    for (const file of files) {
      const path = join(this.dir, file)
      try {
        next.set(file.slice(0, -'.policy'.length), parsePolicy(readFileSync(path, 'utf8'), path))
      } catch (err) {
        const problem = err instanceof PolicyParseError ? err : new PolicyParseError(`${path}: ${(err as Error).message}`)
        problems.add(`${problem.message}; every request for this agent is denied until it is fixed`)
        next.set(file.slice(0, -'.policy'.length), problem)
      }
    }
    const groupsPath = join(this.dir, 'groups')
    try {
      this.groups = existsSync(groupsPath) ? parseGroups(readFileSync(groupsPath, 'utf8'), groupsPath) : new Map()
    } catch (err) {
      this.groups = err instanceof PolicyParseError ? err : new PolicyParseError(`${groupsPath}: ${(err as Error).message}`)
      problems.add(`${this.groups.message}; every request to an agent with a policy is denied until it is fixed`)
    }
    for (const problem of problems) this.report(problem)
    this.reported = problems
    this.policies = next
  }

  decide (agent: string, callerName: string, action: string, node: NodeView): Decision {
    if (this.dir === undefined) return { allowed: true, reason: 'no policy_dir' }
    if (this.unreadable !== undefined) return { allowed: false, reason: this.unreadable }
    let name = agent
    let policy = this.policies.get(agent)
    if (policy === undefined && this.options.defaultPolicy !== undefined) {
      name = this.options.defaultPolicy
      policy = this.policies.get(name)
    }
    if (policy === undefined) {
      return this.options.unconfigured === 'allow'
        ? { allowed: true, reason: `no policy for ${agent} (policy_unconfigured: allow)` }
        : { allowed: false, reason: `no policy file for ${agent} in ${this.dir} (policy_unconfigured: deny)` }
    }
    if (policy instanceof PolicyParseError) return { allowed: false, reason: `policy for ${agent} is broken: ${policy.message}` }
    if (this.groups instanceof PolicyParseError) return { allowed: false, reason: `policy groups are broken: ${this.groups.message}` }
    return decide(policy, callerName, action, node, `${name}.policy`, this.groups)
  }
}
