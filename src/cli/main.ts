// The `troupe` command. Heavy modules (libp2p, agents) are imported only by the commands that
// need them, so a requester call that goes through the warm requester agent starts fast.
import '../polyfill.js'
import { Command, CommanderError } from 'commander'
import { VERSION } from '../version.js'
import { EXIT_USAGE } from './errors.js'
import { registerPing } from './commands/ping.js'
import { registerFind } from './commands/find.js'
import { registerKeygen } from './commands/keygen.js'
import { registerServices } from './commands/services.js'
import { registerRpc } from './commands/rpc.js'
import { registerDemo } from './commands/demo.js'
import { registerPlugin } from './commands/plugin.js'
import { registerNodeInfo } from './commands/node-info.js'
import { registerPuppet } from './commands/puppet.js'
import { registerCa } from './commands/ca.js'
import { registerDirectory } from './commands/directory.js'
import { registerDoctor } from './commands/doctor.js'
import { strayWordsCheck } from './stray-words.js'

// `troupe ... | head -1`: the reader went away; that is the end of the output, not an error.
process.stdout.on('error', err => {
  if ((err as NodeJS.ErrnoException).code === 'EPIPE') process.exit(process.exitCode ?? 0)
  throw err
})

/** Runs a command body; known problems become one line on stderr and exit 2, never a stack trace. */
async function run (action: () => Promise<number>): Promise<void> {
  try {
    process.exitCode = await action()
  } catch (err) {
    process.stderr.write(`troupe: ${oneLine(err)}\n`)
    if (process.env.TROUPE_DEBUG !== undefined) process.stderr.write(`${(err as Error).stack ?? ''}\n`)
    process.exitCode = EXIT_USAGE
  }
  // Requester commands are done once they have printed; do not wait for stray timers or sockets.
  if (!keepsRunning) process.exit()
}

let keepsRunning = false

function oneLine (err: unknown): string {
  const message = err instanceof Error ? err.message : String(err)
  return message.split('\n')[0] ?? message
}

const program = new Command()
  .name('troupe')
  .description('Brokerless orchestration mesh: run predefined actions, in parallel, on the nodes a filter selects.')
  .version(VERSION)
  .showHelpAfterError('(add --help for usage)')
  .exitOverride()
  // A word a command does not take is a usage error, never ignored: an unquoted -S expression or
  // a second -I value would otherwise widen the target set.
  .hook('preAction', strayWordsCheck)

registerPing(program, run)
registerFind(program, run)
registerRpc(program, run)
registerNodeInfo(program, run)
registerPuppet(program, run)
registerPlugin(program, run)
registerKeygen(program, run)
registerCa(program, run)
registerDemo(program, run)
registerDirectory(program, run)
registerDoctor(program, run)
registerServices(program, async action => {
  keepsRunning = true
  await run(action)
  process.exit()
})

program.addHelpText('after', `
Getting started:
  troupe demo                      a local fleet and a short tour, no config needed
  troupe demo --keep               leave it running and print the --config to use
  troupe ping --config FILE        who is there
  troupe rpc package status package=bash -F os.family=Debian

Exit codes: 0 all expected nodes answered OK, 1 some failed or did not answer, 2 usage/config/connection error.`)

try {
  await program.parseAsync(process.argv)
} catch (err) {
  if (err instanceof CommanderError) {
    process.exit(err.exitCode === 0 ? 0 : EXIT_USAGE)
  }
  process.stderr.write(`troupe: ${oneLine(err)}\n`)
  process.exit(EXIT_USAGE)
}
