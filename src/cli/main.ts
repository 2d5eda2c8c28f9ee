// The `troupe` command, all of it (commander): help, usage errors, every command. Requester
// commands usually run through the lean path instead (lean.ts, which falls back to this one on
// anything it does not handle itself). Heavy modules (libp2p, agents) are imported only by the
// commands that need them.
import '../polyfill.js'
import { CommanderError } from 'commander'
import { EXIT_USAGE } from './errors.js'
import { buildProgram } from './program.js'
import { runAction, oneLine } from './run.js'

/** Runs the command line in process.argv; a function, not top-level code, as both bundles are CommonJS (packaging/bundles.ts). */
export async function runCli (): Promise<void> {
  const program = buildProgram(
    async action => { await runAction(action) },
    async action => {
      await runAction(action, { exit: false })
      process.exit()
    }
  )
  try {
    await program.parseAsync(process.argv)
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exit(err.exitCode === 0 ? 0 : EXIT_USAGE)
    }
    process.stderr.write(`troupe: ${oneLine(err)}\n`)
    process.exit(EXIT_USAGE)
  }
}
