// Where a requester's config comes from when --config is not given (SPEC.md order).
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { homedir } from 'node:os'
import { ConfigError } from './errors.js'

export function locateClientConfig (explicit: string | undefined): string {
  if (explicit !== undefined) return explicit
  const fromEnv = process.env.TROUPE_CONFIG
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv
  const candidates = [join(homedir(), '.troupe', 'client.yaml'), '/etc/troupe/client.yaml']
  const found = candidates.find(path => existsSync(path))
  if (found === undefined) {
    throw new ConfigError(`no config given: use --config FILE, set TROUPE_CONFIG, or create ${candidates.join(' or ')} (try 'troupe demo --keep' for a working example)`)
  }
  return found
}

/** The caller key a requester signs with when `caller_key` is not set. */
export function defaultCallerKeyPath (): string {
  return join(homedir(), '.troupe', 'caller.key')
}
