// How every command body runs, on the full path (main.ts) and the lean one (lean.ts) alike: known
// problems become one line on stderr and exit 2, never a stack trace.
import { EXIT_USAGE } from './errors.js'

// `troupe ... | head -1`: the reader went away; that is the end of the output, not an error.
process.stdout.on('error', err => {
  if ((err as NodeJS.ErrnoException).code === 'EPIPE') process.exit(process.exitCode ?? 0)
  throw err
})

/**
 * Runs a command body and sets the exit code. Requester commands are done once they have printed:
 * unless told otherwise (the long-running roles), the process exits without waiting for stray
 * timers or sockets.
 */
export async function runAction (action: () => Promise<number>, options: { exit?: boolean } = {}): Promise<void> {
  try {
    process.exitCode = await action()
  } catch (err) {
    process.stderr.write(`troupe: ${oneLine(err)}\n`)
    if (process.env.TROUPE_DEBUG !== undefined) process.stderr.write(`${(err as Error).stack ?? ''}\n`)
    process.exitCode = EXIT_USAGE
  }
  if (options.exit !== false) process.exit()
}

export function oneLine (err: unknown): string {
  const message = err instanceof Error ? err.message : String(err)
  return message.split('\n')[0] ?? message
}
