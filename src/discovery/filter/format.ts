// Prints filters back in the command-line language; parsing the output gives the same filter.
import type { Expr, FactTest, Filter, Matcher } from './types.js'

// Values that could be misread (space, parentheses, quotes, slashes, nothing) are quoted.
const PLAIN_VALUE = /^[^\s()"/!=<>~][^\s()"/]*$/

export function formatFactTest (test: FactTest): string {
  if (test.op === '=~') return `${test.fact}=~/${test.value}/`
  const value = PLAIN_VALUE.test(test.value) ? test.value : JSON.stringify(test.value)
  return `${test.fact}${test.op}${value}`
}

export function formatMatcher (matcher: Matcher): string {
  return 'regex' in matcher ? `/${matcher.regex}/` : matcher.exact
}

export function formatExpr (expr: Expr): string {
  switch (expr.kind) {
    case 'fact': return formatFactTest(expr.test)
    case 'class': return formatMatcher(expr.match)
    case 'not': return `not ${formatExpr(expr.expr)}`
    case 'and': return `(${formatExpr(expr.left)} and ${formatExpr(expr.right)})`
    case 'or': return `(${formatExpr(expr.left)} or ${formatExpr(expr.right)})`
  }
}

/** A one-line description, as `-F ... -C ... -I ... -A ... -S '...'` flags. */
export function formatFilter (filter: Filter): string {
  const parts = [
    ...filter.facts.map(test => `-F ${formatFactTest(test)}`),
    ...filter.classes.map(matcher => `-C ${formatMatcher(matcher)}`),
    ...filter.identities.map(matcher => `-I ${formatMatcher(matcher)}`),
    ...filter.agents.map(matcher => `-A ${formatMatcher(matcher)}`)
  ]
  if (filter.compound !== undefined) parts.push(`-S '${formatExpr(filter.compound)}'`)
  return parts.join(' ')
}
