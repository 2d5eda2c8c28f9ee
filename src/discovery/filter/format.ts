// Prints filters back in the command-line language; parsing the output gives the same filter.
import type { DataTest, Expr, FactTest, Filter, Matcher } from './types.js'

// Values that could be misread (space, parentheses, quotes, slashes, operators, nothing) are quoted.
const PLAIN_VALUE = /^[^\s()"'/!=<>~][^\s()"']*$/

function quote (text: string, mark = '"'): string {
  return mark + text.replace(/[\\"']/g, '\\$&') + mark
}

function formatValue (value: string): string {
  return PLAIN_VALUE.test(value) ? value : quote(value)
}

function formatComparison (op: string, value: string): string {
  return op === '=~' || op === '!~' ? `${op}/${value}/` : `${op}${formatValue(value)}`
}

export function formatFactTest (test: FactTest): string {
  return `${test.fact}${formatComparison(test.op, test.value)}`
}

export function formatDataTest (test: DataTest): string {
  const call = `${test.source}(${test.param === '' && test.source === 'puppet' ? '' : quote(test.param, "'")})${test.field !== undefined ? '.' + test.field : ''}`
  return test.op !== undefined && test.value !== undefined ? call + formatComparison(test.op, test.value) : call
}

export function formatMatcher (matcher: Matcher): string {
  return 'regex' in matcher ? `/${matcher.regex}/` : matcher.exact
}

export function formatExpr (expr: Expr): string {
  switch (expr.kind) {
    case 'fact': return formatFactTest(expr.test)
    case 'class': return formatMatcher(expr.match)
    case 'data': return formatDataTest(expr.test)
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
