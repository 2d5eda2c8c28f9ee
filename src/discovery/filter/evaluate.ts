// Evaluating a filter against a node: on every node for itself (the node decides), and on the
// requester against the directory (to know who should answer).
//
// Fact semantics are MCollective's (docs/mcollective-compatibility.md): an array fact matches
// when any element does, a hash fact when any key does; `=` and `!=` compare text; the order
// operators compare numbers when both sides are numbers, text otherwise; a null fact is the
// empty string; a fact the node does not have matches nothing.
//
// Every evaluation is charged to a whole-request budget (budget.ts); once it runs out the
// filter is no match, whatever the expression says.
import type { DataTest, Expr, FactOperator, FactTest, Filter, Matcher, NodeView } from './types.js'
import { boundedRegexTest } from './regex.js'
import { EvalBudget } from './budget.js'
import { lookupData } from './data-sources.js'
import { factValue } from './fact-value.js'

export { factValue }
export { needsNodeData } from './node-data.js'

/** The text a scalar fact compares as: null is '', booleans and numbers as written. */
export function factText (value: unknown): string {
  if (value === null || value === undefined) return ''
  if (typeof value === 'string') return value
  if (typeof value === 'number' || typeof value === 'boolean') return String(value)
  return JSON.stringify(value)
}

const NUMBER = /^-?\d+(\.\d+)?$/

/** One comparison of a fact's text with the filter's value. */
export function compareText (actual: string, op: FactOperator, value: string, budget: EvalBudget): boolean {
  if (!budget.step()) return false
  switch (op) {
    case '=~': return boundedRegexTest(value, actual, budget)
    case '!~': return !boundedRegexTest(value, actual, budget)
    case '=': return actual === value
    case '!=': return actual !== value
  }
  const numeric = NUMBER.test(actual) && NUMBER.test(value)
  const order = numeric
    ? Math.sign(Number(actual) - Number(value))
    : (actual < value ? -1 : actual > value ? 1 : 0)
  switch (op) {
    case '<': return order < 0
    case '>': return order > 0
    case '<=': return order <= 0
    case '>=': return order >= 0
  }
}

/** A fact value against a comparison: arrays by any element, hashes by any key (MCollective). */
export function valueMatches (value: unknown, op: FactOperator, expected: string, budget: EvalBudget): boolean {
  // `!~`: no element (key) matches, rather than some element does not.
  if (op === '!~') return !valueMatches(value, '=~', expected, budget)
  if (Array.isArray(value)) return value.some(element => compareText(factText(element), op, expected, budget))
  if (value !== null && typeof value === 'object') return Object.keys(value).some(key => compareText(key, op, expected, budget))
  return compareText(factText(value), op, expected, budget)
}

export function factMatches (test: FactTest, facts: Record<string, unknown>, budget = new EvalBudget()): boolean {
  const value = factValue(facts, test.fact)
  if (value === undefined) return false
  return valueMatches(value, test.op, test.value, budget)
}

export function matcherMatches (matcher: Matcher, text: string, budget = new EvalBudget()): boolean {
  if (!budget.step()) return false
  return 'exact' in matcher ? matcher.exact === text : boundedRegexTest(matcher.regex, text, budget)
}

function truthy (value: unknown): boolean {
  return value !== undefined && value !== null && value !== false && value !== '' && value !== 0
}

/**
 * A number as Ruby's Integer() or Float() reads it (MCollective converts the right-hand side of
 * a data statement this way when the source returned a number): 0x1f, 0b101, 0o17, 017, 1e3.
 */
export function rubyNumber (text: string): number | undefined {
  const t = text.trim().replace(/(\d)_(?=\d)/g, '$1')
  const sign = t.startsWith('-') ? -1 : 1
  const body = t.replace(/^[-+]/, '')
  let match
  if ((match = /^0x([0-9a-f]+)$/i.exec(body)) !== null) return sign * parseInt(match[1] ?? '', 16)
  if ((match = /^0b([01]+)$/i.exec(body)) !== null) return sign * parseInt(match[1] ?? '', 2)
  if ((match = /^0o?([0-7]+)$/i.exec(body)) !== null) return sign * parseInt(match[1] ?? '', 8)
  if (/^\d+$/.test(body)) return sign * Number(body)
  if (/^\d+(\.\d+)?(e[-+]?\d+)?$/i.test(body)) return sign * Number(body)
  return undefined
}

