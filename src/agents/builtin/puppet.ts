// puppet: the Puppet agent on each node, as MCollective's puppet agent exposes it.
import type { Agent, AgentDDL } from '../types.js'
import { ActionError, Status } from '../types.js'
import { PuppetBackend, type PuppetOptions } from './puppet-backend.js'

const statusOutputs = {
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

const ddl: AgentDDL = {
  metadata: { name: 'puppet', description: 'Run Puppet agents, see their status, enable and disable them', author: 'troupe', license: 'Apache-2.0', version: '1.0.0', timeout: 30 },
  actions: {
    status: { description: 'The status of the Puppet agent', display: 'always', inputs: {}, outputs: statusOutputs, summaries: [{ output: 'status', kind: 'summary' }, { output: 'enabled', kind: 'summary' }] },
    enable: { description: 'Enable the Puppet agent', display: 'always', inputs: {}, outputs: { enabled: statusOutputs.enabled, status: statusOutputs.status } },
    disable: {
      description: 'Disable the Puppet agent, with a message saying why',
      display: 'always',
      inputs: { message: { description: 'Why the agent is disabled', type: 'string', optional: true, default: 'disabled by troupe', maxLength: 120 } },
      outputs: { enabled: statusOutputs.enabled, status: statusOutputs.status, disable_message: statusOutputs.disable_message }
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
        lastrun: statusOutputs.lastrun,
        resources: { description: 'Resource counts', display_as: 'Resources' },
        changes: { description: 'Change counts', display_as: 'Changes' },
        events: { description: 'Event counts', display_as: 'Events' },
        total_time: { description: 'Run time, seconds', display_as: 'Total Time' },
        summary: { description: 'Short summary', display_as: 'Summary' }
      }
    }
  }
}

export function puppetAgent (options: PuppetOptions & { identity?: string } = {}): Agent {
  const backend = new PuppetBackend(options)
  return {
    ddl,
    async run (action, input, ctx) {
      switch (action) {
        case 'status': return await backend.status(ctx.signal)
        case 'enable':
          await backend.setEnabled(true, '', ctx.signal)
          return pick(await backend.status(ctx.signal), ['enabled', 'status'])
        case 'disable':
          await backend.setEnabled(false, String(input.message), ctx.signal)
          return pick(await backend.status(ctx.signal), ['enabled', 'status', 'disable_message'])
        case 'runonce': {
          if (input.splay === true) {
            const limit = typeof input.splaylimit === 'number' ? input.splaylimit : 30
            await new Promise(resolve => setTimeout(resolve, Math.random() * limit * 1000))
          }
          return await backend.runOnce({
            noop: input.noop === true,
            tags: input.tags as string[] | undefined,
            environment: input.environment as string | undefined,
            identity: ctx.node.identity
          }, ctx.signal)
        }
        case 'last_run_summary': return await backend.lastRunSummary(ctx.signal)
        default: throw new ActionError(Status.UNKNOWN_ACTION, `unknown action puppet.${action}`)
      }
    }
  }
}

function pick (data: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(keys.map(key => [key, data[key]]))
}
