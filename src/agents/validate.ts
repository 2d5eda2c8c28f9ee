// Input validation against an action's DDL, used on the requester (before sending) and again
// on the node (never trust the wire). Failures are status 3 (missing) or 4 (invalid), naming the
// input and the rule.
import { type ActionDDL, type InputDDL, ActionError, Status } from './types.js'

/** Characters a shell would interpret; refused in inputs marked shellsafe. */
const SHELL_UNSAFE = /[`$;&|<>*?()[\]{}~!\\'"\n\r\t #]/

export function validateInputs (actionName: string, ddl: ActionDDL, args: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const key of Object.keys(args)) {
    if (!Object.hasOwn(ddl.inputs, key)) throw new ActionError(Status.INVALID_DATA, `unknown input '${key}' for action ${actionName} (see troupe plugin doc)`)
  }
  for (const [name, input] of Object.entries(ddl.inputs)) {
    const value = args[name] ?? input.default
    if (value === undefined || value === null) {
      if (input.optional === true) continue
      throw new ActionError(Status.MISSING_DATA, `missing required input '${name}'`)
    }
    checkValue(name, input, value)
    out[name] = value
  }
  return out
}

function invalid (name: string, rule: string): never {
  throw new ActionError(Status.INVALID_DATA, `input '${name}' ${rule}`)
}

function checkValue (name: string, input: InputDDL, value: unknown): void {
  switch (input.type) {
    case 'string':
      if (typeof value !== 'string') invalid(name, 'must be a string')
      checkString(name, input, value)
      break
    case 'integer':
      if (typeof value !== 'number' || !Number.isInteger(value)) invalid(name, 'must be a whole number')
      checkRange(name, input, value)
      break
    case 'number':
      if (typeof value !== 'number' || !Number.isFinite(value)) invalid(name, 'must be a number')
      checkRange(name, input, value)
      break
    case 'boolean':
      if (typeof value !== 'boolean') invalid(name, 'must be true or false')
      break
    case 'list':
      if (!Array.isArray(value) || value.some(item => typeof item !== 'string')) invalid(name, 'must be a list of strings')
      if (input.maxLength !== undefined && value.length > input.maxLength) invalid(name, `has more than ${input.maxLength} items`)
      for (const item of value as string[]) checkString(name, { ...input, maxLength: undefined, minLength: undefined }, item)
      break
  }
  if (input.enum !== undefined && !input.enum.includes(value as string | number)) invalid(name, `must be one of ${input.enum.join(', ')}`)
}

function checkString (name: string, input: InputDDL, value: string): void {
  if (input.minLength !== undefined && value.length < input.minLength) invalid(name, `must be at least ${input.minLength} characters`)
  if (input.maxLength !== undefined && value.length > input.maxLength) invalid(name, `must be at most ${input.maxLength} characters`)
  if (input.shellsafe === true && SHELL_UNSAFE.test(value)) invalid(name, 'must not contain shell metacharacters')
  if (input.pattern !== undefined && !new RegExp(input.pattern).test(value)) invalid(name, `must match /${input.pattern}/`)
}

function checkRange (name: string, input: InputDDL, value: number): void {
  if (input.minimum !== undefined && value < input.minimum) invalid(name, `must be at least ${input.minimum}`)
  if (input.maximum !== undefined && value > input.maximum) invalid(name, `must be at most ${input.maximum}`)
}

/** Types `key=value` strings from the command line by the DDL (numbers, booleans, comma lists). */
export function coerceCliArgs (ddl: ActionDDL, pairs: Record<string, string>): Record<string, unknown> {
  const typed: Record<string, unknown> = {}
  for (const [name, text] of Object.entries(pairs)) {
    const input = ddl.inputs[name]
    if (input === undefined) {
      typed[name] = text
      continue
    }
    switch (input.type) {
      case 'integer':
      case 'number': {
        const value = Number(text)
        if (text.trim() === '' || !Number.isFinite(value) || (input.type === 'integer' && !Number.isInteger(value))) {
          invalid(name, `must be ${input.type === 'integer' ? 'a whole number' : 'a number'}, got '${text}'`)
        }
        typed[name] = value
        break
      }
      case 'boolean':
        if (!/^(true|false|yes|no|1|0)$/i.test(text)) invalid(name, `must be true or false, got '${text}'`)
        typed[name] = /^(true|yes|1)$/i.test(text)
        break
      case 'list':
        typed[name] = text === '' ? [] : text.split(',')
        break
      default:
        typed[name] = text
    }
  }
  return typed
}