/** A data statement: true/false on the node; undefined (unknown) where the source cannot be read (the directory). */
export function dataMatches (test: DataTest, node: NodeView, budget: EvalBudget): boolean | undefined {
  const result = lookupData(test, node, budget)
  if (result === 'unknown') return undefined
  if (result === undefined || result === null) return false
  if (test.op === undefined || test.value === undefined) return truthy(result)
  if (!budget.step()) return false
  const ordering = test.op === '<' || test.op === '>' || test.op === '<=' || test.op === '>='
  // MCollective's rules for data statements: no order comparison of text or booleans, no
  // regex on anything but text, and a number compares with the number the value spells.
  if ((typeof result === 'string' || typeof result === 'boolean') && ordering) return false
  if (typeof result !== 'string' && (test.op === '=~' || test.op === '!~')) return false
  if (typeof result === 'number') {
    const expected = rubyNumber(test.value)
    if (expected === undefined) return false
    switch (test.op) {
      case '=': return result === expected
      case '!=': return result !== expected
      case '<': return result < expected
      case '>': return result > expected
      case '<=': return result <= expected
      case '>=': return result >= expected
    }
  }
  return valueMatches(result, test.op, test.value, budget)
}

/** Three-valued: undefined means the directory cannot tell (a data source only the node can read). */
function evaluate (expr: Expr, node: NodeView, budget: EvalBudget): boolean | undefined {
  if (!budget.step()) return false
  switch (expr.kind) {
    case 'fact': return factMatches(expr.test, node.facts, budget)
    case 'class': return node.classes.some(name => matcherMatches(expr.match, name, budget))
    case 'data': return dataMatches(expr.test, node, budget)
    case 'not': {
      const inner = evaluate(expr.expr, node, budget)
      return inner === undefined ? undefined : !inner
    }
    case 'and': {
      const left = evaluate(expr.left, node, budget)
      if (left === false) return false
      const right = evaluate(expr.right, node, budget)
      if (right === false) return false
      return left === undefined || right === undefined ? undefined : true
    }
    case 'or': {
      const left = evaluate(expr.left, node, budget)
      if (left === true) return true
      const right = evaluate(expr.right, node, budget)
      if (right === true) return true
      return left === undefined || right === undefined ? undefined : false
    }
  }
}

/** An expression on a node; an unknown (unreadable data source) or a spent budget is false. */
export function evaluateExpr (expr: Expr, node: NodeView, budget = new EvalBudget()): boolean {
  const result = evaluate(expr, node, budget)
  return budget.exhausted === undefined && result === true
}

export interface MatchOptions {
  /** the budget to charge (default: a fresh one: one evaluation is one request) */
  budget?: EvalBudget
  /** called once when the budget ran out (the result is then false) */
  onExhausted?: (reason: string) => void
  /** where a data statement cannot be evaluated (the directory): true = may match */
  unknownMatches?: boolean
}

export function matchesFilter (filter: Filter, node: NodeView, options: MatchOptions = {}): boolean {
  const budget = options.budget ?? new EvalBudget()
  let compound: boolean | undefined = true
  const matched = filter.facts.every(test => factMatches(test, node.facts, budget)) &&
    filter.classes.every(matcher => node.classes.some(name => matcherMatches(matcher, name, budget))) &&
    filter.agents.every(matcher => node.agents.some(name => matcherMatches(matcher, name, budget))) &&
    (filter.identities.length === 0 || filter.identities.some(matcher => matcherMatches(matcher, node.identity, budget))) &&
    (filter.compound === undefined || (compound = evaluate(filter.compound, node, budget)) !== false)
  if (budget.exhausted !== undefined) {
    options.onExhausted?.(budget.exhausted)
    return false
  }
  return matched && (compound === true || (compound === undefined && options.unknownMatches === true))
}
