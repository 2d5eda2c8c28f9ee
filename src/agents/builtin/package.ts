// package: Debian packages through dpkg-query and apt-get (never a shell; names validated).
import type { Agent, AgentDDL, ActionContext } from '../types.js'
import { ActionError, Status } from '../types.js'
import { runCommand, lastLine } from '../exec.js'
import { operand } from '../argv.js'

const packageInput = {
  package: { description: 'Package name', type: 'string' as const, shellsafe: true, maxLength: 90, pattern: '^[a-z0-9][a-z0-9+.-]*(:[a-z0-9]+)?$', prompt: 'Package Name' }
}
const outputs = {
  name: { description: 'Package name', display_as: 'Name' },
  ensure: { description: 'Installed version, or absent', display_as: 'Ensure' },
  version: { description: 'Installed version', display_as: 'Version' },
  arch: { description: 'Architecture', display_as: 'Arch' },
  status: { description: "dpkg's status", display_as: 'Status' },
  output: { description: 'Output of apt-get', display_as: 'Output' }
}
const change = (description: string): AgentDDL['actions'][string] => ({ description, display: 'always', inputs: packageInput, outputs, summaries: [{ output: 'ensure', kind: 'summary' }], timeout: 600 })

const ddl: AgentDDL = {
  metadata: { name: 'package', description: 'Install, update, remove and inspect Debian packages', author: 'troupe', license: 'Apache-2.0', version: '1.0.0', timeout: 180 },
  actions: {
    status: { description: 'The installed version of a package', display: 'always', inputs: packageInput, outputs, summaries: [{ output: 'ensure', kind: 'summary' }] },
    install: change('Install a package'),
    update: change('Upgrade an installed package to the newest version'),
    uninstall: change('Remove a package (keeping its configuration)'),
    purge: change('Remove a package and its configuration')
  }
}

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
  ddl,
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
