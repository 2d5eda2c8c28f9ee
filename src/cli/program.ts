// The whole `troupe` command as commander declares it: every command, its options, help and usage
// errors. main.ts runs it; the tests compare the lean path's parsing with it (test/unit/lean-cli).
import { Command, type OutputConfiguration } from 'commander'
import { VERSION } from '../version.js'
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

export type Runner = (action: () => Promise<number>) => Promise<void>

/** run: how a command body runs; runService: the same for the long-running roles; output: where commander writes (tests) */
export function buildProgram (run: Runner, runService: Runner, output?: OutputConfiguration): Command {
  const program = new Command()
  if (output !== undefined) program.configureOutput(output)
  program
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
  registerServices(program, runService)

  program.addHelpText('after', `
Getting started:
  troupe demo                      a local fleet and a short tour, no config needed
  troupe demo --keep               leave it running and print the --config to use
  troupe ping --config FILE        who is there
  troupe rpc package status package=bash -F os.family=Debian

Exit codes: 0 all expected nodes answered OK, 1 some failed or did not answer, 2 usage/config/connection error.`)
  return program
}
