// Data sources for `-S` statements, in the manner of MCollective's data plugins:
//
//   fstat("/etc/motd").size>0     resource("File[/etc/motd]").managed=true
//   puppet().enabled=false        fact("os.family")=Debian     agent("puppet")
//
// `fact` and `agent` read what a directory entry holds too, so the requester can evaluate
// them. The others read the node itself and are evaluated only there (the requester then
// discovers by broadcast: each node decides). Each lookup is charged to the request's budget.
//
// Adding one: write a NodeDataSource (name, fields, default field, read) and add it to
// NODE_SOURCES below (or call registerDataSource before the daemon starts); docs/filters.md
// says what each field means. A source reads only the node it runs on, synchronously and
// cheaply, never runs a command, and returns undefined when it has no data.
import { createHash } from 'node:crypto'
import { existsSync, openSync, readSync, closeSync, readFileSync, statSync, type Stats } from 'node:fs'
import { dirname, isAbsolute, join } from 'node:path'
import { createRequire } from 'node:module'
import type { DataLookup, DataTest, NodeView } from './types.js'
import type { EvalBudget } from './budget.js'
import { factValue } from './fact-value.js'

/** Where a node finds Puppet's state (classes.txt, resources.txt, lock files). */
export interface HostContext {
  statedirs: readonly string[]
}

export interface NodeDataSource {
  name: string
  description: string
  /** what `source("x")` alone, or compared without a field, reads */
  defaultField: string
  fields: Readonly<Record<string, string>>
  /** false: the source takes no parameter (`puppet()`); 'optional': either */
  takesParam: boolean | 'optional'
  read: (param: string, host: HostContext, field: string) => Record<string, unknown> | undefined
}

const MAX_MD5_BYTES = 16 * 1024 * 1024

function fileType (stat: Stats): string {
  if (stat.isFile()) return 'file'
  if (stat.isDirectory()) return 'directory'
  if (stat.isSymbolicLink()) return 'symlink'
  if (stat.isSocket()) return 'socket'
  if (stat.isCharacterDevice()) return 'chardev'
  if (stat.isBlockDevice()) return 'blockdev'
  if (stat.isFIFO()) return 'fifo'
  return 'unknown'
}

function md5 (path: string, size: number): string | undefined {
  if (size > MAX_MD5_BYTES) return undefined
  const hash = createHash('md5')
  const buffer = Buffer.alloc(64 * 1024)
  const fd = openSync(path, 'r')
  try {
    for (let read = readSync(fd, buffer); read > 0; read = readSync(fd, buffer)) hash.update(buffer.subarray(0, read))
  } finally {
    closeSync(fd)
  }
  return hash.digest('hex')
}

const fstat: NodeDataSource = {
  name: 'fstat',
  description: 'a file or directory on the node (MCollective fstat)',
  defaultField: 'present',
  takesParam: true,
  fields: {
    name: 'the path', output: "'present' or 'not present'", present: '1 when it exists, else 0', type: 'file, directory, symlink, socket, chardev, blockdev, fifo',
    size: 'bytes', mode: 'mode in octal, e.g. 100644', uid: 'owner uid', gid: 'group gid', md5: 'MD5 of a regular file (up to 16 MiB)',
    mtime: 'modification time (ISO 8601)', ctime: 'change time', atime: 'access time',
    mtime_seconds: 'modification time, seconds since the epoch', ctime_seconds: '', atime_seconds: '',
    mtime_age: 'seconds since modification', ctime_age: '', atime_age: ''
  },
  read (path, _host, field) {
    if (!isAbsolute(path)) return undefined
    let stat: Stats
    try {
      stat = statSync(path)
    } catch {
      return { name: path, output: 'not present', present: 0 }
    }
    const now = Date.now()
    const result: Record<string, unknown> = {
      name: path, output: 'present', present: 1, type: fileType(stat), size: stat.size, mode: stat.mode.toString(8), uid: stat.uid, gid: stat.gid
    }
    for (const [key, time] of [['mtime', stat.mtimeMs], ['ctime', stat.ctimeMs], ['atime', stat.atimeMs]] as const) {
      result[key] = new Date(time).toISOString()
      result[`${key}_seconds`] = Math.floor(time / 1000)
      result[`${key}_age`] = Math.floor((now - time) / 1000)
    }
    // Only when asked: hashing reads the file.
    if (field === 'md5' && stat.isFile()) {
      try { result.md5 = md5(path, stat.size) } catch { /* unreadable: no md5 */ }
    }
    return result
  }
}

function findInStatedirs (host: HostContext, file: string): string | undefined {
  return host.statedirs.map(dir => join(dir, file)).find(path => existsSync(path))
}

/**
 * `File[/etc/motd]` and `file[/etc/motd]` are the same resource. Puppet writes the whole
 * reference in lower case (`resource.ref.downcase`, Puppet 7: `File[/srv/WWW]` is listed as
 * `file[/srv/www]`), so the title is compared in lower case too, as MCollective's plugin did.
 */
function resourceKey (name: string): string {
  return name.toLowerCase()
}

