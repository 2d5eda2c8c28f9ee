// The young generation (V8's new space, where every short-lived object of a request or a reply
// is allocated) of the daemon and the bootstrap (not the requester agent) stays at the
// size it has when the service starts: 1 or 2 MiB per semi-space once the services' bundle has
// loaded. Left alone it grows to 16 MiB per semi-space and keeps the pages; pinned, a request
// costs a few more (cheap) scavenges (docs/design.md, "Memory and start-up").
//
// Set at run time, not as `node --max-semi-space-size=2` on the command line as it once was: with
// that flag V8 rejects Node's code cache for every built-in module (`NODE_DEBUG_NATIVE=CODE_CACHE`
// shows it), which then compiles from source, and the launcher's shebang carried it into every
// `troupe` command. V8 reads the growth factor each time it considers growing the new space, so
// setting it first thing in a service's command holds from then on.
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8'

/** The new space's growth factor; 1 keeps it at its current size (0 crashes V8). */
const NO_GROWTH = 1

export function pinYoungGeneration (): void {
  setFlagsFromString(`--semi-space-growth-factor=${NO_GROWTH}`)
}

/** What the young generation holds now, both semi-spaces (rpcutil daemon_stats reports it). */
export function youngGenerationBytes (): number {
  return getHeapSpaceStatistics().find(space => space.space_name === 'new_space')?.space_size ?? 0
}
