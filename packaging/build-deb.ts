// `npm run package`: builds troupe_<version>_all.deb with dpkg-deb from the compiled tree. This
// file is the one place that decides where everything goes on a host; the tests read the .deb
// it makes, not this file.
//
//   node dist/packaging/build-deb.js [--version X.Y.Z] [--out DIR]
import { execFileSync } from 'node:child_process'
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { createHash } from 'node:crypto'
import { tmpdir } from 'node:os'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..')

/** Where things go on the host. */
export const LAYOUT = {
  /** the program: package.json, bin/, dist/, node_modules/ */
  prefix: '/usr/lib/troupe',
  command: '/usr/bin/troupe',
  units: '/lib/systemd/system',
  initd: '/etc/init.d',
  config: '/etc/troupe',
  logrotate: '/etc/logrotate.d/troupe',
  doc: '/usr/share/doc/troupe'
}

/** The services: the unit file in the repository is the source of the command line and the user. */
const SERVICES = [
  { name: 'troupe-daemon', unit: 'docs/examples/troupe-daemon.service', configFile: 'daemon.yaml', description: 'troupe node daemon' },
  { name: 'troupe-bootstrap', unit: 'bootstrap/troupe-bootstrap.service', configFile: 'bootstrap.yaml', description: 'troupe bootstrap service' }
]

/** Files in /etc/troupe: dpkg's conffiles, kept across upgrades and removal. */
const CONFIG_FILES: Array<[source: string, target: string]> = [
  ['packaging/etc/daemon.yaml', 'daemon.yaml'],
  ['bootstrap/bootstrap.example.yaml', 'bootstrap.yaml']
]

const EXAMPLES: Array<[source: string, target: string]> = [
  ['docs/examples/daemon.example.yaml', 'daemon.example.yaml'],
  ['bootstrap/bootstrap.example.yaml', 'bootstrap.example.yaml'],
  ['packaging/etc/client.yaml', 'client.example.yaml']
]

/** Only what runs is shipped from node_modules: no source maps, type declarations, TypeScript sources or docs. */
const PRUNED_FILE = /(\.map|\.d\.ts|\.d\.mts|\.d\.cts|\.ts|\.tsbuildinfo|\.md|\.markdown)$/i

const CONTROL = (version: string, installedKiB: number): string => `Package: troupe
Version: ${version}
Architecture: all
Maintainer: troupe developers <troupe@localhost>
Installed-Size: ${installedKiB}
Depends: nodejs (>= 20), adduser
Recommends: logrotate
Suggests: puppet-agent | puppet, facter
Section: admin
Priority: optional
Description: brokerless peer-to-peer orchestration mesh
 troupe runs predefined actions in parallel on the nodes a filter selects and
 collects their replies, as Puppet Enterprise's orchestration engine
 (MCollective with ActiveMQ) does, without a central message router.
 .
 This package holds the troupe command (daemon, bootstrap service and
 requester), its systemd units and init scripts, and commented configuration
 in /etc/troupe. See /usr/share/doc/troupe/packaging.md.
`

function run (command: string, args: string[], cwd?: string): string {
  return execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
}

/** A Debian version from an npm (semver) one: a pre-release sorts before its release. */
export function debianVersion (version: string): string {
  return version.replace('-', '~')
}

/** Reads ExecStart= and User=/Group= of a unit: the init script runs exactly this. */
export function unitCommand (unitText: string): { exec: string, args: string[], user: string, group: string, umask: string, stopTimeout: string } {
  const value = (key: string): string | undefined => new RegExp(`^${key}=(.*)$`, 'm').exec(unitText)?.[1]?.trim()
  const execStart = value('ExecStart')
  if (execStart === undefined) throw new Error('unit has no ExecStart=')
  const [exec, ...args] = execStart.split(/\s+/)
  if (exec === undefined || args.at(-2) !== '--config') throw new Error(`ExecStart= must end with --config FILE: ${execStart}`)
  const user = value('User') ?? 'root'
  return { exec, args: args.slice(0, -1), user, group: value('Group') ?? user, umask: value('UMask') ?? '0022', stopTimeout: value('TimeoutStopSec') ?? '90' }
}

