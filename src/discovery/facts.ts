// A daemon's facts and classes: from a YAML file and/or `facter --json`, and Puppet's classes
// file. Re-read when the files change (editors and Puppet replace files by rename, so the
// directory is watched). A file that turns bad keeps the last good values, with a warning.
import { execFile } from 'node:child_process'
import { readFileSync, watch, type FSWatcher } from 'node:fs'
import { basename, dirname } from 'node:path'
import { parse as parseYaml } from 'yaml'

export interface FactStoreOptions {
  factsFile?: string
  facter?: boolean
  classesFile?: string
  onWarning: (message: string) => void
}

const FACTER_REFRESH_MS = 5 * 60_000

/**
 * Facter facts that change all the time. They stay on the node (filters evaluated there and
 * `rpcutil get_fact` see them) but are left out of the registration the fleet keeps: with them,
 * every facter refresh would gossip every node's facts again. Filter on them with --dm broadcast.
 */
const VOLATILE_FACTS = ['system_uptime', 'uptime', 'uptime_days', 'uptime_hours', 'uptime_seconds', 'memoryfree', 'memoryfree_mb', 'swapfree', 'swapfree_mb', 'load_averages', 'sp_uptime']
const VOLATILE_USAGE = ['available', 'available_bytes', 'used', 'used_bytes', 'capacity']

/** The facts without the volatile ones (and without the changing usage figures of memory and mount points). */
export function stableFacts (facts: Record<string, unknown>): Record<string, unknown> {
  const stable: Record<string, unknown> = {}
  for (const [name, value] of Object.entries(facts)) {
    if (VOLATILE_FACTS.includes(name)) continue
    stable[name] = name === 'memory' || name === 'mountpoints' ? withoutUsage(value) : value
  }
  return stable
}

/** memory.system.available, mountpoints./var.used_bytes ...: drops usage keys one level down. */
function withoutUsage (value: unknown): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value
  return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key,
    typeof inner === 'object' && inner !== null && !Array.isArray(inner)
      ? Object.fromEntries(Object.entries(inner).filter(([field]) => !VOLATILE_USAGE.includes(field)))
      : inner]))
}
const FACTER_TIME_LIMIT_MS = 30_000
// facter colours its error lines; a log line should not carry terminal escapes.
// eslint-disable-next-line no-control-regex
const ANSI_COLOUR = /\x1b\[[0-9;]*m/g

export class FactStore {
  private fileFacts: Record<string, unknown> = {}
  private facterFacts: Record<string, unknown> = {}
  private classList: string[] = []
  private readonly watchers: FSWatcher[] = []
  private readonly listeners = new Set<() => void>()
  private facterTimer: NodeJS.Timeout | undefined
  private readonly debounce = new Map<string, NodeJS.Timeout>()

  constructor (private readonly options: FactStoreOptions) {}

  async start (): Promise<void> {
    this.readFacts()
    this.readClasses()
    if (this.options.facter === true) {
      await this.runFacter()
      this.facterTimer = setInterval(() => { void this.runFacter().then(() => this.changed()) }, FACTER_REFRESH_MS)
      this.facterTimer.unref()
    }
    this.watchFile(this.options.factsFile, () => { this.readFacts(); this.changed() })
    this.watchFile(this.options.classesFile, () => { this.readClasses(); this.changed() })
  }

  stop (): void {
    for (const watcher of this.watchers) watcher.close()
    clearInterval(this.facterTimer)
    for (const timer of this.debounce.values()) clearTimeout(timer)
  }

  /** facter's facts overlaid by the YAML file's (the operator's file wins). */
  facts (): Record<string, unknown> {
    return { ...this.facterFacts, ...this.fileFacts }
  }

  /** What the fleet's directory holds of this node's facts: all but the volatile ones. */
  registrationFacts (): Record<string, unknown> {
    return stableFacts(this.facts())
  }

  classes (): string[] {
    return this.classList
  }

  onChange (listener: () => void): void {
    this.listeners.add(listener)
  }

  private changed (): void {
    for (const listener of this.listeners) listener()
  }

  private readFacts (): void {
    const path = this.options.factsFile
    if (path === undefined) return
    let text: string
    try {
      text = readFileSync(path, 'utf8')
    } catch (err) {
      this.options.onWarning(`cannot read facts ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}; keeping the last good facts`)
      return
    }
    try {
      const parsed: unknown = parseYaml(text, { maxAliasCount: 100, logLevel: 'error' }) ?? {}
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not a mapping of fact names to values')
      this.fileFacts = parsed as Record<string, unknown>
    } catch (err) {
      this.options.onWarning(`facts ${path} is not a YAML mapping (${(err as Error).message.split('\n')[0] ?? ''}); keeping the last good facts`)
    }
  }

  private readClasses (): void {
    const path = this.options.classesFile
    if (path === undefined) return
    try {
      this.classList = readFileSync(path, 'utf8').split('\n').map(line => line.trim()).filter(line => line !== '' && !line.startsWith('#'))
    } catch (err) {
      this.options.onWarning(`cannot read classes ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}; keeping the last good classes`)
    }
  }

  private async runFacter (): Promise<void> {
    await new Promise<void>(resolve => {
      execFile('facter', ['--json'], { timeout: FACTER_TIME_LIMIT_MS, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
        // facter exits non-zero when some fact could not be resolved (a file it may not read,
        // say) and still prints every other fact: those are kept, and the failure is a warning.
        let parsed: unknown
        try { parsed = JSON.parse(stdout) } catch { parsed = undefined }
        const complaint = stderr.split('\n').find(line => line.trim() !== '')?.replace(ANSI_COLOUR, '').trim()
        if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
          this.facterFacts = parsed as Record<string, unknown>
          if (err !== null) this.options.onWarning(`facter --json reported errors (${complaint ?? err.message.split('\n')[0] ?? ''}); using the facts it resolved`)
        } else {
          this.options.onWarning(`facter --json gave no facts (${complaint ?? err?.message.split('\n')[0] ?? 'output is not a JSON object'}); keeping the last good facter facts`)
        }
        resolve()
      })
    })
  }

  private watchFile (path: string | undefined, reload: () => void): void {
    if (path === undefined) return
    const name = basename(path)
    try {
      const watcher = watch(dirname(path), (_event, changed) => {
        if (changed !== null && changed !== name) return
        clearTimeout(this.debounce.get(path))
        this.debounce.set(path, setTimeout(reload, 100))
      })
      watcher.on('error', err => this.options.onWarning(`cannot watch ${path}: ${err.message}`))
      this.watchers.push(watcher)
    } catch (err) {
      this.options.onWarning(`cannot watch ${path}: ${(err as Error).message}; changes need a restart`)
    }
  }
}
