// Input validation against an action's DDL, used on the requester (before sending) and
// again on the node (never trust the wire). Returns typed inputs with defaults applied.
import { type ActionDDL, ActionError, Status } from './types.js'

export function validateInputs (actionName: string, ddl: ActionDDL, args: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const key of Object.keys(args)) {
    if (!(key in ddl.inputs)) throw new ActionError(Status.INVALID_DATA, `unknown input '${key}' for action ${actionName}`)
  }
  for (const [name, input] of Object.entries(ddl.inputs)) {
    const value = args[name] ?? input.default
    if (value === undefined) {
      if (input.optional === true) continue
      throw new ActionError(Status.MISSING_DATA, `missing required input '${name}'`)
    }
    out[name] = value
  }
  return out
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
          throw new ActionError(Status.INVALID_DATA, `input '${name}' must be ${input.type === 'integer' ? 'a whole number' : 'a number'}, got '${text}'`)
        }
        typed[name] = value
        break
      }
      case 'boolean':
        if (!/^(true|false|yes|no|1|0)$/i.test(text)) throw new ActionError(Status.INVALID_DATA, `input '${name}' must be true or false, got '${text}'`)
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