function instanceUnit (unitText: string, configFile: string): string {
  const template = unitText
    .replace(`--config /etc/troupe/${configFile}`, `--config /etc/troupe/%i/${configFile}`)
    .replace(/^Description=(.*)$/m, 'Description=$1, instance %i')
    .replace(/^StateDirectory=(.*)$/m, 'StateDirectory=$1/%i')
  return template.replace(/^# \/lib\/systemd\/system\/([^ ]+)\.service — /m, '# /lib/systemd/system/$1@.service — instance %i of ')
}

function initScript (service: typeof SERVICES[number], unitText: string): string {
  const command = unitCommand(unitText)
  const values: Record<string, string> = {
    NAME: service.name,
    DESCRIPTION: service.description,
    CONFIG_FILE: service.configFile,
    EXEC: command.exec,
    ARGS: command.args.join(' '),
    USER: command.user,
    GROUP: command.group,
    UMASK: command.umask,
    STOP_TIMEOUT: command.stopTimeout
  }
  return readFileSync(join(repo, 'packaging', 'init.d.in'), 'utf8').replace(/@([A-Z_]+)@/g, (whole, key: string) => values[key] ?? whole)
}

function walk (dir: string, visit: (path: string) => void): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) walk(path, visit)
    else visit(path)
  }
}

/**
 * Copies the packages production needs, as npm's lock file resolves them (npm ls, offline): no
 * dev dependency, no network.
 */
function copyProductionModules (target: string): void {
  const source = join(repo, 'node_modules')
  const paths = run('npm', ['ls', '--omit=dev', '--all', '--parseable', '--offline'], repo).split('\n')
    .filter(path => path.startsWith(source + '/')).sort()
  let last = ''
  for (const path of paths) {
    // A package's own node_modules comes with it.
    if (last !== '' && path.startsWith(last + '/')) continue
    last = path
    cpSync(path, join(target, relative(source, path)), { recursive: true, verbatimSymlinks: true })
  }
}

function removeEmptyDirs (dir: string): boolean {
  let empty = true
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory() && removeEmptyDirs(join(dir, entry.name))) rmSync(join(dir, entry.name), { recursive: true })
    else empty = false
  }
  return empty
}

function place (root: string, target: string, content: string | Buffer, mode = 0o644): void {
  const path = join(root, target)
  mkdirSync(dirname(path), { recursive: true })
  writeFileSync(path, content)
  chmodSync(path, mode)
}

/** Lays out the program: the compiled tree and its production node_modules. */
function stageProgram (root: string, version: string): void {
  const prefix = join(root, LAYOUT.prefix)
  mkdirSync(prefix, { recursive: true })
  const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as Record<string, unknown>
  pkg.version = version
  delete pkg.scripts
  delete pkg.devDependencies
  writeFileSync(join(prefix, 'package.json'), JSON.stringify(pkg, null, 2) + '\n')
  copyFileSync(join(repo, 'package-lock.json'), join(prefix, 'package-lock.json'))
  cpSync(join(repo, 'bin'), join(prefix, 'bin'), { recursive: true })
  for (const part of ['src', 'bootstrap']) {
    cpSync(join(repo, 'dist', part), join(prefix, 'dist', part), { recursive: true, filter: source => !source.endsWith('.map') })
  }
  copyProductionModules(join(prefix, 'node_modules'))
  rmSync(join(prefix, 'package-lock.json'))
  walk(join(prefix, 'node_modules'), path => {
    if (PRUNED_FILE.test(path)) rmSync(path)
    else if (path.endsWith('.node')) throw new Error(`native module ${relative(prefix, path)}: the package could not be Architecture: all`)
    else chmodSync(path, 0o644)
  })
  removeEmptyDirs(join(prefix, 'node_modules'))
  mkdirSync(join(root, dirname(LAYOUT.command)), { recursive: true })
  symlinkSync(relative(dirname(LAYOUT.command), join(LAYOUT.prefix, 'bin', 'troupe.js')), join(root, LAYOUT.command))
}

