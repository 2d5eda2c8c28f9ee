// The Debian package, built and installed system-wide for a test, and removed again: every test
// that installs it leaves the machine as it found it (package purged, /etc/troupe, /var/lib/troupe,
// /var/log/troupe, /run/troupe and instance init-script links gone, the troupe user removed if
// the test made it).
import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { buildDeb } from '../../packaging/build-deb.js'
import { runCommand, type CliResult } from './cli.js'

const SYSTEM_PATHS = ['/etc/troupe', '/var/lib/troupe', '/var/log/troupe', '/run/troupe']

function quiet (command: string, args: string[]): string {
  return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
}

function succeeds (command: string, args: string[]): boolean {
  try { quiet(command, args); return true } catch { return false }
}

/** Why the package cannot be installed here for a test, or undefined when it can. */
export function cannotInstallHere (): string | undefined {
  if (process.getuid?.() !== 0) return 'not root'
  if (!succeeds('dpkg-deb', ['--version'])) return 'no dpkg-deb'
  if (succeeds('dpkg-query', ['-W', '-f=${Status}', 'troupe']) && quiet('dpkg-query', ['-W', '-f=${Status}', 'troupe']).includes('installed')) {
    return 'a troupe package is already installed on this machine (not touched)'
  }
  const present = SYSTEM_PATHS.filter(path => existsSync(path))
  if (present.length > 0) return `${present.join(', ')} already exist${present.length === 1 ? 's' : ''} (not touched)`
  return undefined
}

/** The version after this one: the patch number plus one (0.1.0 -> 0.1.1). */
export function nextVersion (version: string): string {
  const [major = '0', minor = '0', patch = '0'] = version.split('-')[0]?.split('.') ?? []
  return `${major}.${minor}.${Number(patch) + 1}`
}

/**
 * dpkg and the init scripts are run inside the host's network namespace, when it has one: the
 * services postinst restarts are started where the host's services live.
 */
export class SystemInstall {
  constructor (private readonly netns?: string) {}

  private host (command: string, args: string[]): string {
    return this.netns === undefined ? quiet(command, args) : quiet('ip', ['netns', 'exec', this.netns, command, ...args])
  }

  private readonly userExisted = succeeds('getent', ['passwd', 'troupe'])
  private readonly groupExisted = succeeds('getent', ['group', 'troupe'])

  static build (version: string, out: string): string {
    return buildDeb({ version, out })
  }

  /** dpkg -i, as apt does under Puppet: changed conffiles are kept without a question. */
  install (deb: string): string {
    return this.host('dpkg', ['-i', '--force-confold', '--force-confdef', deb])
  }

  remove (purge = false): string {
    return this.host('dpkg', [purge ? '--purge' : '--remove', 'troupe'])
  }

  cleanup (): void {
    for (const script of existsSync('/etc/init.d') ? readdirSync('/etc/init.d') : []) {
      if (script.startsWith('troupe-')) try { this.host(`/etc/init.d/${script}`, ['stop']) } catch { /* not running */ }
    }
    try { this.host('dpkg', ['--purge', 'troupe']) } catch { /* not installed */ }
    for (const script of existsSync('/etc/init.d') ? readdirSync('/etc/init.d') : []) {
      if (script.startsWith('troupe-')) {
        try { quiet('update-rc.d', ['-f', script, 'remove']) } catch { /* not registered */ }
        rmSync(`/etc/init.d/${script}`, { force: true })
      }
    }
    for (const path of SYSTEM_PATHS) rmSync(path, { recursive: true, force: true })
    if (!this.userExisted) try { quiet('deluser', ['--system', 'troupe']) } catch { /* gone */ }
    if (!this.groupExisted && succeeds('getent', ['group', 'troupe'])) try { quiet('delgroup', ['--system', 'troupe']) } catch { /* gone */ }
  }
}

/** Runs a command (the installed troupe, an init script, puppet) inside a network namespace. */
export async function inNetns (netns: string, command: string, args: string[], options: { timeoutMs?: number, env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
  return await runCommand('ip', ['netns', 'exec', netns, command, ...args], { timeoutMs: options.timeoutMs ?? 120_000, env: options.env, label: `${command} ${args.join(' ')}` })
}

/** The pid in a pidfile, if that process is alive. */
export function pidFromFile (path: string): number | undefined {
  try {
    const pid = Number(readFileSync(path, 'utf8').trim())
    process.kill(pid, 0)
    return pid
  } catch {
    return undefined
  }
}

/** The user a process runs as (its real uid, by name). */
export function processUser (pid: number): string {
  const uid = /^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? ''
  return quiet('getent', ['passwd', uid]).split(':')[0] ?? ''
}
