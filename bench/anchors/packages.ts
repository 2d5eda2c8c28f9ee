// The comparison systems come from Debian's packages; the benchmark installs what is missing
// when it can (as root), and otherwise says what to install and skips that system.
import { spawnSync } from 'node:child_process'

/** Returns undefined when every package is installed, else why the system is skipped. */
export function ensureDebianPackages (packages: string[]): string | undefined {
  const missing = packages.filter(name => !/install ok installed/.test(spawnSync('dpkg-query', ['-W', '-f=${Status}', name], { encoding: 'utf8' }).stdout ?? ''))
  if (missing.length === 0) return undefined
  const install = `apt-get install -y --no-install-recommends ${missing.join(' ')}`
  if (process.getuid?.() !== 0) return `not installed (as root: ${install})`
  process.stderr.write(`bench: installing ${missing.join(' ')}\n`)
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
  spawnSync('apt-get', ['update', '-qq'], { stdio: 'ignore', env })
  const result = spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { stdio: 'ignore', env })
  return result.status === 0 ? undefined : `could not be installed (${install} failed)`
}