const resource: NodeDataSource = {
  name: 'resource',
  description: "whether Puppet manages a resource on the node (Puppet's resources.txt; MCollective's resource data plugin)",
  defaultField: 'managed',
  takesParam: true,
  fields: { managed: 'true when Puppet manages the resource', count: 'how many resources Puppet manages', age: 'seconds since Puppet last wrote the list' },
  read (name, host) {
    const path = findInStatedirs(host, 'resources.txt')
    if (path === undefined) return undefined
    try {
      const lines = readFileSync(path, 'utf8').split('\n').map(line => line.trim()).filter(line => line !== '')
      const wanted = resourceKey(name)
      return { managed: lines.some(line => resourceKey(line) === wanted), count: lines.length, age: Math.floor((Date.now() - statSync(path).mtimeMs) / 1000) }
    } catch {
      return undefined
    }
  }
}

const puppet: NodeDataSource = {
  name: 'puppet',
  description: "the Puppet agent's state on the node (its lock files and last run summary; MCollective's puppet data plugin)",
  defaultField: 'enabled',
  takesParam: false,
  fields: { enabled: 'false while disabled', applying: 'true while a run is under way', disable_message: 'why it was disabled', lastrun: 'last run, seconds since the epoch', since_lastrun: 'seconds since the last run' },
  read (_param, host) {
    const statedir = host.statedirs.find(dir => existsSync(dir))
    if (statedir === undefined) return undefined
    const lock = join(statedir, 'agent_disabled.lock')
    let disableMessage: string | undefined
    if (existsSync(lock)) {
      try {
        const parsed = JSON.parse(readFileSync(lock, 'utf8')) as { disabled_message?: unknown }
        disableMessage = typeof parsed.disabled_message === 'string' ? parsed.disabled_message : ''
      } catch { disableMessage = '' }
    }
    let lastrun = 0
    const summaryPath = [join(statedir, 'last_run_summary.yaml'), join(statedir, '..', '..', 'public', 'last_run_summary.yaml')].find(path => existsSync(path))
    if (summaryPath !== undefined) {
      try {
        const summary = yaml().parse(readFileSync(summaryPath, 'utf8')) as { time?: { last_run?: unknown } } | null
        lastrun = Number(summary?.time?.last_run ?? 0) || 0
      } catch { /* unreadable: never ran, as far as we can tell */ }
    }
    return {
      enabled: disableMessage === undefined,
      applying: existsSync(join(statedir, 'agent_catalog_run.lock')),
      disable_message: disableMessage ?? '',
      lastrun,
      since_lastrun: lastrun > 0 ? Math.round(Date.now() / 1000 - lastrun) : null
    }
  }
}

const NODE_SOURCES = new Map<string, NodeDataSource>([fstat, resource, puppet].map(source => [source.name, source]))

/** Sources evaluated from what a directory entry holds (the requester can evaluate them too). */
export const VIEW_SOURCES: Readonly<Record<string, { defaultField: string, takesParam: boolean | 'optional', fields: Readonly<Record<string, string>> }>> = {
  fact: { defaultField: 'value', takesParam: true, fields: { value: "the fact's value (dotted names reach nested facts)" } },
  agent: { defaultField: 'present', takesParam: true, fields: { present: 'true when the node has the agent' } }
}

export function registerDataSource (source: NodeDataSource): void {
  NODE_SOURCES.set(source.name, source)
}

export function nodeDataSource (name: string): NodeDataSource | undefined {
  return NODE_SOURCES.get(name)
}

export function dataSourceNames (): string[] {
  return [...Object.keys(VIEW_SOURCES), ...NODE_SOURCES.keys()].sort()
}

// The YAML parser (72 CommonJS files) is loaded when a node first reads Puppet's run summary,
// not whenever this module is: the CLI parses filters with it and never reads YAML.
const requireHere = createRequire(import.meta.url)
function yaml (): typeof import('yaml') {
  return requireHere('yaml') as typeof import('yaml')
}

const DEFAULT_STATEDIRS = ['/opt/puppetlabs/puppet/cache/state', '/var/cache/puppet/state', '/var/lib/puppet/state']

/** The daemon's data lookup: Puppet's state directory is where its classes file is, else the usual places. */
export function nodeDataLookup (classesFile?: string): DataLookup {
  const host: HostContext = { statedirs: classesFile !== undefined ? [dirname(classesFile), ...DEFAULT_STATEDIRS] : DEFAULT_STATEDIRS }
  return (source, param, field) => NODE_SOURCES.get(source)?.read(param, host, field ?? NODE_SOURCES.get(source)?.defaultField ?? '')
}

/**
 * The value a data statement compares: undefined when there is none (the statement is false),
 * 'unknown' where the node's own sources cannot be read (the requester's directory).
 */
export function lookupData (test: DataTest, node: NodeView, budget: EvalBudget): unknown {
  const view = VIEW_SOURCES[test.source]
  if (view !== undefined) {
    if (test.source === 'fact') return test.field === undefined || test.field === 'value' ? factValue(node.facts, test.param) : undefined
    return test.field === undefined || test.field === 'present' ? node.agents.includes(test.param) : undefined
  }
  if (node.data === undefined) return 'unknown'
  const source = NODE_SOURCES.get(test.source)
  if (source === undefined) {
    budget.fail(`unknown data source '${test.source}' (this node has ${dataSourceNames().join(', ')})`)
    return undefined
  }
  if (!budget.chargeData()) return undefined
  const field = test.field ?? source.defaultField
  let fields: Record<string, unknown> | undefined
  try {
    fields = node.data(test.source, test.param, field)
  } catch {
    return undefined
  }
  return fields === undefined || !Object.hasOwn(fields, field) ? undefined : fields[field]
}
