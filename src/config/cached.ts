// The client config as requester commands read it: parsed and validated once, then kept as JSON in
// the user's private runtime directory (beside the requester sockets), keyed by the config
// file's stamp. The YAML parser and the schema (80 files, a third of the CLI's start-up) are
// loaded only when the file changed since the last command, and then give the usual errors: an
// invalid config is never cached, so it fails the same way every time.
import { createHash } from 'node:crypto'
import { closeSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { LoadedConfig } from './load.js'
import type { Role } from './schema.js'
import { PACKAGE_ROOT } from '../package-root.js'
import { runtimeDir } from '../requester/agent-paths.js'

const FORMAT = 1
/** Entries not rewritten for this long are removed when another is written (configs of finished test fleets, say). */
const STALE_MS = 30 * 24 * 3600 * 1000

interface CacheEntry {
  v: number
  /** what the config was made from: the file's state, $HOME (~ in paths), the loader's build */
  key: string
  config: LoadedConfig
}

/** Reads a config through the cache; on a miss, loads it (config/load.ts) and caches the result. */
export async function loadConfigCached (file: string, role: Role): Promise<LoadedConfig> {
  const path = resolve(file)
  const key = cacheKey(path, role)
  const cachePath = key !== undefined ? cacheFile(path, role) : undefined
  if (key !== undefined && cachePath !== undefined) {
    const hit = readCache(cachePath, key)
    if (hit !== undefined) return hit
  }
  const { loadConfig } = await import('./load.js')
  const config = loadConfig(path, role)
  if (key !== undefined && cachePath !== undefined) writeCache(cachePath, { v: FORMAT, key, config })
  return config
}

/** undefined when the file cannot be read (the loader says why). */
function cacheKey (path: string, role: Role): string | undefined {
  let stat
  try {
    stat = statSync(path)
  } catch {
    return undefined
  }
  // ctime too: it changes on every write, even one that keeps the size and restores the mtime.
  const file = `${stat.dev}:${stat.ino}:${stat.size}:${stat.mtimeMs}:${stat.ctimeMs}`
  return JSON.stringify([path, role, file, process.env.HOME ?? '', loaderBuild()])
}

/**
 * A rebuilt or upgraded troupe may validate differently: its loader's files are part of the key,
 * and so is this module's own file, which inside a bundle is the whole bundle. The loader is
 * found in the compiled tree, where both the tree and the CLI's bundle load it from.
 */
function loaderBuild (): string {
  const loader = ['load.js', 'schema.js'].map(name => join(PACKAGE_ROOT, 'dist', 'src', 'config', name))
  return [...loader, fileURLToPath(import.meta.url)].map(path => {
    try {
      const stat = statSync(path)
      return `${stat.size}:${stat.mtimeMs}`
    } catch {
      return '-'
    }
  }).join(',')
}

function cacheFile (path: string, role: Role): string {
  const tag = createHash('sha256').update(`${role}\0${path}`).digest('hex').slice(0, 16)
  return join(runtimeDir(), `config-${tag}.json`)
}

/** Whether a file or directory is this user's and no one else may write it (else it is not trusted). */
function ours (stat: { uid: number, mode: number }): boolean {
  const uid = process.getuid?.()
  return (uid === undefined || stat.uid === uid) && (stat.mode & 0o022) === 0
}

function readCache (cachePath: string, key: string): LoadedConfig | undefined {
  try {
    const dir = lstatSync(dirname(cachePath))
    const stat = lstatSync(cachePath)
    if (!dir.isDirectory() || !ours(dir) || !stat.isFile() || !ours(stat)) return undefined
    const entry = JSON.parse(readFileSync(cachePath, 'utf8')) as Partial<CacheEntry>
    if (entry.v !== FORMAT || entry.key !== key || typeof entry.config !== 'object' || entry.config === null) return undefined
    return entry.config
  } catch {
    return undefined
  }
}

/** Best effort, atomic (a reader sees the old entry or the new one), mode 0600 in a 0700 directory. */
function writeCache (cachePath: string, entry: CacheEntry): void {
  const dir = dirname(cachePath)
  const temporary = `${cachePath}.${process.pid}.tmp`
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 })
    const stat = lstatSync(dir)
    if (!stat.isDirectory() || !ours(stat)) return
    const fd = openSync(temporary, 'wx', 0o600)
    try {
      writeSync(fd, JSON.stringify(entry))
    } finally {
      closeSync(fd)
    }
    renameSync(temporary, cachePath)
    pruneStale(dir)
  } catch {
    try { unlinkSync(temporary) } catch { /* not there */ }
  }
}

function pruneStale (dir: string): void {
  const now = Date.now()
  for (const name of readdirSync(dir)) {
    if (!/^config-[0-9a-f]{16}\.json$/.test(name)) continue
    try {
      if (now - statSync(join(dir, name)).mtimeMs > STALE_MS) unlinkSync(join(dir, name))
    } catch { /* gone meanwhile */ }
  }
}
