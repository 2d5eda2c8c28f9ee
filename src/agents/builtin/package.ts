// package: Debian packages through dpkg-query and apt-get (never a shell; names validated).
import type { Agent, ActionContext } from '../types.js'
import { ActionError, Status } from '../types.js'
import { packageDDL } from './ddls.js'
import { runCommand, lastLine } from '../exec.js'
import { operand } from '../argv.js'

async function packageStatus (name: string, ctx: ActionContext): Promise<Record<string, unknown>> {
  const result = await runCommand('dpkg-query', ['-W', '-f=${Status}\t${Version}\t${Architecture}', name], { signal: ctx.signal })
  const [status = '', version = '', arch = ''] = result.code === 0 ? result.stdout.split('\t') : []
  const installed = status.endsWith(' installed')
  return { name, ensure: installed ? version : (status === '' ? 'absent' : status.split(' ').pop() ?? 'absent'), version: installed ? version : null, arch: arch || null, status: status || 'not known to dpkg' }
}

const APT_ARGS: Record<string, string[]> = {
  install: ['install', '-y', '-q'],
  update: ['install', '-y', '-q', '--only-upgrade'],
  uninstall: ['remove', '-y', '-q'],
  purge: ['purge', '-y', '-q']
}

export const packageAgent: Agent = {
  ddl: packageDDL,
  async run (action, input, ctx) {
    const name = operand(input.package, 'package')
    if (action === 'status') return await packageStatus(name, ctx)
    const args = APT_ARGS[action]
    if (args === undefined) throw new ActionError(Status.UNKNOWN_ACTION, `unknown action package.${action}`)
    const result = await runCommand('apt-get', [...args, name], { signal: ctx.signal, env: { DEBIAN_FRONTEND: 'noninteractive' } })
    if (result.code !== 0) throw new ActionError(Status.UNKNOWN_ERROR, `apt-get ${args[0] ?? ''} ${name} failed: ${lastLine(result.stderr) || lastLine(result.stdout)}`)
    return { ...await packageStatus(name, ctx), output: lastLine(result.stdout) }
  }
}
