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
