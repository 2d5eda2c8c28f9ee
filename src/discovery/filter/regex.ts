// Regular expressions from filters run on every node, so a catastrophic one must not hang a
// daemon. Matching runs in a vm context with a time limit: V8 interrupts a backtracking regex
// when the limit passes (measured: /(a+)+$/ on 40 a's and '!' stops at 50 ms; a normal match
// costs ~60 µs). A match that runs out of time counts as no match. The limit of one match is
// also capped by what is left of the request's budget (budget.ts): hundreds of catastrophic
// regexes in one request cost the request's budget, not hundreds of times 50 ms.
import vm from 'node:vm'
import { FilterParseError } from './errors.js'
import { RegexDialectError, translateRubyRegex } from './ruby-regex.js'
import type { EvalBudget } from './budget.js'

export const MATCH_TIME_LIMIT_MS = 50
const MAX_SUBJECT_LENGTH = 4096
const MAX_PATTERN_LENGTH = 1024

const sandbox = vm.createContext({ pattern: /(?:)/, subject: '' })
const testScript = new vm.Script('pattern.test(subject)')
const compiled = new Map<string, RegExp>()

/** Compiles a filter regex (Ruby idioms translated, see ruby-regex.ts); throws FilterParseError. */
export function compileRegex (source: string, position = 0, input = source): RegExp {
  const cached = compiled.get(source)
  if (cached !== undefined) return cached
  if (source.length > MAX_PATTERN_LENGTH) throw new FilterParseError(`regex longer than ${MAX_PATTERN_LENGTH} characters`, position, input)
  let regex: RegExp
  try {
    const { source: translated, flags } = translateRubyRegex(source)
    regex = new RegExp(translated, flags)
  } catch (err) {
    if (err instanceof RegexDialectError) throw new FilterParseError(`regex /${source}/: ${err.message}`, position, input)
    throw new FilterParseError(`invalid regex /${source}/ (${(err as Error).message.replace(/^Invalid regular expression: /, '')})`, position, input)
  }
  if (compiled.size > 1000) compiled.clear()
  compiled.set(source, regex)
  return regex
}

/** One bounded match. With a budget, each run and its time are charged to it; an exhausted budget matches nothing. */
export function boundedRegexTest (source: string, subject: string, budget?: EvalBudget): boolean {
  let regex: RegExp
  try {
    regex = compileRegex(source)
  } catch {
    return false
  }
  let limit = MATCH_TIME_LIMIT_MS
  if (budget !== undefined) {
    if (!budget.chargeRegex()) return false
    limit = Math.min(limit, Math.max(1, Math.ceil(budget.regexMsLeft())))
  }
  sandbox.pattern = regex
  sandbox.subject = subject.length > MAX_SUBJECT_LENGTH ? subject.slice(0, MAX_SUBJECT_LENGTH) : subject
  // V8's limit is wall time: on a busy host a trivial match can be descheduled past it. What is
  // bounded is the CPU a match may burn; a match stopped having used little of it was only kept
  // waiting, and runs again (a few times) instead of silently not matching.
  for (let attempt = 0; ; attempt++) {
    const cpuBefore = process.cpuUsage()
    try {
      return testScript.runInContext(sandbox, { timeout: limit }) === true
    } catch {
      const cpuMs = cpuMsSince(cpuBefore)
      if (cpuMs >= limit / 2 || attempt >= DESCHEDULED_RETRIES) return false
    } finally {
      budget?.chargeRegexTime(cpuMsSince(cpuBefore))
    }
  }
}

/** A match stopped by the time limit is run again at most this many times when it was descheduled, not busy. */
const DESCHEDULED_RETRIES = 3

function cpuMsSince (before: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(before)
  return (used.user + used.system) / 1000
}
