// The filter language of the command line, MCollective's (docs/filters.md): -F fact tests,
// -C/-I/-A matchers, -W combined classes and facts, and -S compound expressions with
// and/or/not/! and parentheses over fact comparisons, class names and data statements.
//
// An operator this parser does not know is an error, never an equality with a strange value
// (`foo=>1` is `foo>=1`, as in MCollective; `foo=!1` is refused).
import type { DataTest, Expr, FactOperator, FactTest, Filter, Matcher } from './types.js'
import { FilterParseError } from './errors.js'
import { compileRegex } from './regex.js'
import { dataSourceNames, nodeDataSource, VIEW_SOURCES } from './data-sources.js'

const NAME = /^[A-Za-z0-9_][A-Za-z0-9_.:-]*$/
const FIELD = /^[A-Za-z0-9_]+$/
const SOURCE_NAME = /^[a-z][a-z0-9_]{0,31}$/
const MAX_EXPRESSION = 4096
const MAX_DEPTH = 32
// Longest first: `=~` before `=`, `=>` (MCollective's >=) before `=`.
const OPERATORS: ReadonlyArray<[string, FactOperator]> = [
  ['=~', '=~'], ['!~', '!~'], ['==', '='], ['!=', '!='], ['<=', '<='], ['>=', '>='], ['=>', '>='], ['=<', '<='], ['<', '<'], ['>', '>'], ['=', '=']
]
const OPERATOR_CHARS = '=<>!~'

export function parseMatcher (text: string, position = 0, input = text): Matcher {
  if (text.length >= 2 && text.startsWith('/') && text.endsWith('/')) {
    const source = text.slice(1, -1)
    compileRegex(source, position, input)
    return { regex: source }
  }
  if (text === '') throw new FilterParseError('empty name', position, input)
  return { exact: text }
}

function readOperator (input: string, at: number): { op: FactOperator, length: number } | undefined {
  for (const [text, op] of OPERATORS) {
    if (input.startsWith(text, at)) return { op, length: text.length }
  }
  return undefined
}

function isRegexLiteral (text: string): boolean {
  return text.length >= 2 && text.startsWith('/') && text.endsWith('/')
}

/**
 * A regex value: `=` and `=~` with /re/ match it, `!=` and `!~` with /re/ must not; `=~` and
 * `!~` without slashes take the text as the regex (MCollective: `foo=~bar`).
 */
function regexTest (op: FactOperator, raw: string, quoted: boolean, valueStart: number, input: string): { op: FactOperator, value: string } | undefined {
  const literal = !quoted && isRegexLiteral(raw)
  if (op === '=~' || op === '!~') {
    const source = literal ? raw.slice(1, -1) : raw
    compileRegex(source, valueStart, input)
    return { op, value: source }
  }
  if (!literal) return undefined
  if (op !== '=' && op !== '!=') throw new FilterParseError(`a /regex/ compares with = or =~ (or != and !~), not ${op}`, valueStart, input)
  compileRegex(raw.slice(1, -1), valueStart, input)
  return { op: op === '=' ? '=~' : '!~', value: raw.slice(1, -1) }
}

function checkValueStart (value: string, op: string, at: number, input: string): void {
  if (value === '') throw new FilterParseError(`missing value after '${op}'`, at, input)
  if (OPERATOR_CHARS.includes(value[0] ?? '')) {
    throw new FilterParseError(`unknown operator '${op}${value[0] ?? ''}' (operators: = == != < > <= >= => =< =~ !~; quote a value that starts with ${value[0] ?? ''})`, at - op.length, input)
  }
}

/** `-F fact=value` as MCollective reads it (spaces around the operator allowed; `"..."` quotes a value). */
export function parseFactTest (text: string, position = 0, input = text): FactTest {
  const nameMatch = /^\s*([^\s=<>!~]+)\s*/.exec(text)
  const name = nameMatch?.[1] ?? ''
  const opAt = nameMatch?.[0].length ?? 0
  const operator = readOperator(text, opAt)
  if (name === '' || operator === undefined) {
    throw new FilterParseError(`expected fact=value (operators = == != < > <= >= => =< =~ !~), got '${text}'`, position, input)
  }
  if (!NAME.test(name)) throw new FilterParseError(`'${name}' is not a fact name`, position, input)
  const opText = text.slice(opAt, opAt + operator.length)
  const afterOp = opAt + operator.length
  const rawWithSpace = text.slice(afterOp)
  const raw = rawWithSpace.trimStart()
  const valueStart = position + afterOp + (rawWithSpace.length - raw.length)
  checkValueStart(raw, opText, valueStart, input)
  let value = raw
  let quoted = false
  if (raw.startsWith('"') || raw.startsWith("'")) {
    const read = readQuoted(raw, 0, valueStart, input)
    if (raw.slice(read.end).trim() !== '') throw new FilterParseError('unexpected text after the quoted value', valueStart + read.end, input)
    quoted = true
    value = read.value
  }
  const regex = regexTest(operator.op, value, quoted, valueStart, input)
  if (regex !== undefined) return { fact: name, ...regex }
  return { fact: name, op: operator.op, value }
}

