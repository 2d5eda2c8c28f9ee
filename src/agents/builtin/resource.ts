// resource: browse and compare Puppet resources across the fleet through Puppet's resource
// abstraction layer (`puppet resource TYPE [TITLE] --to_yaml`). Read-only.
import { parse as parseYaml } from 'yaml'
import type { Agent } from '../types.js'
import { ActionError, Status } from '../types.js'
import { resourceDDL } from './ddls.js'
import { runCommand, lastLine } from '../exec.js'
import { operand } from '../argv.js'
import type { PuppetOptions } from './puppet-backend.js'

export function resourceAgent (options: PuppetOptions = {}): Agent {
  return {
    ddl: resourceDDL,
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
