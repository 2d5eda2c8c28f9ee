// `troupe find`: which nodes match. By default straight from the directory (nothing is sent);
// with `--dm broadcast`, or a filter on a data source only the nodes can read (fstat,
// resource), an rpcutil ping is broadcast and the nodes that answered are listed. As mco find,
// it exits 1 when no node matches (scripts rely on it). Nodes past expiry are not listed as
// matching: they are named apart, as missing with when they were last seen.
import type { Command } from 'commander'
import { addRequesterOptions, filterFromFlags, limitText, positiveSeconds, type OptionGroups, type RequesterFlags } from '../requester-options.js'
import { openClient } from '../client-context.js'
import { EXIT_FAILED, EXIT_OK, UsageError } from '../errors.js'
import { needsNodeData } from '../../discovery/filter/node-data.js'
import type { NodeRef } from '../../discovery/directory.js'
import { safeText } from '../escape.js'
import { ago } from '../output.js'

export const FIND_GROUPS: OptionGroups = { selection: true, timing: true }

export function registerFind (program: Command, run: (action: () => Promise<number>) => Promise<void>): void {
  addRequesterOptions(program.command('find'), FIND_GROUPS)
    .description('list the identities of the matching nodes (exit 1 when none match)')
    .addHelpText('after', '\nExamples:\n  troupe find -C role::web\n  troupe find -S "os.family=Debian and not env=dev" --json\n  troupe find -S "fstat(\'/etc/motd\').size>0"       (the nodes decide: a broadcast ping)\n  troupe find --dm broadcast -F uptime_seconds\\>3600')
    .action(async (flags: RequesterFlags) => { await run(async () => await find(flags)) })
}

export async function find (flags: RequesterFlags): Promise<number> {
  const filter = await filterFromFlags(flags)
  const limitSeed = flags.limitSeed !== undefined ? Number(flags.limitSeed) : undefined
  if (limitSeed !== undefined && !Number.isFinite(limitSeed)) throw new UsageError(`--limit-seed must be a number, got '${flags.limitSeed}'`)
  const { parseLimit, applyLimit } = await import('../../discovery/select.js')
  let limit
  const limitFlag = limitText(flags)
  if (limitFlag !== undefined) {
    try { limit = parseLimit(limitFlag) } catch (err) { throw new UsageError(`--limit: ${(err as Error).message}`) }
  }
  const broadcast = flags.dm === 'broadcast' || needsNodeData(filter)
  const timeoutMs = positiveSeconds(flags.timeout, '--timeout', broadcast ? 2 : 10) * 1000
  const client = await openClient(flags.config, broadcast, flags.collective)
  try {
    let nodes: string[]
    let gone: NodeRef[] = []
    if (broadcast) {
      const { runRequest } = await import('../../requester/session.js')
      const result = await runRequest(client.link, client.key, {
        collective: client.config.collective,
        agent: 'rpcutil',
        action: 'ping',
        args: {},
        filter,
        discovery: 'broadcast',
        timeoutMs,
        ttlSeconds: Math.ceil(positiveSeconds(flags.ttl, '--ttl', 60))
      })
      nodes = result.replies.map(reply => reply.identity)
    } else {
      const selected = await client.link.select(filter)
      nodes = selected.filter(node => node.gone !== true).map(node => node.identity)
      if (limit === undefined) gone = selected.filter(node => node.gone === true)
    }
    if (limit !== undefined) nodes = applyLimit(nodes, limit, limitSeed)
    nodes.sort()
    if (flags.json === true) {
      const missing = gone.map(node => node.identity)
      const lastSeen = Object.fromEntries(gone.map(node => [node.identity, new Date(node.lastSeen ?? 0).toISOString()]))
      process.stdout.write(JSON.stringify(missing.length > 0 ? { nodes, missing, last_seen: lastSeen } : { nodes }) + '\n')
    } else {
      process.stdout.write(nodes.map(node => safeText(node) + '\n').join(''))
      for (const node of gone) process.stderr.write(`${safeText(node.identity)}: missing (last seen ${ago(Date.now() - (node.lastSeen ?? 0))})\n`)
    }
    return nodes.length > 0 ? EXIT_OK : EXIT_FAILED
  } finally {
    await client.link.close()
  }
}