/** `-W "class fact=value ..."`: each word with an operator is a fact test, every other a class. */
export function parseWith (text: string): { facts: FactTest[], classes: Matcher[] } {
  const facts: FactTest[] = []
  const classes: Matcher[] = []
  let at = 0
  for (const word of text.split(' ')) {
    if (word !== '') {
      if (/[=<>]|!~/.test(word) && !isRegexLiteral(word)) facts.push(parseFactTest(word, at, text))
      else classes.push(parseMatcher(word, at, text))
    }
    at += word.length + 1
  }
  return { facts, classes }
}

type Token =
  | { type: '(' | ')' | 'and' | 'or' | 'not', position: number, text: string }
  | { type: 'statement', position: number, text: string, expr: Expr }

/** Reads a quoted string: backslash escapes the next character (MCollective's scanner). */
function readQuoted (input: string, start: number, offset = 0, whole = input): { value: string, end: number } {
  const quote = input[start]
  let value = ''
  let i = start + 1
  while (i < input.length) {
    const c = input[i] ?? ''
    if (c === '\\' && i + 1 < input.length) {
      value += input[i + 1]
      i += 2
      continue
    }
    if (c === quote) return { value, end: i + 1 }
    value += c
    i++
  }
  throw new FilterParseError('unterminated quoted value', offset + start, whole)
}

/** Reads /regex/ from its opening slash; an escaped slash stays in the pattern. */
function readRegex (input: string, start: number): { raw: string, end: number } {
  let i = start + 1
  while (i < input.length) {
    const c = input[i]
    if (c === '\\') { i += 2; continue }
    if (c === '/') return { raw: input.slice(start, i + 1), end: i + 1 }
    i++
  }
  throw new FilterParseError('unterminated /regex/', start, input)
}

const isSpace = (c: string | undefined): boolean => c !== undefined && /\s/.test(c)

function skipSpaces (input: string, i: number): number {
  while (isSpace(input[i])) i++
  return i
}

/** The value after an operator in -S: quoted, /regex/ or bare (to the next space or ')'). */
function readValue (input: string, at: number): { raw: string, quoted: boolean, end: number } {
  const c = input[at]
  if (c === '"' || c === "'") {
    const { value, end } = readQuoted(input, at)
    return { raw: value, quoted: true, end }
  }
  if (c === '/') {
    const { raw, end } = readRegex(input, at)
    return { raw, quoted: false, end }
  }
  let end = at
  while (end < input.length && !isSpace(input[end]) && input[end] !== ')') end++
  return { raw: input.slice(at, end), quoted: false, end }
}

function readComparison (input: string, at: number, what: string): { op: FactOperator, opText: string, raw: string, quoted: boolean, valueStart: number, end: number } {
  const operator = readOperator(input, at)
  if (operator === undefined) throw new FilterParseError(`expected an operator after ${what}`, at, input)
  const opText = input.slice(at, at + operator.length)
  const valueStart = skipSpaces(input, at + operator.length)
  const { raw, quoted, end } = readValue(input, valueStart)
  if (!quoted) checkValueStart(raw, opText, valueStart, input)
  return { op: operator.op, opText, raw, quoted, valueStart, end }
}

