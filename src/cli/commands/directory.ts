// `troupe directory purge NODE`: forget a node that is gone for good. Until then a node that
// stopped beating is reported missing, with when it was last seen, by every command.
import type { Command } from 'commander'
import { addRequesterOptions, type RequesterFlags } from '../requester-options.js'
import { openClient } from '../client-context.js'
import { EXIT_FAILED, EXIT_OK, UsageError } from '../errors.js'
import { ago } from '../output.js'
import { safeText } from '../escape.js'

export function registerDirectory (program: Command, run: (action: () => Promise<number>) => Promise<void>): void {
  const directory = program.command('directory').description('the node directory: purge a node that is gone for good')
  addRequesterOptions(directory.command('purge'), {})
    .description('forget a node past expiry (reported missing since it stopped), on every peer of the mesh; needs an authorized caller key')
    .argument('<identity>', 'the node to forget')
    .addHelpText('after', '\nExamples:\n  troupe directory purge node07')
    .action(async (identity: string, flags: RequesterFlags) => {
      await run(async () => {
        const client = await openClient(flags.config, true, flags.collective)
        try {
          const { emptyFilter } = await import('../../discovery/filter/index.js')
          const [node] = await client.link.select({ ...emptyFilter(), identities: [{ exact: identity }] })
          if (node === undefined) throw new UsageError(`no node ${safeText(identity)} in the directory (troupe find)`)
          if (node.gone !== true) throw new UsageError(`${safeText(identity)} is alive (it still announces itself): only a node past expiry can be purged`)
          const { signPurge } = await import('../../discovery/purge.js')
          const outcome = await client.link.purge(signPurge({ collective: client.config.collective, identity, peer: node.peer, issued: Date.now() }, client.key))
          if (outcome.error !== undefined) throw new UsageError(`purge of ${safeText(identity)} refused: ${outcome.error}`)
          const seen = `last seen ${ago(Date.now() - (node.lastSeen ?? 0))}`
          process.stdout.write(flags.json === true
            ? JSON.stringify({ purged: identity, peer: node.peer, last_seen: new Date(node.lastSeen ?? 0).toISOString(), sent_to: outcome.recipients }) + '\n'
            : `${safeText(identity)} purged from the directory (${seen}); sent to ${outcome.recipients} peer${outcome.recipients === 1 ? '' : 's'}: those that authorize your key forget it too\n`)
          // Nobody heard it (no connection yet): the bootstrap would hand the entry back.
          if (outcome.recipients === 0) {
            process.stderr.write('troupe: no peer received the purge; run it again once `troupe ping` reaches the mesh\n')
            return EXIT_FAILED
          }
          return EXIT_OK
        } finally {
          await client.link.close()
        }
      })
    })
}
