// The DDLs this machine knows without asking the fleet: the built-in agents. The requester uses
// them to type and validate key=value inputs before sending (the nodes validate again).
import type { ActionDDL, AgentDDL } from './types.js'
import { builtinAgents } from './builtin/index.js'

export function knownAgentDDLs (): AgentDDL[] {
  return builtinAgents().map(agent => agent.ddl)
}

export function knownActionDDL (agent: string, action: string): ActionDDL | undefined {
  return knownAgentDDLs().find(ddl => ddl.metadata.name === agent)?.actions[action]
}
