// What every requester command needs before it can send: the config, the caller's key, a link
// to the mesh. Problems here are exit-2 errors with one line saying what to do.
import type { LoadedConfig } from '../config/load.js'
import { loadConfigCached } from '../config/cached.js'
import { locateClientConfig, defaultCallerKeyPath } from '../config/locate.js'
import { readRequesterKey, type RequesterKey } from '../security/keys.js'
import type { RequesterLink, MeshView } from '../requester/link.js'
import { openLink } from '../requester/link.js'
import { UsageError } from './errors.js'
import { forCollective } from '../requester/agent-paths.js'

/** -T: the config's own collective, or one of its `collectives`; anything else is a usage error. */
function withCollective (config: LoadedConfig, collective: string | undefined): LoadedConfig {
  if (collective === undefined || collective === config.collective) return config
  const configured = [config.collective, ...(config.collectives ?? [])]
  if (!configured.includes(collective)) throw new UsageError(`collective '${collective}' is not configured in ${config.file} (configured: ${configured.join(', ')}); add it to \`collectives\``)
  return forCollective(config, collective)
}

export interface ClientContext {
  config: LoadedConfig
  key: RequesterKey
  link: RequesterLink
  view: MeshView
}

export { defaultCallerKeyPath }

export async function openClient (configFlag: string | undefined, needsKey = true, collective?: string): Promise<ClientContext> {
  const config = withCollective(await loadConfigCached(locateClientConfig(configFlag), 'client'), collective)
  const key = needsKey ? readRequesterKey(config.caller_key ?? defaultCallerKeyPath()) : (undefined as unknown as RequesterKey)
  const link = await openLink(config)
  const view = await link.hello()
  if (view.problem !== undefined) {
    await link.close()
    throw new UsageError(view.problem)
  }
  const refusal = view.warnings.find(warning => warning.includes('refused this requester'))
  if (!view.synced && view.size === 0) {
    await link.close()
    if (refusal !== undefined) throw new UsageError(`the mesh refused this requester: ${refusal}`)
    const where = config.bootstrap.length > 0 ? config.bootstrap.join(', ') : 'no bootstrap configured'
    throw new UsageError(`cannot reach the mesh: no peer answered (bootstrap: ${where}); check that the bootstrap runs and the address is right`)
  }
  for (const warning of view.warnings) process.stderr.write(`troupe: warning: ${warning}\n`)
  return { config, key, link, view }
}
