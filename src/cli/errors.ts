// Exit codes (SPEC.md): 0 all expected nodes replied OK, 1 some failed or missing, 2 usage,
// config or connection error with a one-line reason on stderr.
export const EXIT_OK = 0
export const EXIT_FAILED = 1
export const EXIT_USAGE = 2

/** A problem in how the command was called; printed as one line, exit 2. */
export class UsageError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'UsageError'
  }
}
