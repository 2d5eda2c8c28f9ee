// Regular expressions from filters run on every node, so a catastrophic one must not hang a
// daemon. Matching runs in a vm context with a time limit: V8 interrupts a backtracking regex
// when the limit passes (measured: /(a+)+$/ on 40 a's and '!' stops at 50 ms; a normal match
// costs ~60 µs). A match that runs out of time counts as no match.
import vm from 'node:vm'
import { FilterParseError } from './errors.js'

const MATCH_TIME_LIMIT_MS = 50
const MAX_SUBJECT_LENGTH = 4096
const MAX_PATTERN_LENGTH = 1024

const sandbox = vm.createContext({ pattern: /(?:)/, subject: '' })
const testScript = new vm.Script('pattern.test(subject)')
const compiled = new Map<string, RegExp>()

export function compileRegex (source: string, position = 0, input = source): RegExp {
  const cached = compiled.get(source)
  if (cached !== undefined) return cached
  if (source.length > MAX_PATTERN_LENGTH) throw new FilterParseError(`regex longer than ${MAX_PATTERN_LENGTH} characters`, position, input)
  let regex: RegExp
  try {
    regex = new RegExp(source)
  } catch (err) {
    throw new FilterParseError(`invalid regex /${source}/ (${(err as Error).message.replace(/^Invalid regular expression: /, '')})`, position, input)
  }
  if (compiled.size > 1000) compiled.clear()
  compiled.set(source, regex)
  return regex
}

export function boundedRegexTest (source: string, subject: string): boolean {
  let regex: RegExp
  try {
    regex = compileRegex(source)
  } catch {
    return false
  }
  sandbox.pattern = regex
  sandbox.subject = subject.length > MAX_SUBJECT_LENGTH ? subject.slice(0, MAX_SUBJECT_LENGTH) : subject
  try {
    return testScript.runInContext(sandbox, { timeout: MATCH_TIME_LIMIT_MS }) === true
  } catch {
    return false
  }
}
