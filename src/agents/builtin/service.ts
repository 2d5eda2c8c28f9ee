// service: start, stop, restart and inspect services through systemd when it runs, else the
// sysvinit `service` command.
import { existsSync } from 'node:fs'
import type { Agent, ActionContext } from '../types.js'
import { ActionError, Status } from '../types.js'
import { serviceDDL } from './ddls.js'
import { runCommand, lastLine } from '../exec.js'
import { operand } from '../argv.js'

/** systemd is the service manager only when it booted the system, not merely when it is installed. */
function systemdRuns (): boolean {
  return existsSync('/run/systemd/system')
}

async function serviceStatus (name: string, ctx: ActionContext): Promise<'running' | 'stopped'> {
  if (systemdRuns()) {
    const result = await runCommand('systemctl', ['is-active', '--quiet', name], { signal: ctx.signal })
    return result.code === 0 ? 'running' : 'stopped'
  }
  const result = await runCommand('service', [name, 'status'], { signal: ctx.signal })
  if (/unrecognized service|not found/i.test(result.stderr + result.stdout) && result.code !== 0 && result.code !== 3) {
    throw new ActionError(Status.UNKNOWN_ERROR, `no service '${name}' on this node`)
  }
  return result.code === 0 ? 'running' : 'stopped'
}

export const serviceAgent: Agent = {
  ddl: serviceDDL,
  async run (actionName, input, ctx) {
    const name = operand(input.service, 'service')
    if (actionName === 'status') return { status: await serviceStatus(name, ctx) }
    if (!['start', 'stop', 'restart'].includes(actionName)) throw new ActionError(Status.UNKNOWN_ACTION, `unknown action service.${actionName}`)
    const result = systemdRuns()
      ? await runCommand('systemctl', [actionName, name], { signal: ctx.signal })
      : await runCommand('service', [name, actionName], { signal: ctx.signal })
    if (result.code !== 0) throw new ActionError(Status.UNKNOWN_ERROR, `${actionName} ${name} failed: ${lastLine(result.stderr) || lastLine(result.stdout) || `exit ${String(result.code)}`}`)
    return { status: await serviceStatus(name, ctx) }
  }
}
