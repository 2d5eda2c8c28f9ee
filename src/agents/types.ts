// The contract between the daemon and its agents. An agent is a DDL (what it offers,
// which inputs it takes and how they are validated) plus the code that runs its actions.

/** MCollective reply status codes. */
export const Status = {
  OK: 0,
  ABORTED: 1,
  UNKNOWN_ACTION: 2,
  MISSING_DATA: 3,
  INVALID_DATA: 4,
  UNKNOWN_ERROR: 5
} as const
export type StatusCode = typeof Status[keyof typeof Status]

export type InputType = 'string' | 'integer' | 'number' | 'boolean' | 'list'

export interface InputDDL {
  description: string
  type: InputType
  /** default false: the input must be given */
  optional?: boolean
  default?: string | number | boolean | string[]
  /** strings: a regex source the value must match */
  pattern?: string
  /** strings: shell-safe (no metacharacters) */
  shellsafe?: boolean
  enum?: Array<string | number>
  minLength?: number
  maxLength?: number
  minimum?: number
  maximum?: number
  /** redact in the audit log */
  secret?: boolean
  prompt?: string
}

export interface OutputDDL {
  description: string
  display_as: string
  default?: unknown
}

export type AggregateKind = 'summary' | 'sum' | 'average'

export interface SummaryDDL {
  /** output field aggregated over the replies */
  output: string
  kind: AggregateKind
}

export interface ActionDDL {
  description: string
  /** which replies the CLI shows by default (MCollective's `display`) */
  display?: 'ok' | 'failed' | 'always'
  inputs: Record<string, InputDDL>
  outputs: Record<string, OutputDDL>
  summaries?: SummaryDDL[]
  /** seconds; overrides the agent's timeout */
  timeout?: number
}

export interface AgentDDL {
  metadata: {
    name: string
    description: string
    author: string
    license: string
    version: string
    url?: string
    /** seconds an action may run before it is killed */
    timeout: number
  }
  actions: Record<string, ActionDDL>
}

/** What rpcutil and friends may ask of the daemon they run in. */
export interface NodeInfo {
  identity: string
  collective: string
  version: string
  startedAt: number
  configFile: string
  facts (): Record<string, unknown>
  classes (): string[]
  agents (): string[]
  /** name, description, version... of each agent, for rpcutil agent_inventory */
  agentMetadata (): Array<AgentDDL['metadata']>
  stats (): Record<string, number>
}

export interface ActionContext {
  requestId: string
  /** caller name (the authorized key's comment) */
  caller: string
  node: NodeInfo
  /** aborted when the action's time limit is reached or the daemon stops */
  signal: AbortSignal
}

export type ActionData = Record<string, unknown>

/** Thrown by an action to reply with a specific status. */
export class ActionError extends Error {
  constructor (readonly status: StatusCode, message: string) {
    super(message)
    this.name = 'ActionError'
  }
}

export interface Agent {
  ddl: AgentDDL
  run (action: string, input: Record<string, unknown>, ctx: ActionContext): Promise<ActionData>
}

export interface ReplyBody {
  status: StatusCode
  statusmsg: string
  data: ActionData
}
