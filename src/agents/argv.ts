// Caller-supplied values on a command line. A value that reaches argv where it can be read as an
// option (`--modulepath=...`, `--agent_disabled_lockfile=...`) changes what the command does, so:
// a value used as an operand (a package, service, resource name) may not start with '-', and a
// value given to an option is attached to it with '=' (an optional-argument option would
// otherwise skip a value that looks like an option and read it as one).
import { ActionError, Status } from './types.js'

/** A caller's value as a command operand; refused (status 4) when it would read as an option. */
export function operand (value: unknown, input: string): string {
  const text = String(value)
  if (text.startsWith('-')) throw new ActionError(Status.INVALID_DATA, `${input} may not start with '-': it would be read as an option`)
  return text
}

/** A caller's value for an option, as one argument (`--flag=value`) that can only be that option's value. */
export function optionValue (flag: string, value: string): string {
  return `${flag}=${value}`
}
