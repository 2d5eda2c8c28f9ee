// rpcutil: the agent every node runs; answers questions about the node itself.
import type { Agent } from '../types.js'
import { ActionError, Status } from '../types.js'
import { rpcutilDDL } from './ddls.js'
import { factValue } from '../../discovery/filter/fact-value.js'

export const rpcutil: Agent = {
  ddl: rpcutilDDL,
  async run (action, input, ctx) {
    const node = ctx.node
    switch (action) {
      case 'ping': return { pong: Date.now() }
      case 'inventory': return {
        agents: node.agents(),
        facts: node.facts(),
        classes: node.classes(),
        version: node.version,
        collectives: [node.collective],
        main_collective: node.collective,
        uptime: Math.round((Date.now() - node.startedAt) / 1000),
        stats: node.stats()
      }
      case 'get_fact': return { fact: input.fact, value: factValue(node.facts(), String(input.fact)) ?? null }
      case 'get_facts': return { values: Object.fromEntries((input.facts as string[]).map(name => [name, factValue(node.facts(), name) ?? null])) }
      case 'agent_inventory': return { agents: node.agentMetadata() }
      case 'daemon_stats': return {
        ...node.stats(),
        agents: node.agents(),
        pid: process.pid,
        starttime: Math.round(node.startedAt / 1000),
        version: node.version,
        configfile: node.configFile
      }
      case 'collective_info': return { main_collective: node.collective, collectives: [node.collective] }
      default: throw new ActionError(Status.UNKNOWN_ACTION, `unknown action rpcutil.${action}`)
    }
  }
}