/** `source('param').field OP value`: a data statement (MCollective's fstatement). */
function readFunction (input: string, name: string, nameStart: number, open: number): { expr: Expr, end: number } {
  if (!SOURCE_NAME.test(name)) throw new FilterParseError(`'${name}' is not a data source name`, nameStart, input)
  const view = VIEW_SOURCES[name]
  const node = nodeDataSource(name)
  if (view === undefined && node === undefined) {
    throw new FilterParseError(`unknown data source '${name}' (known: ${dataSourceNames().join(', ')})`, nameStart, input)
  }
  let i = skipSpaces(input, open + 1)
  let param = ''
  let hasParam = false
  if (input[i] === '"' || input[i] === "'") {
    const quoted = readQuoted(input, i)
    param = quoted.value
    hasParam = true
    i = skipSpaces(input, quoted.end)
    if (input[i] === ',') throw new FilterParseError(`${name}() takes one parameter`, i, input)
  } else if (input[i] !== ')') {
    throw new FilterParseError(`${name}(...) takes its parameter in quotes: ${name}('...')`, i, input)
  }
  if (input[i] !== ')') throw new FilterParseError(`missing ')' after ${name}(`, i, input)
  i++
  const takesParam = view?.takesParam ?? node?.takesParam ?? true
  if (takesParam === true && !hasParam) throw new FilterParseError(`${name}() needs a parameter: ${name}('...')`, nameStart, input)
  if (takesParam === false && hasParam) throw new FilterParseError(`${name}() takes no parameter`, nameStart, input)
  const test: DataTest = { source: name, param }
  if (input[i] === '.') {
    let end = i + 1
    while (end < input.length && /[A-Za-z0-9_]/.test(input[end] ?? '')) end++
    const field = input.slice(i + 1, end)
    if (!FIELD.test(field)) throw new FilterParseError(`expected a field name after ${name}(...).`, i + 1, input)
    if (input[end] === '.') throw new FilterParseError(`${name}(...) has one level of fields: ${name}(...).${field}`, end, input)
    const fields = view?.fields ?? node?.fields ?? {}
    if (!Object.hasOwn(fields, field)) throw new FilterParseError(`${name}() has no field '${field}' (fields: ${Object.keys(fields).join(', ')})`, i + 1, input)
    test.field = field
    i = end
  }
  const next = skipSpaces(input, i)
  if (OPERATOR_CHARS.includes(input[next] ?? ' ') && !(input[next] === '!' && !'=~'.includes(input[next + 1] ?? ''))) {
    const comparison = readComparison(input, next, `${name}(...)`)
    const regex = regexTest(comparison.op, comparison.raw, comparison.quoted, comparison.valueStart, input)
    test.op = regex?.op ?? comparison.op
    test.value = regex?.value ?? comparison.raw
    i = comparison.end
  }
  return { expr: { kind: 'data', test }, end: i }
}

function readStatement (input: string, start: number): { expr: Expr, end: number } {
  if (input[start] === '/') {
    const { raw, end } = readRegex(input, start)
    const after = skipSpaces(input, end)
    if (OPERATOR_CHARS.includes(input[after] ?? ' ') && input[after] !== '!') {
      throw new FilterParseError(`a /regex/ cannot stand for a fact name (MCollective refuses '${raw}=...' too): to match a fact's value write fact=~${raw}`, start, input)
    }
    return { expr: { kind: 'class', match: parseMatcher(raw, start, input) }, end }
  }
  let i = start
  while (i < input.length && !isSpace(input[i]) && !'()=<>!~"\'/'.includes(input[i] ?? '')) i++
  const name = input.slice(start, i)
  if (name === '') throw new FilterParseError(`unexpected '${input[start] ?? ''}'`, start, input)
  if (input[i] === '(') return readFunction(input, name, start, i)
  const next = skipSpaces(input, i)
  const c = input[next]
  if (c !== undefined && OPERATOR_CHARS.includes(c) && !(c === '!' && !'=~'.includes(input[next + 1] ?? ''))) {
    if (!NAME.test(name)) throw new FilterParseError(`'${name}' is not a fact name`, start, input)
    const comparison = readComparison(input, next, `'${name}'`)
    const regex = regexTest(comparison.op, comparison.raw, comparison.quoted, comparison.valueStart, input)
    const test: FactTest = { fact: name, op: regex?.op ?? comparison.op, value: regex?.value ?? comparison.raw }
    return { expr: { kind: 'fact', test }, end: comparison.end }
  }
  if (!NAME.test(name)) throw new FilterParseError(`'${name}' is neither a class name nor a fact comparison`, start, input)
  return { expr: { kind: 'class', match: { exact: name } }, end: i }
}

function keywordAt (input: string, i: number): 'and' | 'or' | 'not' | undefined {
  for (const word of ['and', 'or', 'not'] as const) {
    if (input.startsWith(word, i)) {
      const after = input[i + word.length]
      if (after === undefined || isSpace(after) || after === '(') return word
    }
  }
  return undefined
}

