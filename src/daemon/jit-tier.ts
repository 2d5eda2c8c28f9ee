// A daemon runs its JavaScript on V8's interpreter and baseline compiler (Sparkplug) only, never
// on the optimizing compilers (Maglev, TurboFan). A daemon sees a request now and then, not
// thousands a second: the code a request runs through (gossip, noise, yamux, the gate, the
// agent, the reply) gets warm enough to be optimized, but an optimizing compile, and the
// deoptimizations that followed it, cost more than the optimized code then saved, and its code
// stayed resident (docs/design.md, "Memory and start-up", has the committed runs before and
// after). The requester agent and the bootstrap, which handle every reply or every connection of
// a fleet, keep every tier: at 50 nodes the requester agent spent more per reply without them.
import { setFlagsFromString } from 'node:v8'

/** V8's --max-opt tiers: 0 interpreter, 1 Sparkplug, 2 Maglev, 3 TurboFan; any higher (V8's default, 999) allows all. */
export const DAEMON_MAX_OPT = 1
const V8_DEFAULT_MAX_OPT = 999

let maxOpt = V8_DEFAULT_MAX_OPT

/**
 * Set once, first thing in `troupe daemon`: V8 reads the limit each time it considers optimizing
 * a function, so functions compiled before this are held to it too.
 */
export function limitJitTier (): void {
  setFlagsFromString(`--max-opt=${DAEMON_MAX_OPT}`)
  maxOpt = DAEMON_MAX_OPT
}

/** The highest tier this process may optimize to (rpcutil daemon_stats reports it as v8_max_opt). */
export function jitMaxTier (): number {
  return maxOpt
}
