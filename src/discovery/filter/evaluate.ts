// Evaluating a filter against a node: on every node for itself (the node decides), and on the
// requester against the directory (to know who should answer).
import type { Expr, FactTest, Filter, Matcher, NodeView } from './types.js'
import { boundedRegexTest } from './regex.js'

/** Reads a fact by name; dotted names reach into nested facts (`os.family`). */
export function factValue (facts: Record<string, unknown>, name: string): unknown {
  if (Object.hasOwn(facts, name)) return facts[name]
  let current: unknown = facts
  for (const part of name.split('.')) {
    if (current === null || typeof current !== 'object' || !Object.hasOwn(current, part)) return undefined
    current = (current as Record<string, unknown>)[part]
  }
  return current
}

function asText (value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value)
}

function asNumber (text: string): number | undefined {
  if (text.trim() === '') return undefined
  const number = Number(text)
  return Number.isFinite(number) ? number : undefined
}

export function factMatches (test: FactTest, facts: Record<string, unknown>): boolean {
  const value = factValue(facts, test.fact)
  if (value === undefined) return false
  const actual = asText(value)
  if (test.op === '=~') return boundedRegexTest(test.value, actual)
  const left = asNumber(actual)
  const right = asNumber(test.value)
  const numeric = left !== undefined && right !== undefined
  const order = numeric ? Math.sign(left - right) : (actual < test.value ? -1 : actual > test.value ? 1 : 0)
  switch (test.op) {
    case '=': return order === 0
    case '!=': return order !== 0
    case '<': return order < 0
    case '>': return order > 0
    case '<=': return order <= 0
    case '>=': return order >= 0
  }
}

export function matcherMatches (matcher: Matcher, text: string): boolean {
  return 'exact' in matcher ? matcher.exact === text : boundedRegexTest(matcher.regex, text)
}

export function evaluateExpr (expr: Expr, node: NodeView): boolean {
  switch (expr.kind) {
    case 'fact': return factMatches(expr.test, node.facts)
    case 'class': return node.classes.some(name => matcherMatches(expr.match, name))
    case 'not': return !evaluateExpr(expr.expr, node)
    case 'and': return evaluateExpr(expr.left, node) && evaluateExpr(expr.right, node)
    case 'or': return evaluateExpr(expr.left, node) || evaluateExpr(expr.right, node)
  }
}

export function matchesFilter (filter: Filter, node: NodeView): boolean {
  return filter.facts.every(test => factMatches(test, node.facts)) &&
    filter.classes.every(matcher => node.classes.some(name => matcherMatches(matcher, name))) &&
    filter.agents.every(matcher => node.agents.some(name => matcherMatches(matcher, name))) &&
    (filter.identities.length === 0 || filter.identities.some(matcher => matcherMatches(matcher, node.identity))) &&
    (filter.compound === undefined || evaluateExpr(filter.compound, node))
}
