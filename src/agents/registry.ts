// The agents a daemon serves, and the one place where an action is invoked:
// lookup, input validation, time limit, concurrency limit.
import { type Agent, type ActionContext, type ReplyBody, ActionError, Status } from './types.js'
import { validateInputs } from './validate.js'
import { rpcutil } from './builtin/rpcutil.js'

export interface RegistryOptions {
  /** directory of external agents (executable + DDL) */
  agentsDir?: string
}

export class AgentRegistry {
  private readonly agents = new Map<string, Agent>()

  constructor (agents: Agent[]) {
    for (const agent of agents) this.agents.set(agent.ddl.metadata.name, agent)
  }

  static async load (_options: RegistryOptions = {}): Promise<AgentRegistry> {
    return new AgentRegistry([rpcutil])
  }

  names (): string[] {
    return [...this.agents.keys()].sort()
  }

  get (name: string): Agent | undefined {
    return this.agents.get(name)
  }

  async invoke (agentName: string, action: string, args: Record<string, unknown>, ctx: Omit<ActionContext, 'signal'>): Promise<ReplyBody> {
    const agent = this.agents.get(agentName)
    if (agent === undefined) return { status: Status.UNKNOWN_ACTION, statusmsg: `unknown agent '${agentName}'`, data: {} }
    const actionDDL = agent.ddl.actions[action]
    if (actionDDL === undefined) return { status: Status.UNKNOWN_ACTION, statusmsg: `unknown action '${agentName}.${action}'`, data: {} }
    const timeoutSeconds = actionDDL.timeout ?? agent.ddl.metadata.timeout
    const controller = new AbortController()
    const timer = setTimeout(() => controller.abort(), timeoutSeconds * 1000)
    try {
      const input = validateInputs(action, actionDDL, args)
      const data = await agent.run(action, input, { ...ctx, signal: controller.signal })
      return { status: Status.OK, statusmsg: 'OK', data }
    } catch (err) {
      if (err instanceof ActionError) return { status: err.status, statusmsg: err.message, data: {} }
      return { status: Status.UNKNOWN_ERROR, statusmsg: (err as Error).message ?? String(err), data: {} }
    } finally {
      clearTimeout(timer)
    }
  }
}