function stageSystem (root: string): string[] {
  const conffiles: string[] = []
  for (const service of SERVICES) {
    const unit = readFileSync(join(repo, service.unit), 'utf8')
    place(root, `${LAYOUT.units}/${service.name}.service`, unit)
    place(root, `${LAYOUT.units}/${service.name}@.service`, instanceUnit(unit, service.configFile))
    place(root, `${LAYOUT.initd}/${service.name}`, initScript(service, unit), 0o755)
    conffiles.push(`${LAYOUT.initd}/${service.name}`)
  }
  for (const [source, target] of CONFIG_FILES) {
    place(root, `${LAYOUT.config}/${target}`, readFileSync(join(repo, source)))
    conffiles.push(`${LAYOUT.config}/${target}`)
  }
  place(root, LAYOUT.logrotate, readFileSync(join(repo, 'packaging', 'etc', 'logrotate')))
  conffiles.push(LAYOUT.logrotate)
  for (const [source, target] of EXAMPLES) place(root, `${LAYOUT.doc}/examples/${target}`, readFileSync(join(repo, source)))
  place(root, `${LAYOUT.doc}/README.md`, readFileSync(join(repo, 'README.md')))
  for (const doc of readdirSync(join(repo, 'docs')).filter(name => name.endsWith('.md'))) {
    place(root, `${LAYOUT.doc}/${doc}`, readFileSync(join(repo, 'docs', doc)))
  }
  place(root, `${LAYOUT.doc}/copyright`, 'troupe\nLicense: Apache-2.0\nOn Debian systems the full text is in /usr/share/common-licenses/Apache-2.0.\n')
  return conffiles
}

function stageControl (root: string, version: string, conffiles: string[]): void {
  const control = join(root, 'DEBIAN')
  mkdirSync(control, { recursive: true })
  let bytes = 0
  const sums: string[] = []
  walk(root, path => {
    if (path.startsWith(control)) return
    const stat = statSync(path, { throwIfNoEntry: false })
    if (stat === undefined) return
    bytes += stat.size
    if (!conffiles.includes('/' + relative(root, path))) {
      sums.push(`${createHash('md5').update(readFileSync(path)).digest('hex')}  ${relative(root, path)}`)
    }
  })
  writeFileSync(join(control, 'control'), CONTROL(version, Math.ceil(bytes / 1024)))
  writeFileSync(join(control, 'conffiles'), conffiles.join('\n') + '\n')
  writeFileSync(join(control, 'md5sums'), sums.sort().join('\n') + '\n')
  for (const script of ['postinst', 'prerm', 'postrm']) {
    copyFileSync(join(repo, 'packaging', 'debian', script), join(control, script))
    chmodSync(join(control, script), 0o755)
  }
}

export function buildDeb (options: { version?: string, out?: string } = {}): string {
  for (const built of [['cli', 'main.js'], ['services.cjs'], ['services.cjs.v8cache'], ['cli.cjs']]) {
    if (!existsSync(join(repo, 'dist', 'src', ...built))) throw new Error(`dist/src/${built.join('/')} is missing: run npm run build`)
  }
  const npmVersion = options.version ?? (JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { version: string }).version
  const version = debianVersion(npmVersion)
  const staging = mkdtempSync(join(tmpdir(), 'troupe-deb-'))
  try {
    const root = join(staging, 'root')
    stageProgram(root, npmVersion)
    const conffiles = stageSystem(root)
    stageControl(root, version, conffiles)
    const out = join(options.out ?? repo, `troupe_${version}_all.deb`)
    run('dpkg-deb', ['--root-owner-group', '-Zxz', '--build', root, out])
    return out
  } finally {
    rmSync(staging, { recursive: true, force: true })
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2)
  const option = (name: string): string | undefined => {
    const index = args.indexOf(name)
    return index >= 0 ? args[index + 1] : undefined
  }
  const out = buildDeb({ version: option('--version'), out: option('--out') })
  console.log(`${out} (${Math.round(statSync(out).size / 1024)} KiB)`)
}
