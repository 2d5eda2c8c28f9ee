// `troupe puppet ...`: the special interface to the Puppet agent (MCollective's `mco puppet`).
import type { Command } from 'commander'
import { addRequesterOptions, positiveInteger, DISPLAY_GROUPS, REQUEST_GROUPS, type RequesterFlags } from '../requester-options.js'
import { executeRequest } from '../run-request.js'
import { renderReplies } from './rpc.js'
import { UsageError } from '../errors.js'
import type { RequestResult } from '../../requester/session.js'

interface RunFlags extends RequesterFlags {
  noop?: boolean
  tags?: string
  environment?: string
  splay?: boolean
  splaylimit?: string
}

function runArgs (flags: RunFlags): Record<string, unknown> {
  const args: Record<string, unknown> = {}
  if (flags.noop === true) args.noop = true
  if (flags.tags !== undefined) args.tags = flags.tags.split(',')
  if (flags.environment !== undefined) args.environment = flags.environment
  if (flags.splay === true) args.splay = true
  if (flags.splaylimit !== undefined) args.splaylimit = positiveInteger(flags.splaylimit, '--splaylimit')
  return args
}

function countStatuses (result: RequestResult): void {
  const ok = result.replies.filter(reply => reply.status === 0).map(reply => reply.data)
  const count = (test: (data: Record<string, unknown>) => boolean): number => ok.filter(test).length
  process.stdout.write([
    `Total Puppet nodes: ${ok.length}`,
    '',
    `          Nodes currently enabled: ${count(data => data.enabled === true)}`,
    `         Nodes currently disabled: ${count(data => data.enabled === false)}`,
    '',
    `Nodes currently doing puppet runs: ${count(data => data.applying === true)}`,
    `          Nodes currently stopped: ${count(data => data.status === 'stopped')}`,
    `       Nodes with daemons started: ${count(data => data.daemon_present === true)}`,
    `    Nodes without daemons started: ${count(data => data.daemon_present !== true)}`,
    `       Daemons started but idling: ${count(data => data.idling === true)}`
  ].join('\n') + '\n')
}

function summaryOfRuns (result: RequestResult): void {
  const totals = new Map<string, number>()
  // A node where Puppet has not run has no totals: it is named, not counted as zeros.
  const ran = result.replies.filter(r => r.status === 0 && Number(r.data.lastrun ?? 0) > 0)
  const notRun = result.replies.filter(r => r.status === 0 && Number(r.data.lastrun ?? 0) <= 0)
  if (ran.length === 0) {
    if (notRun.length > 0) process.stdout.write(`Puppet has not run yet on ${notRun.length === result.replies.length ? 'any of the nodes' : 'these nodes'}: ${notRun.map(r => r.identity).join(' ')}\n`)
    return
  }
  if (notRun.length > 0) process.stdout.write(`Puppet has not run yet on: ${notRun.map(r => r.identity).join(' ')}\n\n`)
  for (const reply of ran) {
    for (const group of ['resources', 'events', 'changes']) {
      for (const [key, value] of Object.entries((reply.data[group] ?? {}) as Record<string, unknown>)) {
        if (typeof value === 'number') totals.set(`${group}.${key}`, (totals.get(`${group}.${key}`) ?? 0) + value)
      }
    }
  }
  process.stdout.write(`Summary of the last Puppet runs (${ran.length} node${ran.length === 1 ? '' : 's'}):\n\n` + [...totals].sort().map(([key, value]) => `   ${key.padStart(28)}: ${value}`).join('\n') + '\n')
}

export function registerPuppet (program: Command, run: (action: () => Promise<number>) => Promise<void>): void {
  const puppet = program.command('puppet').description('the Puppet agent on the matching nodes: runonce, runall N, status, summary, count, enable, disable')
  addRequesterOptions(puppet.command('status').description('each node\'s Puppet agent status'), DISPLAY_GROUPS)
    .action(async (flags: RequesterFlags) => { await run(async () => await puppetStatus(flags)) })
  addRequesterOptions(puppet.command('count').description('how many agents are enabled, disabled, running, idling'), REQUEST_GROUPS)
    .action(async (flags: RequesterFlags) => { await run(async () => await puppetCount(flags)) })
  addRequesterOptions(puppet.command('summary').description('resource, change and event totals of the last runs'), REQUEST_GROUPS)
    .action(async (flags: RequesterFlags) => { await run(async () => await puppetSummary(flags)) })
  addRequesterOptions(puppet.command('enable').description('enable the Puppet agent'), DISPLAY_GROUPS)
    .action(async (flags: RequesterFlags) => { await run(async () => await puppetEnable(flags)) })
  // One quoted message: unquoted words after it would otherwise swallow a stray filter word.
  addRequesterOptions(puppet.command('disable').description('disable the Puppet agent, with a message saying why').argument('[message]', "why, quoted: 'deploy in progress'"), DISPLAY_GROUPS)
    .action(async (message: string | undefined, flags: RequesterFlags) => { await run(async () => await puppetDisable(message, flags)) })
  const runOptions = (command: Command): Command => addRequesterOptions(command, DISPLAY_GROUPS)
    .option('--noop', 'no-op run: report what would change')
    .option('--tags <tags>', 'comma-separated tags to restrict the run to')
    .option('--environment <env>', 'Puppet environment')
    .option('--splay', 'sleep a random time before running')
    .option('--splaylimit <seconds>', 'longest splay')
  runOptions(puppet.command('runonce').description('run Puppet once on every matching node, at the same time; waits for the runs'))
    .action(async (flags: RunFlags) => {
      await run(async () => await executeRequest(flags, { agent: 'puppet', action: 'runonce', args: runArgs(flags), render: renderReplies }))
    })
  runOptions(puppet.command('runall').description('run Puppet on the whole selection, at most N at once, starting the next as one finishes').argument('<N>', 'runs at once'))
    .action(async (concurrency: string, flags: RunFlags) => {
      await run(async () => {
        if (flags.select !== undefined) throw new UsageError('runall does not take -S (as in MCollective): use -F, -C, -I or -A')
        const rolling = positiveInteger(concurrency, 'runall N')
        return await executeRequest(flags, {
          agent: 'puppet',
          action: 'runonce',
          args: runArgs(flags),
          rolling,
          onReply: reply => process.stdout.write(`${reply.identity.padEnd(30)} ${reply.status === 0 ? String(reply.data.summary ?? 'done') : `${reply.statusmsg === '' ? '(no message)' : reply.statusmsg} (status ${reply.status})`}\n`),
          render: () => {}
        })
      })
    })
}

export async function puppetStatus (flags: RequesterFlags): Promise<number> {
  return await executeRequest(flags, { agent: 'puppet', action: 'status', args: {}, render: renderReplies })
}

export async function puppetCount (flags: RequesterFlags): Promise<number> {
  return await executeRequest(flags, { agent: 'puppet', action: 'status', args: {}, render: countStatuses })
}

export async function puppetSummary (flags: RequesterFlags): Promise<number> {
  return await executeRequest(flags, { agent: 'puppet', action: 'last_run_summary', args: {}, render: summaryOfRuns })
}

export async function puppetEnable (flags: RequesterFlags): Promise<number> {
  return await executeRequest(flags, { agent: 'puppet', action: 'enable', args: {}, render: renderReplies })
}

export async function puppetDisable (message: string | undefined, flags: RequesterFlags): Promise<number> {
  return await executeRequest(flags, { agent: 'puppet', action: 'disable', args: message !== undefined ? { message } : {}, render: renderReplies })
}
