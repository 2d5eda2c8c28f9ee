// rpcutil: the agent every node runs; answers questions about the node itself.
import type { Agent, AgentDDL } from '../types.js'
import { ActionError, Status } from '../types.js'
import { factValue } from '../../discovery/filter/evaluate.js'

const ddl: AgentDDL = {
  metadata: {
    name: 'rpcutil',
    description: 'General helpful actions that expose stats and internals to requesters',
    author: 'troupe',
    license: 'Apache-2.0',
    version: '1.0.0',
    timeout: 10
  },
  actions: {
    ping: {
      description: 'Responds to requests for PING with PONG',
      display: 'always',
      inputs: {},
      outputs: { pong: { description: 'The local timestamp (ms since epoch)', display_as: 'Timestamp' } }
    },
    inventory: {
      description: 'System inventory: agents, facts, classes, version and stats',
      display: 'always',
      inputs: {},
      outputs: {
        agents: { description: 'Agents on this node', display_as: 'Agents' },
        facts: { description: 'Facts', display_as: 'Facts' },
        classes: { description: 'Puppet classes', display_as: 'Classes' },
        version: { description: 'troupe version', display_as: 'Version' },
        collectives: { description: 'Collectives', display_as: 'Collectives' },
        main_collective: { description: 'Main collective', display_as: 'Main Collective' },
        uptime: { description: 'Daemon uptime in seconds', display_as: 'Uptime' },
        stats: { description: 'Request counters', display_as: 'Stats' }
      }
    },
    get_fact: {
      description: 'Retrieve a single fact (dotted names reach nested facts)',
      display: 'always',
      inputs: { fact: { description: 'The fact to retrieve', type: 'string', pattern: '^[A-Za-z0-9_][A-Za-z0-9_.:-]*$', maxLength: 256 } },
      outputs: { fact: { description: 'The name of the fact', display_as: 'Fact' }, value: { description: 'The value of the fact', display_as: 'Value' } },
      summaries: [{ output: 'value', kind: 'summary' }]
    },
    get_facts: {
      description: 'Retrieve several facts',
      display: 'always',
      inputs: { facts: { description: 'Facts to retrieve, comma separated', type: 'list', maxLength: 100 } },
      outputs: { values: { description: 'The values of the facts', display_as: 'Values' } }
    },
    agent_inventory: {
      description: 'Inventory of the agents on this node',
      display: 'always',
      inputs: {},
      outputs: { agents: { description: 'Agents and their metadata', display_as: 'Agents' } }
    },
    daemon_stats: {
      description: 'Statistics of the daemon',
      display: 'always',
      inputs: {},
      outputs: {
        agents: { description: 'Agents loaded', display_as: 'Agents' },
        pid: { description: 'Process id', display_as: 'PID' },
        starttime: { description: 'Start time (s since epoch)', display_as: 'Start Time' },
        version: { description: 'troupe version', display_as: 'Version' },
        configfile: { description: 'Config file', display_as: 'Config File' },
        total: { description: 'Requests received', display_as: 'Total Messages' },
        validated: { description: 'Requests that passed the gate', display_as: 'Validated' },
        unvalidated: { description: 'Requests refused at the gate', display_as: 'Unvalidated' },
        passed: { description: 'Requests that matched the filter', display_as: 'Passed Filter' },
        filtered: { description: 'Requests that did not match the filter', display_as: 'Filtered' },
        replies: { description: 'Replies sent', display_as: 'Replies' },
        ttlexpired: { description: 'Requests that had expired', display_as: 'TTL Expired' },
        replayed: { description: 'Requests refused as replays', display_as: 'Replayed' },
        refused: { description: 'Requests refused by key, rate or policy', display_as: 'Refused' },
        gossip_messages_in: { description: 'Gossip messages received, duplicates included', display_as: 'Gossip In' },
        gossip_messages_out: { description: 'Gossip messages sent', display_as: 'Gossip Out' },
        gossip_duplicates_in: { description: 'Gossip messages received again', display_as: 'Gossip Duplicates' },
        gossip_bytes_in: { description: 'Gossip bytes received', display_as: 'Gossip Bytes In' },
        gossip_bytes_out: { description: 'Gossip bytes sent', display_as: 'Gossip Bytes Out' },
        gossip_control_in: { description: 'Gossip control messages received', display_as: 'Gossip Control In' },
        gossip_control_out: { description: 'Gossip control messages sent', display_as: 'Gossip Control Out' },
        gossip_requests_in: { description: 'Copies of requests received by gossip, duplicates included', display_as: 'Gossip Requests In' },
        gossip_requests_out: { description: 'Copies of requests forwarded to mesh peers', display_as: 'Gossip Requests Out' },
        gossip_registry_in: { description: 'Copies of registrations and beats received, duplicates included', display_as: 'Gossip Registry In' },
        gossip_registry_out: { description: 'Copies of registrations and beats sent', display_as: 'Gossip Registry Out' },
        directory_size: { description: 'Nodes in this node\'s directory', display_as: 'Directory Size' },
        beat_interval: { description: 'Seconds between this node\'s beats', display_as: 'Beat Interval' },
        rss_bytes: { description: 'Resident memory of the daemon', display_as: 'RSS Bytes' }
      }
    },
    collective_info: {
      description: 'The collectives this node belongs to',
      display: 'always',
      inputs: {},
      outputs: { main_collective: { description: 'Main collective', display_as: 'Main Collective' }, collectives: { description: 'All collectives', display_as: 'Collectives' } }
    }
  }
}

export const rpcutil: Agent = {
  ddl,
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
