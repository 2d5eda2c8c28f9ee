// The DDLs this machine knows without asking the fleet: the built-in agents. The requester uses
// them to type and validate key=value inputs before sending (the nodes validate again). Read
// from the DDL module alone: the CLI does not load the agents' code to know their actions.
import type { ActionDDL, AgentDDL } from './types.js'
import { packageDDL, puppetDDL, resourceDDL, rpcutilDDL, serviceDDL } from './builtin/ddls.js'

/** In `troupe plugin doc` order (builtin/index.ts); a fresh list each call (callers add to it). */
export function knownAgentDDLs (): AgentDDL[] {
  return [rpcutilDDL, packageDDL, serviceDDL, puppetDDL, resourceDDL]
}

export function knownActionDDL (agent: string, action: string): ActionDDL | undefined {
  return knownAgentDDLs().find(ddl => ddl.metadata.name === agent)?.actions[action]
}
