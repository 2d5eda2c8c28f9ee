// Per-agent authorization policies with MCollective actionpolicy semantics:
//
//   policy default deny
//   allow   alice   ping status   *            *
//   deny    bob     install       role=web     *
//   allow   *       *             env=dev or role::test      (4 fields: compound last)
//
// Fields are tab separated (spaces separate the items inside a field); first match wins; no
// match falls back to the default (deny when not given). Caller names are the comments of the
// authorized keys; MCollective's `cert=alice` / `uid=alice` forms are read as `alice`.
import { readdirSync, readFileSync, watch, type FSWatcher } from 'node:fs'
import { join } from 'node:path'
import { parseCompound, parseFactTest, evaluateExpr, FilterParseError } from '../discovery/filter/index.js'
import type { Expr, FactTest, NodeView } from '../discovery/filter/types.js'
import { factMatches } from '../discovery/filter/evaluate.js'

export class PolicyParseError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'PolicyParseError'
  }
}

interface PolicyRule {
  allow: boolean
  callers: string[] | '*'
  actions: string[] | '*'
  facts: FactTest[] | '*'
  classes: string[] | '*'
  compound?: Expr
  line: number
}

export interface Policy {
  defaultAllow: boolean
  rules: PolicyRule[]
}

export interface Decision {
  allowed: boolean
  reason: string
}

function list (field: string): string[] | '*' {
  const items = field.trim().split(/\s+/).filter(item => item !== '')
  return items.length === 0 || items.includes('*') ? '*' : items
}

function caller (item: string): string {
  return item.replace(/^(cert|uid|user)=/, '')
}

export function parsePolicy (text: string, fileName: string): Policy {
  const policy: Policy = { defaultAllow: false, rules: [] }
  const lines = text.split('\n')
  if (lines.length > 10_000) throw new PolicyParseError(`${fileName}: more than 10000 lines`)
  lines.forEach((raw, index) => {
    const where = `${fileName}:${index + 1}`
    const line = raw.replace(/#.*$/, '').trim()
    if (line === '') return
    const defaultMatch = /^policy\s+default\s+(allow|deny)$/.exec(line)
    if (defaultMatch !== null) {
      policy.defaultAllow = defaultMatch[1] === 'allow'
      return
    }
    const fields = line.includes('\t') ? line.split(/\t+/) : line.split(/\s+/)
    const [verb, callers, actions, ...rest] = fields
    if (verb !== 'allow' && verb !== 'deny') throw new PolicyParseError(`${where}: a line starts with 'allow', 'deny' or 'policy default', not '${verb ?? ''}'`)
    if (callers === undefined || actions === undefined || (rest.length !== 1 && rest.length !== 2)) {
      throw new PolicyParseError(`${where}: expected 'allow|deny CALLERS ACTIONS FACTS CLASSES' or 'allow|deny CALLERS ACTIONS COMPOUND', tab separated`)
    }
    const rule: PolicyRule = {
      allow: verb === 'allow',
      callers: ((): string[] | '*' => { const items = list(callers); return items === '*' ? '*' : items.map(caller) })(),
      actions: list(actions),
      facts: '*',
      classes: '*',
      line: index + 1
    }
    try {
      if (rest.length === 1) {
        const compound = (rest[0] ?? '').trim()
        if (compound !== '*') rule.compound = parseCompound(compound)
      } else {
        const facts = list(rest[0] ?? '*')
        rule.facts = facts === '*' ? '*' : facts.map(text => parseFactTest(text))
        rule.classes = list(rest[1] ?? '*')
      }
    } catch (err) {
      if (err instanceof FilterParseError) throw new PolicyParseError(`${where}: ${err.message}`)
      throw err
    }
    policy.rules.push(rule)
  })
  return policy
}

function ruleMatches (rule: PolicyRule, callerName: string, action: string, node: NodeView): boolean {
  if (rule.callers !== '*' && !rule.callers.includes(callerName)) return false
  if (rule.actions !== '*' && !rule.actions.includes(action)) return false
  if (rule.facts !== '*' && !rule.facts.every(test => factMatches(test, node.facts))) return false
  if (rule.classes !== '*' && !rule.classes.every(name => node.classes.includes(name))) return false
  if (rule.compound !== undefined && !evaluateExpr(rule.compound, node)) return false
  return true
}

export function decide (policy: Policy, callerName: string, action: string, node: NodeView, fileName: string): Decision {
  for (const rule of policy.rules) {
    if (ruleMatches(rule, callerName, action, node)) {
      return { allowed: rule.allow, reason: `${rule.allow ? 'allowed' : 'denied'} by ${fileName}:${rule.line}` }
    }
  }
  return { allowed: policy.defaultAllow, reason: `${policy.defaultAllow ? 'allowed' : 'denied'} by the default of ${fileName}` }
}

/**
 * The daemon's policies, re-read when policy_dir changes. An agent without a policy file is
 * allowed to every authorized caller; a policy file that does not parse denies its agent
 * entirely until it is fixed (fail closed), with a warning.
 */
export class PolicyStore {
  private policies = new Map<string, Policy | PolicyParseError>()
  private unreadable: string | undefined
  private watcher: FSWatcher | undefined
  private timer: NodeJS.Timeout | undefined
  private poll: NodeJS.Timeout | undefined

  constructor (private readonly dir: string | undefined, private readonly warn: (message: string) => void) {}

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

  reload (): void {
    if (this.dir === undefined) return
    const next = new Map<string, Policy | PolicyParseError>()
    let files: string[] = []
    try {
      files = readdirSync(this.dir).filter(name => name.endsWith('.policy'))
      this.unreadable = undefined
    } catch (err) {
      const problem = `cannot read policy_dir ${this.dir}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`
      if (this.unreadable !== problem) this.warn(`${problem}; every request is refused until it is fixed`)
      this.unreadable = problem
    }
    for (const file of files) {
      const path = join(this.dir, file)
      try {
        next.set(file.slice(0, -'.policy'.length), parsePolicy(readFileSync(path, 'utf8'), path))
      } catch (err) {
        const problem = err instanceof PolicyParseError ? err : new PolicyParseError(`${path}: ${(err as Error).message}`)
        this.warn(`${problem.message}; every request for this agent is denied until it is fixed`)
        next.set(file.slice(0, -'.policy'.length), problem)
      }
    }
    this.policies = next
  }

  decide (agent: string, callerName: string, action: string, node: NodeView): Decision {
    if (this.unreadable !== undefined) return { allowed: false, reason: this.unreadable }
    const policy = this.policies.get(agent)
    if (policy === undefined) return { allowed: true, reason: 'no policy for this agent' }
    if (policy instanceof PolicyParseError) return { allowed: false, reason: `policy for ${agent} is broken: ${policy.message}` }
    return decide(policy, callerName, action, node, `${agent}.policy`)
  }
}