/** The tokens of a -S expression, as MCollective's scanner names them (for the compatibility suite). */
export function scanCompound (input: string): Array<{ type: string, text: string }> {
  return tokenize(input).map(token => ({ type: token.type === 'statement' && token.expr.kind === 'data' ? 'fstatement' : token.type, text: token.text }))
}

function tokenize (input: string): Token[] {
  const tokens: Token[] = []
  let i = 0
  while (i < input.length) {
    const ch = input[i] ?? ''
    if (isSpace(ch)) { i++; continue }
    if (ch === '(' || ch === ')') {
      tokens.push({ type: ch, position: i, text: ch })
      i++
      continue
    }
    if (ch === '!') {
      if (input[i + 1] === '=' || input[i + 1] === '~') throw new FilterParseError(`'!${input[i + 1]}' needs a fact name before it`, i, input)
      tokens.push({ type: 'not', position: i, text: '!' })
      i++
      continue
    }
    const keyword = keywordAt(input, i)
    if (keyword !== undefined) {
      tokens.push({ type: keyword, position: i, text: keyword })
      i += keyword.length
      continue
    }
    const { expr, end } = readStatement(input, i)
    const after = input[end]
    if (after !== undefined && !isSpace(after) && after !== ')') throw new FilterParseError(`unexpected '${after}' after '${input.slice(i, end)}'`, end, input)
    tokens.push({ type: 'statement', position: i, text: input.slice(i, end), expr })
    i = end
  }
  return tokens
}

export interface CompoundOptions {
  /**
   * Read `and` and `or` with equal precedence, left to right, as actionpolicy evaluates a
   * policy line (Ruby's `and`/`or` words); the default is discovery's (`and` binds tighter, as
   * MCollective evaluates -S with && and ||).
   */
  flatAndOr?: boolean
}

export function parseCompound (input: string, options: CompoundOptions = {}): Expr {
  if (input.length > MAX_EXPRESSION) throw new FilterParseError(`expression longer than ${MAX_EXPRESSION} characters`, 0, input)
  const tokens = tokenize(input)
  let index = 0
  let depth = 0
  const peek = (): Token | undefined => tokens[index]
  const fail = (reason: string, token = peek()): never => {
    throw new FilterParseError(reason, token?.position ?? input.length, input)
  }

  const parseOr = (): Expr => {
    let left = parseAnd()
    for (let token = peek(); token?.type === 'or' || (options.flatAndOr === true && token?.type === 'and'); token = peek()) {
      index++
      left = { kind: token.type, left, right: parseAnd() }
    }
    return left
  }
  const parseAnd = (): Expr => {
    let left = parseNot()
    if (options.flatAndOr === true) return left
    while (peek()?.type === 'and') {
      index++
      left = { kind: 'and', left, right: parseNot() }
    }
    return left
  }
  const parseNot = (): Expr => {
    const token = peek()
    if (token?.type === 'not') {
      index++
      if (++depth > MAX_DEPTH) fail('expression nested too deeply', token)
      const expr: Expr = { kind: 'not', expr: parseNot() }
      depth--
      return expr
    }
    return parsePrimary()
  }
  const parsePrimary = (): Expr => {
    const token = peek()
    if (token === undefined) return fail('expression ends too early')
    if (token.type === '(') {
      index++
      if (++depth > MAX_DEPTH) fail('expression nested too deeply', token)
      const expr = parseOr()
      if (peek()?.type !== ')') fail("missing ')'")
      index++
      depth--
      return expr
    }
    if (token.type !== 'statement') return fail(`unexpected '${token.text}'`)
    index++
    return token.expr
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
  /** -W: combined classes and facts */
  with?: string[]
  select?: string
}

export function buildFilter (flags: FilterFlags): Filter {
  const filter: Filter = {
    facts: (flags.facts ?? []).map(text => parseFactTest(text)),
    classes: (flags.classes ?? []).map(text => parseMatcher(text)),
    identities: (flags.identities ?? []).map(text => parseMatcher(text)),
    agents: (flags.agents ?? []).map(text => parseMatcher(text))
  }
  for (const text of flags.with ?? []) {
    const { facts, classes } = parseWith(text)
    filter.facts.push(...facts)
    filter.classes.push(...classes)
  }
  if (flags.select !== undefined) filter.compound = parseCompound(flags.select)
  return filter
}
