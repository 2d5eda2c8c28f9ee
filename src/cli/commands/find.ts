// `troupe find`: which nodes match, straight from the directory (nothing is sent to the nodes).
import type { Command } from 'commander'
import { addRequesterOptions, filterFromFlags, type RequesterFlags } from '../requester-options.js'
import { openClient } from '../client-context.js'
import { EXIT_OK } from '../errors.js'

export function registerFind (program: Command, run: (action: () => Promise<number>) => Promise<void>): void {
  addRequesterOptions(program.command('find'))
    .description('list the identities of the matching nodes (from the node directory; no request is sent)')
    .addHelpText('after', '\nExamples:\n  troupe find -C role::web\n  troupe find -S "os.family=Debian and not env=dev" --json')
    .action(async (flags: RequesterFlags) => {
      await run(async () => {
        const filter = await filterFromFlags(flags)
        const client = await openClient(flags.config, false)
        try {
          let nodes = (await client.link.select(filter)).map(node => node.identity)
          if (flags.limit !== undefined) {
            const { parseLimit, applyLimit } = await import('../../discovery/select.js')
            nodes = applyLimit(nodes, parseLimit(flags.limit), flags.limitSeed !== undefined ? Number(flags.limitSeed) : undefined)
          }
          nodes.sort()
          process.stdout.write(flags.json === true ? JSON.stringify({ nodes }) + '\n' : nodes.map(node => node + '\n').join(''))
          return EXIT_OK
        } finally {
          await client.link.close()
        }
      })
    })
}
