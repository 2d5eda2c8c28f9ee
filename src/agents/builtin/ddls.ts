// The DDLs of the built-in agents, apart from the agents' code: the CLI types and checks inputs,
// picks timeouts and renders replies from them without loading the agents (src/cli/lean.ts).
import type { AgentDDL } from '../types.js'

// rpcutil
export const rpcutilDDL: AgentDDL = {
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
        direct_requests_in: { description: 'Requests the requester sent this node itself, not by gossip (a repeat included)', display_as: 'Direct Requests In' },
        gossip_registry_in: { description: 'Copies of registrations received, duplicates included', display_as: 'Gossip Registry In' },
        gossip_registry_out: { description: 'Copies of registrations sent', display_as: 'Gossip Registry Out' },
        gossip_beats_in: { description: 'Copies of beats received (none on a daemon: only requesters and bootstraps hear beats)', display_as: 'Gossip Beats In' },
        gossip_beats_out: { description: 'Copies of beats sent (a daemon\'s own, to the requesters and bootstraps it is connected to)', display_as: 'Gossip Beats Out' },
        directory_size: { description: 'Nodes in this node\'s directory', display_as: 'Directory Size' },
        connections: { description: 'Connections open to other peers (bootstraps, requesters, mesh peers)', display_as: 'Connections' },
        beat_interval: { description: 'Seconds between this node\'s beats', display_as: 'Beat Interval' },
        rss_bytes: { description: 'Resident memory of the daemon', display_as: 'RSS Bytes' },
        v8_max_opt: { description: 'Highest V8 compiler tier the daemon uses (1: baseline only; 999: all)', display_as: 'V8 Max Tier' },
        v8_young_generation_bytes: { description: 'Size of V8\'s young generation, both semi-spaces (pinned when the daemon starts: 2 to 4 MiB)', display_as: 'V8 Young Generation' }
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

// package
const packageInput = {
  package: { description: 'Package name', type: 'string' as const, shellsafe: true, maxLength: 90, pattern: '^[a-z0-9][a-z0-9+.-]*(:[a-z0-9]+)?$', prompt: 'Package Name' }
}
const packageOutputs = {
  name: { description: 'Package name', display_as: 'Name' },
  ensure: { description: 'Installed version, or absent', display_as: 'Ensure' },
  version: { description: 'Installed version', display_as: 'Version' },
  arch: { description: 'Architecture', display_as: 'Arch' },
  status: { description: "dpkg's status", display_as: 'Status' },
  output: { description: 'Output of apt-get', display_as: 'Output' }
}
const packageChange = (description: string): AgentDDL['actions'][string] => ({ description, display: 'always', inputs: packageInput, outputs: packageOutputs, summaries: [{ output: 'ensure', kind: 'summary' }], timeout: 600 })

export const packageDDL: AgentDDL = {
  metadata: { name: 'package', description: 'Install, update, remove and inspect Debian packages', author: 'troupe', license: 'Apache-2.0', version: '1.0.0', timeout: 180 },
  actions: {
    status: { description: 'The installed version of a package', display: 'always', inputs: packageInput, outputs: packageOutputs, summaries: [{ output: 'ensure', kind: 'summary' }] },
    install: packageChange('Install a package'),
    update: packageChange('Upgrade an installed package to the newest version'),
    uninstall: packageChange('Remove a package (keeping its configuration)'),
    purge: packageChange('Remove a package and its configuration')
  }
}

// service
const serviceInput = {
  service: { description: 'Service name', type: 'string' as const, shellsafe: true, maxLength: 128, pattern: '^[A-Za-z0-9][A-Za-z0-9@._-]*$', prompt: 'Service Name' }
}
const serviceOutputs = { status: { description: 'running or stopped', display_as: 'Service Status' } }
const serviceAction = (description: string): AgentDDL['actions'][string] => ({ description, display: 'always', inputs: serviceInput, outputs: serviceOutputs, summaries: [{ output: 'status', kind: 'summary' }] })

export const serviceDDL: AgentDDL = {
  metadata: { name: 'service', description: 'Start, stop and inspect system services', author: 'troupe', license: 'Apache-2.0', version: '1.0.0', timeout: 60 },
  actions: { status: serviceAction('The status of a service'), start: serviceAction('Start a service'), stop: serviceAction('Stop a service'), restart: serviceAction('Restart a service') }
}

// resource
const resourceTypeInput = { description: 'Resource type (package, user, service, file...)', type: 'string' as const, pattern: '^[a-z][a-z0-9_:]*$', maxLength: 64 }

export const resourceDDL: AgentDDL = {
  metadata: { name: 'resource', description: 'Browse and compare Puppet resources (read-only)', author: 'troupe', license: 'Apache-2.0', version: '1.0.0', timeout: 60 },
  actions: {
    find: {
      description: 'One resource and its properties, as Puppet sees it',
      display: 'always',
      inputs: { type: resourceTypeInput, title: { description: 'Resource title', type: 'string', maxLength: 256, pattern: '^[^\\n\\r\\x00]+$' } },
      outputs: { type: { description: 'Type', display_as: 'Type' }, title: { description: 'Title', display_as: 'Title' }, properties: { description: 'Properties', display_as: 'Properties' }, ensure: { description: 'ensure property', display_as: 'Ensure' } },
      summaries: [{ output: 'ensure', kind: 'summary' }]
    },
    search: {
      description: 'The titles of every resource of a type',
      display: 'always',
      inputs: { type: resourceTypeInput },
      outputs: { titles: { description: 'Titles', display_as: 'Titles' }, count: { description: 'How many', display_as: 'Count' } },
      summaries: [{ output: 'count', kind: 'sum' }]
    }
  }
}

// puppet
const puppetStatusOutputs = {
  applying: { description: 'Is a catalog being applied', display_as: 'Applying' },
  enabled: { description: 'Is the agent enabled', display_as: 'Enabled' },
  daemon_present: { description: 'Is the Puppet agent daemon running', display_as: 'Daemon Running' },
  lastrun: { description: 'When the last run finished (s since epoch)', display_as: 'Last Run' },
  since_lastrun: { description: 'Seconds since the last run', display_as: 'Since Last Run' },
  status: { description: 'applying a catalog, idling, stopped or disabled', display_as: 'Status' },
  idling: { description: 'Is the daemon idling', display_as: 'Idling' },
  disable_message: { description: 'Why the agent was disabled', display_as: 'Lock Message' },
  message: { description: 'Description of the status', display_as: 'Message' }
}

export const puppetDDL: AgentDDL = {
  metadata: { name: 'puppet', description: 'Run Puppet agents, see their status, enable and disable them', author: 'troupe', license: 'Apache-2.0', version: '1.0.0', timeout: 30 },
  actions: {
    status: { description: 'The status of the Puppet agent', display: 'always', inputs: {}, outputs: puppetStatusOutputs, summaries: [{ output: 'status', kind: 'summary' }, { output: 'enabled', kind: 'summary' }] },
    enable: { description: 'Enable the Puppet agent', display: 'always', inputs: {}, outputs: { enabled: puppetStatusOutputs.enabled, status: puppetStatusOutputs.status } },
    disable: {
      description: 'Disable the Puppet agent, with a message saying why',
      display: 'always',
      inputs: { message: { description: 'Why the agent is disabled', type: 'string', optional: true, default: 'disabled by troupe', maxLength: 120 } },
      outputs: { enabled: puppetStatusOutputs.enabled, status: puppetStatusOutputs.status, disable_message: puppetStatusOutputs.disable_message }
    },
    runonce: {
      description: 'Run Puppet once and wait for it to finish',
      display: 'always',
      inputs: {
        noop: { description: 'Do a no-op run', type: 'boolean', optional: true },
        tags: { description: 'Restrict the run to these tags', type: 'list', optional: true, maxLength: 32, pattern: '^[A-Za-z0-9_:.-]+$' },
        environment: { description: 'Puppet environment', type: 'string', optional: true, maxLength: 64, pattern: '^[A-Za-z0-9_]+$' },
        splay: { description: 'Sleep a random time before the run', type: 'boolean', optional: true },
        splaylimit: { description: 'Longest splay, seconds', type: 'integer', optional: true, minimum: 1, maximum: 3600 }
      },
      outputs: { summary: { description: 'What happened', display_as: 'Summary' }, exitcode: { description: "Puppet's exit code", display_as: 'Exit Code' } },
      timeout: 3600
    },
    last_run_summary: {
      description: 'Summary of the last Puppet run (resources, changes, events, times)',
      display: 'always',
      inputs: {},
      outputs: {
        lastrun: puppetStatusOutputs.lastrun,
        resources: { description: 'Resource counts', display_as: 'Resources' },
        changes: { description: 'Change counts', display_as: 'Changes' },
        events: { description: 'Event counts', display_as: 'Events' },
        total_time: { description: 'Run time, seconds', display_as: 'Total Time' },
        summary: { description: 'Short summary', display_as: 'Summary' }
      }
    }
  }
}
