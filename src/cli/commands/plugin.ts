import type { Command } from 'commander'
import { EXIT_OK, UsageError } from '../errors.js'

export function registerPlugin (program: Command, run: (action: () => Promise<number>) => Promise<void>): void {
  const plugin = program.command('plugin').description('information about agents')
  plugin.command('doc')
    .description('list the agents, or show one agent\'s actions, inputs and outputs (from its DDL)')
    .argument('[agent]', 'agent name')
    .option('--agents-dir <dir>', 'also read external agents from this directory')
    .action(async (agent: string | undefined, flags: { agentsDir?: string }) => {
      await run(async () => {
        const { knownAgentDDLs } = await import('../../agents/catalog.js')
        const { renderAgentDoc, renderAgentList } = await import('../../agents/doc.js')
        const ddls = knownAgentDDLs()
        if (flags.agentsDir !== undefined) {
          const { loadExternalAgents } = await import('../../agents/external.js')
          ddls.push(...loadExternalAgents(flags.agentsDir, msg => process.stderr.write(`troupe: ${msg}\n`)).map(external => external.ddl))
        }
        if (agent === undefined) {
          process.stdout.write(renderAgentList(ddls))
          return EXIT_OK
        }
        const ddl = ddls.find(known => known.metadata.name === agent)
        if (ddl === undefined) throw new UsageError(`no agent '${agent}' here; known: ${ddls.map(known => known.metadata.name).join(', ')}`)
        process.stdout.write(renderAgentDoc(ddl))
        return EXIT_OK
      })
    })
}
