// Where a requester agent listens: one agent per client config, in a private directory.
import { createHash } from 'node:crypto'
import { statSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import type { LoadedConfig } from '../config/load.js'

export function requesterSocketPath (config: LoadedConfig): string {
  if (config.requester_socket !== undefined) return config.requester_socket
  const runtime = process.env.XDG_RUNTIME_DIR
  const dir = runtime !== undefined && runtime !== '' ? join(runtime, 'troupe') : join(homedir(), '.troupe', 'run')
  // Unix socket paths are limited to ~107 bytes: name it by a short hash of the config path.
  const tag = createHash('sha256').update(config.file).digest('hex').slice(0, 12)
  return join(dir, `requester-${tag}.sock`)
}

/** Changes whenever the config file does, so a stale agent can be told to make way. */
export function configStamp (config: LoadedConfig): string {
  try {
    const stat = statSync(config.file)
    return `${stat.mtimeMs}:${stat.size}:${stat.ino}`
  } catch {
    return 'none'
  }
}
