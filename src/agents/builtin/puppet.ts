// puppet: the Puppet agent on each node, as MCollective's puppet agent exposes it.
import type { Agent } from '../types.js'
import { ActionError, Status } from '../types.js'
import { puppetDDL } from './ddls.js'
import { PuppetBackend, type PuppetOptions } from './puppet-backend.js'

export function puppetAgent (options: PuppetOptions & { identity?: string } = {}): Agent {
  const backend = new PuppetBackend(options)
  return {
    ddl: puppetDDL,
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
