import type { Agent } from '../types.js'
import { rpcutil } from './rpcutil.js'

/** Every agent that ships with troupe, in `troupe plugin doc` order. */
export function builtinAgents (): Agent[] {
  return [rpcutil]
}
