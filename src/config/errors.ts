// Config problems, in a module of their own: the CLI's lean path (src/cli/lean.ts) reports them
// without loading the YAML parser and the schema that produce most of them.

/** A config problem the operator must fix; the CLI prints the message and exits 2. */
export class ConfigError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'ConfigError'
  }
}
