// The filter language of the command line (MCollective's): -F fact tests, -C/-I/-A matchers,
// and -S compound expressions with and/or/not and parentheses.
import type { Expr, FactOperator, FactTest, Filter, Matcher } from './types.js'
import { FilterParseError } from './errors.js'
import { compileRegex } from './regex.js'

const FACT_TEST = /^([A-Za-z0-9_][A-Za-z0-9_.:-]*)\s*(==|=~|!=|<=|>=|=|<|>)\s*(.*)$/s
const NAME = /^[A-Za-z0-9_][A-Za-z0-9_.:-]*$/
const KEYWORDS = new Set(['and', 'or', 'not'])

export function parseMatcher (text: string, position = 0, input = text): Matcher {
  if (text.length >= 2 && text.startsWith('/') && text.endsWith('/')) {
    const source = text.slice(1, -1)
    compileRegex(source, position, input)
    return { regex: source }
  }
  if (text === '') throw new FilterParseError('empty name', position, input)
  return { exact: text }
}

export function parseFactTest (text: string, position = 0, input = text): FactTest {
  const match = FACT_TEST.exec(text)
  if (match === null) throw new FilterParseError(`expected fact=value (operators = != < > <= >= =~), got '${text}'`, position, input)
  const fact = match[1] ?? ''
  let op = (match[2] === '==' ? '=' : match[2]) as FactOperator
  let value = unquote(match[3] ?? '', position + text.length - (match[3] ?? '').length, input)
  const valueStart = position + text.length - (match[3] ?? '').length
  if (op === '=~' || (op === '=' && isRegexLiteral(match[3] ?? ''))) {
    if (!isRegexLiteral(match[3] ?? '')) throw new FilterParseError(`=~ needs a /regex/, got '${match[3] ?? ''}'`, valueStart, input)
    value = (match[3] ?? '').slice(1, -1)
    compileRegex(value, valueStart, input)
    op = '=~'
  }
  return { fact, op, value }
}

function isRegexLiteral (text: string): boolean {
  return text.length >= 2 && text.startsWith('/') && text.endsWith('/')
}

function unquote (text: string, position: number, input: string): string {
  if (!text.startsWith('"')) return text
  try {
    const value: unknown = JSON.parse(text)
    if (typeof value === 'string') return value
  } catch { /* fall through */ }
  throw new FilterParseError('unterminated or invalid quoted value', position, input)
}

interface Token {
  text: string
  position: number
}

function tokenize (input: string): Token[] {
  const tokens: Token[] = []
  let i = 0
  while (i < input.length) {
    const ch = input[i] ?? ''
    if (/\s/.test(ch)) { i++; continue }
    if (ch === '(' || ch === ')' || ch === '!') {
      // '!' alone is 'not'; '!=' belongs to a fact test and is read with its token.
      if (ch === '!' && input[i + 1] === '=') throw new FilterParseError("'!=' needs a fact name before it", i, input)
      tokens.push({ text: ch, position: i })
      i++
      continue
    }
    const start = i
    let inRegex = false
    let inQuote = false
    while (i < input.length) {
      const c = input[i] ?? ''
      if (inQuote) {
        if (c === '\\') i++
        else if (c === '"') inQuote = false
      } else if (inRegex) {
        if (c === '\\') i++
        else if (c === '/') inRegex = false
      } else if (c === '"') {
        inQuote = true
      } else if (c === '/' && (i === start || '=~<>'.includes(input[i - 1] ?? ''))) {
        // A regex starts a token (class) or follows an operator (fact); a slash elsewhere is text.
        inRegex = true
      } else if (/\s/.test(c) || c === '(' || c === ')') {
        break
      }
      i++
    }
    if (inQuote) throw new FilterParseError('unterminated quoted value', start, input)
    if (inRegex) throw new FilterParseError('unterminated /regex/', start, input)
    tokens.push({ text: input.slice(start, i), position: start })
  }
  return tokens
}

export function parseCompound (input: string): Expr {
  if (input.length > 4096) throw new FilterParseError('expression longer than 4096 characters', 0, input)
  const tokens = tokenize(input)
  let index = 0
  let depth = 0
  const peek = (): Token | undefined => tokens[index]
  const fail = (reason: string, token = peek()): never => {
    throw new FilterParseError(reason, token?.position ?? input.length, input)
  }

  const parseOr = (): Expr => {
    let left = parseAnd()
    while (peek()?.text === 'or') {
      index++
      left = { kind: 'or', left, right: parseAnd() }
    }
    return left
  }
  const parseAnd = (): Expr => {
    let left = parseNot()
    while (peek()?.text === 'and') {
      index++
      left = { kind: 'and', left, right: parseNot() }
    }
    return left
  }
  const parseNot = (): Expr => {
    const token = peek()
    if (token?.text === 'not' || token?.text === '!') {
      index++
      if (++depth > 32) fail('expression nested too deeply', token)
      const expr: Expr = { kind: 'not', expr: parseNot() }
      depth--
      return expr
    }
    return parsePrimary()
  }
  const parsePrimary = (): Expr => {
    const token = peek()
    if (token === undefined) return fail('expression ends too early')
    if (token.text === '(') {
      index++
      if (++depth > 32) fail('expression nested too deeply', token)
      const expr = parseOr()
      if (peek()?.text !== ')') fail("missing ')'")
      index++
      depth--
      return expr
    }
    if (token.text === ')' || KEYWORDS.has(token.text)) return fail(`unexpected '${token.text}'`)
    index++
    if (FACT_TEST.test(token.text) && !token.text.startsWith('/')) return { kind: 'fact', test: parseFactTest(token.text, token.position, input) }
    if (token.text.startsWith('/')) return { kind: 'class', match: parseMatcher(token.text, token.position, input) }
    if (!NAME.test(token.text)) return fail(`'${token.text}' is neither a class name nor a fact comparison`, token)
    return { kind: 'class', match: { exact: token.text } }
  }

  if (tokens.length === 0) fail('empty expression')
  const expr = parseOr()
  if (index < tokens.length) fail(`unexpected '${peek()?.text ?? ''}'`)
  return expr
}

export interface FilterFlags {
  facts?: string[]
  classes?: string[]
  identities?: string[]
  agents?: string[]
  select?: string
}

export function buildFilter (flags: FilterFlags): Filter {
  const filter: Filter = {
    facts: (flags.facts ?? []).map(text => parseFactTest(text)),
    classes: (flags.classes ?? []).map(text => parseMatcher(text)),
    identities: (flags.identities ?? []).map(text => parseMatcher(text)),
    agents: (flags.agents ?? []).map(text => parseMatcher(text))
  }
  if (flags.select !== undefined) filter.compound = parseCompound(flags.select)
  return filter
}
