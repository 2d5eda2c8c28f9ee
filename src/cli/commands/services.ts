// The long-running roles: bootstrap, daemon, and the requester agent the CLI starts by itself.
import type { Command } from 'commander'
import { loadConfig, parseConfig } from '../../config/load.js'
import { EXIT_OK } from '../errors.js'
import type { Logger } from '../../log.js'
import { useCodePointOrder } from '../../text.js'
import { pinYoungGeneration } from '../../young-generation.js'

/**
 * What every long-running role does first: strings in code-point order (src/text.ts), and its
 * logger. The logging library is loaded only by these roles: every other command starts without it.
 */
async function serviceLogger (name: string, level: string, file?: string): Promise<Logger> {
  useCodePointOrder()
  return (await import('../../log.js')).createLogger({ name, level, file })
}

async function waitForSignal (): Promise<void> {
  await new Promise<void>(resolve => {
    process.once('SIGTERM', resolve)
    process.once('SIGINT', resolve)
  })
}

export function registerServices (program: Command, run: (action: () => Promise<number>) => Promise<void>): void {
  program.command('bootstrap')
    .description('run the bootstrap service: the first peer everyone dials (default /ip4/0.0.0.0/tcp/61613)')
    .option('--config <file>', 'bootstrap config (YAML); without it, defaults')
    .action(async (flags: { config?: string }) => {
      await run(async () => {
        pinYoungGeneration()
        const config = flags.config !== undefined ? loadConfig(flags.config, 'bootstrap') : parseConfig('{}', '', 'bootstrap')
        const log = await serviceLogger('bootstrap', config.log_level, config.log_file)
        const { BootstrapService } = await import('../../../bootstrap/service.js')
        const service = await BootstrapService.start(config, log)
        for (const addr of service.multiaddrs()) process.stdout.write(`${addr}\n`)
        log.info({ addrs: service.multiaddrs() }, 'bootstrap ready')
        await waitForSignal()
        await service.stop()
        return EXIT_OK
      })
    })

  program.command('daemon')
    .description('run the node daemon: serves this host\'s agents to authorized requesters')
    .requiredOption('--config <file>', 'daemon config (YAML)')
    .action(async (flags: { config: string }) => {
      await run(async () => {
        // First: the code that loads and starts the daemon is held to the daemon's JIT tier and
        // young generation too.
        const { limitJitTier } = await import('../../daemon/jit-tier.js')
        limitJitTier()
        pinYoungGeneration()
        const config = loadConfig(flags.config, 'daemon')
        const log = await serviceLogger('daemon', config.log_level, config.log_file)
        const { Daemon } = await import('../../daemon/daemon.js')
        const daemon = await Daemon.start(config, log)
        process.stdout.write(`${daemon.identity} ready: ${daemon.multiaddrs().join(' ')}\n`)
        log.info({ identity: daemon.identity, addrs: daemon.multiaddrs() }, 'daemon ready')
        await waitForSignal()
        await daemon.stop()
        return EXIT_OK
      })
    })

  program.command('requester-agent', { hidden: true })
    .description('the warm local peer that requester commands start on demand')
    .requiredOption('--config <file>')
    .option('--collective <name>')
    .action(async (flags: { config: string, collective?: string }) => {
      await run(async () => {
        // V8's own young generation, not the pinned one of the daemon and the bootstrap: pinned,
        // the agent made more writes and spent more CPU per request at 50 nodes (docs/design.md,
        // "Memory and start-up", has the figures).
        const { forCollective } = await import('../../requester/agent-paths.js')
        const config = forCollective(loadConfig(flags.config, 'client'), flags.collective)
        const log = await serviceLogger('requester-agent', config.log_level)
        const { runRequesterAgent } = await import('../../requester/agent-server.js')
        await runRequesterAgent(config, log)
        await new Promise(() => {})
        return EXIT_OK
      })
    })
}
