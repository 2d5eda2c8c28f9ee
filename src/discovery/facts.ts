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
const FACTER_TIME_LIMIT_MS = 30_000

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
      execFile('facter', ['--json'], { timeout: FACTER_TIME_LIMIT_MS, maxBuffer: 16 * 1024 * 1024 }, (err, stdout) => {
        if (err !== null) {
          this.options.onWarning(`facter --json failed: ${err.message.split('\n')[0] ?? ''}; keeping the last good facter facts`)
        } else {
          try {
            const parsed: unknown = JSON.parse(stdout)
            if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) this.facterFacts = parsed as Record<string, unknown>
          } catch {
            this.options.onWarning('facter --json printed something that is not JSON; keeping the last good facter facts')
          }
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
