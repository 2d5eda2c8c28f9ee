// What the puppet agent reads and runs on a node: Puppet's own settings (`puppet config print`),
// its lock files and last_run_summary.yaml, and the run command.
import { existsSync, readFileSync, appendFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { parse as parseYaml } from 'yaml'
import { ActionError, Status } from '../types.js'
import { runCommand, lastLine } from '../exec.js'
import { optionValue } from '../argv.js'

export interface PuppetOptions {
  /** the command a run executes (default: puppet agent --onetime --no-daemonize) */
  runCommand?: string[]
  /** arguments added to every `puppet` call (e.g. --confdir/--vardir for a non-default installation) */
  extraArgs?: string[]
}

export interface PuppetPaths {
  statedir: string
  lastrunfile: string
  disabledLock: string
  runLock: string
}

const SETTINGS = ['statedir', 'lastrunfile', 'agent_disabled_lockfile', 'agent_catalog_run_lockfile']

export class PuppetBackend {
  private paths: PuppetPaths | undefined

  constructor (private readonly options: PuppetOptions = {}) {}

  async settings (signal: AbortSignal): Promise<PuppetPaths> {
    if (this.paths !== undefined) return this.paths
    const result = await runCommand('puppet', ['config', 'print', ...SETTINGS, '--section', 'agent', ...this.extraArgs()], { signal })
    if (result.code !== 0) throw new ActionError(Status.UNKNOWN_ERROR, `puppet config print failed: ${lastLine(result.stderr)}`)
    const values = new Map(result.stdout.split('\n').map(line => line.split(' = ')).filter(pair => pair.length === 2).map(([key, value]) => [key?.trim() ?? '', value?.trim() ?? '']))
    this.paths = {
      statedir: values.get('statedir') ?? '',
      lastrunfile: values.get('lastrunfile') ?? '',
      disabledLock: values.get('agent_disabled_lockfile') ?? '',
      runLock: values.get('agent_catalog_run_lockfile') ?? ''
    }
    return this.paths
  }

  extraArgs (): string[] {
    return this.options.extraArgs ?? []
  }

  async status (signal: AbortSignal): Promise<Record<string, unknown>> {
    const paths = await this.settings(signal)
    const applying = existsSync(paths.runLock)
    const disableMessage = readDisableMessage(paths.disabledLock)
    const enabled = disableMessage === undefined
    const summary = readSummary(paths.lastrunfile)
    const lastrun = Number((summary?.time as Record<string, unknown> | undefined)?.last_run ?? 0)
    const sinceLastrun = lastrun > 0 ? Math.round(Date.now() / 1000 - lastrun) : null
    const daemonPresent = puppetDaemonRuns()
    const status = applying ? 'applying a catalog' : !enabled ? 'disabled' : daemonPresent ? 'idling' : 'stopped'
    return {
      applying,
      enabled,
      daemon_present: daemonPresent,
      lastrun,
      since_lastrun: sinceLastrun,
      status,
      idling: daemonPresent && !applying,
      disable_message: disableMessage ?? '',
      message: `Currently ${status}; last completed run ${sinceLastrun === null ? 'never' : `${sinceLastrun} seconds ago`}`
    }
  }

  async setEnabled (enabled: boolean, message: string, signal: AbortSignal): Promise<void> {
    const args = enabled ? ['agent', '--enable'] : ['agent', optionValue('--disable', message)]
    const result = await runCommand('puppet', [...args, ...this.extraArgs()], { signal })
    if (result.code !== 0) throw new ActionError(Status.UNKNOWN_ERROR, `puppet ${args.slice(0, 2).join(' ')} failed: ${lastLine(result.stderr)}`)
  }

  /** Runs Puppet once, to completion; records the run (start, end) in the node's own run log. */
  async runOnce (options: { noop?: boolean, tags?: string[], environment?: string, identity: string }, signal: AbortSignal): Promise<Record<string, unknown>> {
    const paths = await this.settings(signal)
    const disableMessage = readDisableMessage(paths.disabledLock)
    if (disableMessage !== undefined) throw new ActionError(Status.ABORTED, `Puppet is disabled: ${disableMessage || 'no reason given'}`)
    if (existsSync(paths.runLock)) throw new ActionError(Status.ABORTED, 'Puppet is already applying a catalog')
    const [command = 'puppet', ...base] = this.options.runCommand ?? ['puppet', 'agent', '--onetime', '--no-daemonize']
    const args = [...base]
    if (options.noop === true) args.push('--noop')
    if (options.tags !== undefined && options.tags.length > 0) args.push(optionValue('--tags', options.tags.join(',')))
    if (options.environment !== undefined) args.push(optionValue('--environment', options.environment))
    const started = Date.now()
    const result = await runCommand(command, [...args, ...this.extraArgs()], { signal, maxOutputBytes: 8 * 1024 * 1024 })
    const ended = Date.now()
    appendRunRecord(paths.statedir, { identity: options.identity, start: started, end: ended, exitcode: result.code })
    // `puppet agent --detailed-exitcodes`-style 2 means "changes applied", not failure.
    if (result.code !== 0 && result.code !== 2) {
      // Always a reason: a run that printed nothing (or was killed) still says how it ended.
      const said = lastLine(result.stderr) || lastLine(result.stdout)
      const how = result.code === null ? 'was killed by a signal' : `exited with ${result.code}`
      throw new ActionError(Status.UNKNOWN_ERROR, `Puppet run failed after ${((ended - started) / 1000).toFixed(1)} s: ${command} ${how}${said !== '' ? `: ${said}` : ' and printed nothing (see the Puppet logs on the node)'}`)
    }
    return { summary: `Puppet run finished in ${((ended - started) / 1000).toFixed(1)} s`, exitcode: result.code, started: Math.round(started / 1000) }
  }

  async lastRunSummary (signal: AbortSignal): Promise<Record<string, unknown>> {
    const paths = await this.settings(signal)
    const summary = readSummary(paths.lastrunfile)
    if (summary === undefined) return { summary: 'Puppet has not run yet', lastrun: 0, resources: {}, events: {}, changes: {}, time: {}, version: {} }
    const time = (summary.time ?? {}) as Record<string, unknown>
    return {
      lastrun: Number(time.last_run ?? 0),
      config_retrieval_time: time.config_retrieval ?? null,
      total_time: time.total ?? null,
      resources: summary.resources ?? {},
      changes: summary.changes ?? {},
      events: summary.events ?? {},
      version: summary.version ?? {},
      summary: `${String((summary.resources as Record<string, unknown> | undefined)?.total ?? 0)} resources, ${String((summary.events as Record<string, unknown> | undefined)?.failure ?? 0)} failures`
    }
  }
}

export function runLogPath (statedir: string): string {
  return join(statedir, 'troupe-runs.jsonl')
}

function appendRunRecord (statedir: string, record: Record<string, unknown>): void {
  try { appendFileSync(runLogPath(statedir), JSON.stringify(record) + '\n') } catch { /* the run itself matters more than its record */ }
}

function readDisableMessage (lockfile: string): string | undefined {
  if (!existsSync(lockfile)) return undefined
  try {
    const parsed = JSON.parse(readFileSync(lockfile, 'utf8')) as { disabled_message?: unknown }
    return typeof parsed.disabled_message === 'string' ? parsed.disabled_message : ''
  } catch {
    return ''
  }
}

function readSummary (path: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = parseYaml(readFileSync(path, 'utf8'))
    return typeof parsed === 'object' && parsed !== null ? parsed as Record<string, unknown> : undefined
  } catch {
    return undefined
  }
}

/** A long-running `puppet agent` (not a one-off run) is the daemon. */
function puppetDaemonRuns (): boolean {
  for (const pid of readdirSync('/proc').filter(name => /^\d+$/.test(name))) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')
      const program = cmdline.findIndex(part => part === 'puppet' || part.endsWith('/puppet'))
      const isAgent = program >= 0 && cmdline[program + 1] === 'agent'
      if (isAgent && !cmdline.includes('--onetime') && !cmdline.includes('--test')) return true
    } catch { /* process gone */ }
  }
  return false
}
