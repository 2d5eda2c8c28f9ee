// The agents a daemon serves, and the one place where an action is invoked: lookup, input
// validation, a bounded number of concurrent actions (the rest queue), and a time limit.
import { type Agent, type ActionContext, type ReplyBody, ActionError, Status } from './types.js'
import { validateInputs } from './validate.js'
import { builtinAgents, type BuiltinOptions } from './builtin/index.js'
import { loadExternalAgents } from './external.js'

export interface RegistryOptions extends BuiltinOptions {
  /** directory of external agents (executable + DDL) */
  agentsDir?: string
  /** actions running at once; more wait in a queue */
  maxConcurrent?: number
  warn?: (message: string) => void
}

/** What prepare() makes of a request's arguments: validated inputs, or the reply that refuses them. */
export type Prepared = { input: Record<string, unknown> } | { reply: ReplyBody }

export class AgentRegistry {
  private readonly agents = new Map<string, Agent>()
  private running = 0
  private readonly queue: Array<() => void> = []

  constructor (agents: Agent[], private readonly maxConcurrent = 4) {
    for (const agent of agents) this.agents.set(agent.ddl.metadata.name, agent)
  }

  static async load (options: RegistryOptions = {}): Promise<AgentRegistry> {
    const agents = builtinAgents(options)
    if (options.agentsDir !== undefined) {
      for (const agent of loadExternalAgents(options.agentsDir, options.warn ?? (() => {}))) {
        if (agents.some(known => known.ddl.metadata.name === agent.ddl.metadata.name)) {
          options.warn?.(`external agent ${agent.ddl.metadata.name} skipped: a built-in agent has that name`)
        } else {
          agents.push(agent)
        }
      }
    }
    return new AgentRegistry(agents, options.maxConcurrent)
  }

  names (): string[] {
    return [...this.agents.keys()].sort()
  }

  get (name: string): Agent | undefined {
    return this.agents.get(name)
  }

  /** Lookup and input validation (never trust the wire): the inputs the action will get, or the reply refusing it. */
  prepare (agentName: string, action: string, args: Record<string, unknown>): Prepared {
    const agent = this.agents.get(agentName)
    if (agent === undefined) return { reply: { status: Status.UNKNOWN_ACTION, statusmsg: `unknown agent '${agentName}'`, data: {} } }
    const actionDDL = agent.ddl.actions[action]
    if (actionDDL === undefined) return { reply: { status: Status.UNKNOWN_ACTION, statusmsg: `unknown action '${agentName}.${action}'`, data: {} } }
    try {
      return { input: validateInputs(action, actionDDL, args) }
    } catch (err) {
      return { reply: failure(err) }
    }
  }

  async invoke (agentName: string, action: string, args: Record<string, unknown>, ctx: Omit<ActionContext, 'signal'>): Promise<ReplyBody> {
    const prepared = this.prepare(agentName, action, args)
    if ('reply' in prepared) return prepared.reply
    return await this.run(agentName, action, prepared.input, ctx)
  }

  /** Runs an action on inputs prepare() returned: at most maxConcurrent at once, within its time limit. */
  async run (agentName: string, action: string, input: Record<string, unknown>, ctx: Omit<ActionContext, 'signal'>): Promise<ReplyBody> {
    const agent = this.agents.get(agentName)
    const actionDDL = agent?.ddl.actions[action]
    if (agent === undefined || actionDDL === undefined) return { status: Status.UNKNOWN_ACTION, statusmsg: `unknown action '${agentName}.${action}'`, data: {} }
    const timeoutSeconds = actionDDL.timeout ?? agent.ddl.metadata.timeout
    await this.acquire()
    const controller = new AbortController()
    let timer: NodeJS.Timeout | undefined
    const timedOut = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => {
        controller.abort()
        reject(new ActionError(Status.UNKNOWN_ERROR, `timed out after ${timeoutSeconds} s`))
      }, timeoutSeconds * 1000)
    })
    try {
      const data = await Promise.race([agent.run(action, input, { ...ctx, signal: controller.signal }), timedOut])
      return { status: Status.OK, statusmsg: 'OK', data }
    } catch (err) {
      return failure(controller.signal.aborted ? new ActionError(Status.UNKNOWN_ERROR, `timed out after ${timeoutSeconds} s`) : err)
    } finally {
      clearTimeout(timer)
      this.release()
    }
  }

  private async acquire (): Promise<void> {
    if (this.running < this.maxConcurrent) {
      this.running += 1
      return
    }
    await new Promise<void>(resolve => this.queue.push(resolve))
  }

  private release (): void {
    const next = this.queue.shift()
    if (next !== undefined) next()
    else this.running -= 1
  }
}

function failure (err: unknown): ReplyBody {
  if (err instanceof ActionError) return { status: err.status, statusmsg: err.message, data: {} }
  return { status: Status.UNKNOWN_ERROR, statusmsg: err instanceof Error ? err.message : String(err), data: {} }
}
