// resource: browse and compare Puppet resources across the fleet through Puppet's resource
// abstraction layer (`puppet resource TYPE [TITLE] --to_yaml`). Read-only.
import { parse as parseYaml } from 'yaml'
import type { Agent, AgentDDL } from '../types.js'
import { ActionError, Status } from '../types.js'
import { runCommand, lastLine } from '../exec.js'
import { operand } from '../argv.js'
import type { PuppetOptions } from './puppet-backend.js'

const typeInput = { description: 'Resource type (package, user, service, file...)', type: 'string' as const, pattern: '^[a-z][a-z0-9_:]*$', maxLength: 64 }

const ddl: AgentDDL = {
  metadata: { name: 'resource', description: 'Browse and compare Puppet resources (read-only)', author: 'troupe', license: 'Apache-2.0', version: '1.0.0', timeout: 60 },
  actions: {
    find: {
      description: 'One resource and its properties, as Puppet sees it',
      display: 'always',
      inputs: { type: typeInput, title: { description: 'Resource title', type: 'string', maxLength: 256, pattern: '^[^\\n\\r\\x00]+$' } },
      outputs: { type: { description: 'Type', display_as: 'Type' }, title: { description: 'Title', display_as: 'Title' }, properties: { description: 'Properties', display_as: 'Properties' }, ensure: { description: 'ensure property', display_as: 'Ensure' } },
      summaries: [{ output: 'ensure', kind: 'summary' }]
    },
    search: {
      description: 'The titles of every resource of a type',
      display: 'always',
      inputs: { type: typeInput },
      outputs: { titles: { description: 'Titles', display_as: 'Titles' }, count: { description: 'How many', display_as: 'Count' } },
      summaries: [{ output: 'count', kind: 'sum' }]
    }
  }
}

export function resourceAgent (options: PuppetOptions = {}): Agent {
  return {
    ddl,
    async run (action, input, ctx) {
      const type = operand(input.type, 'type')
      const args = action === 'find' ? ['resource', type, operand(input.title, 'title'), '--to_yaml'] : ['resource', type, '--to_yaml']
      if (action !== 'find' && action !== 'search') throw new ActionError(Status.UNKNOWN_ACTION, `unknown action resource.${action}`)
      const result = await runCommand('puppet', [...args, ...(options.extraArgs ?? [])], { signal: ctx.signal, maxOutputBytes: 16 * 1024 * 1024 })
      if (result.code !== 0) throw new ActionError(Status.UNKNOWN_ERROR, `puppet resource failed: ${lastLine(result.stderr)}`)
      const parsed = parseYaml(result.stdout) as Record<string, Record<string, Record<string, unknown>>> | null
      const byTitle = parsed?.[type] ?? {}
      if (action === 'find') {
        const properties = byTitle[String(input.title)] ?? {}
        return { type, title: input.title, properties, ensure: properties.ensure ?? 'absent' }
      }
      const titles = Object.keys(byTitle).sort()
      return { titles: titles.slice(0, 5000), count: titles.length }
    }
  }
}
