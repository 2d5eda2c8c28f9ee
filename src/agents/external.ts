// External agents: any executable with a DDL beside it in agents_dir (NAME + NAME.json). The
// request goes to the executable as JSON on stdin; its reply is JSON on stdout:
//   stdin:  {"agent":..., "action":..., "input":{...}, "caller":..., "request_id":...}
//   stdout: {"data":{...}, "statusmsg"?: "...", "status"?: 0-5}
// Garbage on stdout, or a non-zero exit, is status 5 with the reason.
import { accessSync, constants, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Agent, ActionContext, ActionData, AgentDDL, StatusCode } from './types.js'
import { ActionError, Status } from './types.js'
import { parseAgentDDL } from './ddl-schema.js'
import { runCommand, lastLine } from './exec.js'
import { describeZodError } from '../config/load.js'
import type { ZodError } from 'zod'

export function loadExternalAgents (dir: string, warn: (message: string) => void): Agent[] {
  let files: string[]
  try {
    files = readdirSync(dir)
  } catch (err) {
    warn(`cannot read agents_dir ${dir}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`)
    return []
  }
  const agents: Agent[] = []
  for (const file of files.filter(name => name.endsWith('.json')).sort()) {
    const ddlPath = join(dir, file)
    const executable = join(dir, file.slice(0, -'.json'.length))
    let ddl: AgentDDL
    try {
      ddl = parseAgentDDL(JSON.parse(readFileSync(ddlPath, 'utf8')))
    } catch (err) {
      const reason = err instanceof SyntaxError ? `not JSON (${err.message})` : describeZodError(err as ZodError)
      warn(`agent DDL ${ddlPath} skipped: ${reason}`)
      continue
    }
    try {
      accessSync(executable, constants.X_OK)
    } catch {
      warn(`agent ${ddl.metadata.name} skipped: ${executable} is missing or not executable`)
      continue
    }
    agents.push(externalAgent(ddl, executable))
  }
  return agents
}

function externalAgent (ddl: AgentDDL, executable: string): Agent {
  return {
    ddl,
    async run (action: string, input: Record<string, unknown>, ctx: ActionContext): Promise<ActionData> {
      const request = JSON.stringify({ agent: ddl.metadata.name, action, input, caller: ctx.caller, request_id: ctx.requestId })
      const result = await runCommand(executable, [action], { input: request, signal: ctx.signal, env: { TROUPE_AGENT: ddl.metadata.name, TROUPE_ACTION: action } })
      if (result.code !== 0) throw new ActionError(Status.UNKNOWN_ERROR, `agent exited with code ${String(result.code)}: ${lastLine(result.stderr) || 'no message'}`)
      let reply: unknown
      try {
        reply = JSON.parse(result.stdout)
      } catch {
        throw new ActionError(Status.UNKNOWN_ERROR, `agent printed something that is not JSON: ${result.stdout.slice(0, 80).trim()}`)
      }
      if (typeof reply !== 'object' || reply === null || Array.isArray(reply)) throw new ActionError(Status.UNKNOWN_ERROR, 'agent reply is not a JSON object')
      const { data, status, statusmsg } = reply as { data?: unknown, status?: unknown, statusmsg?: unknown }
      if (typeof status === 'number' && status !== 0) {
        const code = (Number.isInteger(status) && status >= 1 && status <= 5 ? status : 5) as StatusCode
        throw new ActionError(code, typeof statusmsg === 'string' ? statusmsg : 'agent reported a failure')
      }
      if (data !== undefined && (typeof data !== 'object' || data === null || Array.isArray(data))) throw new ActionError(Status.UNKNOWN_ERROR, 'agent reply "data" is not an object')
      return (data ?? {}) as ActionData
    }
  }
}
