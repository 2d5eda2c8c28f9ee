// Validates a filter read from the network (inside a request, before its signature is even
// checked, inside gossipsub's validator): a hand-written check whose cost is linear in the
// input. A zod union over the recursive expression re-parsed every subtree once per union
// branch, so its time doubled with each level of nesting (`or` 24 deep froze every peer).
// Each node of the input is visited once; depth and size are bounded before recursing.
import { z } from 'zod'
import { FACT_OPERATORS, type DataTest, type Expr, type FactOperator, type FactTest, type Filter, type Matcher } from './types.js'

export const FILTER_LIMITS = { maxText: 1024, maxFactName: 256, maxList: 64, maxDepth: 32, maxNodes: 2048 } as const
const SOURCE_NAME = /^[a-z][a-z0-9_]{0,31}$/
const FIELD = /^[A-Za-z0-9_]{1,64}$/

class Invalid extends Error {}

/** Counts the work done, so tests can show it is linear without timing anything. */
export interface ValidationMeter {
  steps: number
}

type Obj = Record<string, unknown>

function isObject (value: unknown): value is Obj {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

function keysExactly (value: Obj, required: readonly string[], optional: readonly string[], where: string): void {
  for (const key of Object.keys(value)) {
    if (!required.includes(key) && !optional.includes(key)) throw new Invalid(`${where}: unexpected key '${key}'`)
  }
  for (const key of required) {
    if (!Object.hasOwn(value, key)) throw new Invalid(`${where}: missing '${key}'`)
  }
}

function text (value: unknown, max: number, where: string, min = 0): string {
  if (typeof value !== 'string' || value.length > max || value.length < min) throw new Invalid(`${where}: expected a string of ${min} to ${max} characters`)
  return value
}

function operator (value: unknown, where: string): FactOperator {
  if (typeof value !== 'string' || !(FACT_OPERATORS as readonly string[]).includes(value)) throw new Invalid(`${where}: unknown operator`)
  return value as FactOperator
}

function matcher (value: unknown, where: string): Matcher {
  if (!isObject(value)) throw new Invalid(`${where}: expected {exact} or {regex}`)
  if (Object.hasOwn(value, 'exact')) {
    keysExactly(value, ['exact'], [], where)
    return { exact: text(value.exact, FILTER_LIMITS.maxText, where) }
  }
  keysExactly(value, ['regex'], [], where)
  return { regex: text(value.regex, FILTER_LIMITS.maxText, where) }
}

function factTest (value: unknown, where: string): FactTest {
  if (!isObject(value)) throw new Invalid(`${where}: expected a fact test`)
  keysExactly(value, ['fact', 'op', 'value'], [], where)
  return { fact: text(value.fact, FILTER_LIMITS.maxFactName, where, 1), op: operator(value.op, where), value: text(value.value, FILTER_LIMITS.maxText, where) }
}

function dataTest (value: unknown, where: string): DataTest {
  if (!isObject(value)) throw new Invalid(`${where}: expected a data statement`)
  keysExactly(value, ['source', 'param'], ['field', 'op', 'value'], where)
  const source = text(value.source, 32, where, 1)
  if (!SOURCE_NAME.test(source)) throw new Invalid(`${where}: bad data source name`)
  const test: DataTest = { source, param: text(value.param, FILTER_LIMITS.maxText, where) }
  if (value.field !== undefined) {
    const field = text(value.field, 64, where, 1)
    if (!FIELD.test(field)) throw new Invalid(`${where}: bad field name`)
    test.field = field
  }
  if ((value.op === undefined) !== (value.value === undefined)) throw new Invalid(`${where}: op and value go together`)
  if (value.op !== undefined) {
    test.op = operator(value.op, where)
    test.value = text(value.value, FILTER_LIMITS.maxText, where)
  }
  return test
}

function expr (value: unknown, depth: number, meter: ValidationMeter): Expr {
  meter.steps += 1
  if (depth > FILTER_LIMITS.maxDepth) throw new Invalid('compound: nested too deeply')
  if (meter.steps > FILTER_LIMITS.maxNodes) throw new Invalid('compound: too many parts')
  if (!isObject(value)) throw new Invalid('compound: expected an expression object')
  switch (value.kind) {
    case 'fact':
      keysExactly(value, ['kind', 'test'], [], 'compound fact')
      return { kind: 'fact', test: factTest(value.test, 'compound fact') }
    case 'class':
      keysExactly(value, ['kind', 'match'], [], 'compound class')
      return { kind: 'class', match: matcher(value.match, 'compound class') }
    case 'data':
      keysExactly(value, ['kind', 'test'], [], 'compound data')
      return { kind: 'data', test: dataTest(value.test, 'compound data') }
    case 'not':
      keysExactly(value, ['kind', 'expr'], [], 'compound not')
      return { kind: 'not', expr: expr(value.expr, depth + 1, meter) }
    case 'and':
    case 'or':
      keysExactly(value, ['kind', 'left', 'right'], [], `compound ${value.kind}`)
      return { kind: value.kind, left: expr(value.left, depth + 1, meter), right: expr(value.right, depth + 1, meter) }
    default:
      throw new Invalid('compound: unknown kind')
  }
}

function list<T> (value: unknown, item: (value: unknown, where: string) => T, where: string): T[] {
  if (!Array.isArray(value) || value.length > FILTER_LIMITS.maxList) throw new Invalid(`${where}: expected a list of at most ${FILTER_LIMITS.maxList}`)
  return value.map((element, index) => item(element, `${where}[${index}]`))
}

export type FilterValidation = { ok: true, filter: Filter } | { ok: false, error: string }

/** Validates and copies a filter from the network; each input node is visited once. */
export function validateFilter (value: unknown, meter: ValidationMeter = { steps: 0 }): FilterValidation {
  try {
    if (!isObject(value)) throw new Invalid('filter: expected an object')
    keysExactly(value, ['facts', 'classes', 'identities', 'agents'], ['compound'], 'filter')
    const filter: Filter = {
      facts: list(value.facts, factTest, 'facts'),
      classes: list(value.classes, matcher, 'classes'),
      identities: list(value.identities, matcher, 'identities'),
      agents: list(value.agents, matcher, 'agents')
    }
    if (value.compound !== undefined) filter.compound = expr(value.compound, 1, meter)
    return { ok: true, filter }
  } catch (err) {
    if (err instanceof Invalid) return { ok: false, error: err.message }
    throw err
  }
}

/** The zod face of validateFilter, for the request schema (src/wire/request.ts). */
export const filterSchema: z.ZodType<Filter, z.ZodTypeDef, unknown> = z.unknown().transform((value, ctx) => {
  const result = validateFilter(value)
  if (!result.ok) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: result.error })
    return z.NEVER
  }
  return result.filter
})
