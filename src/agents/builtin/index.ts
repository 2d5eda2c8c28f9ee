import type { Agent } from '../types.js'
import { rpcutil } from './rpcutil.js'
import { packageAgent } from './package.js'
import { serviceAgent } from './service.js'
import { puppetAgent } from './puppet.js'
import { resourceAgent } from './resource.js'
import type { PuppetOptions } from './puppet-backend.js'

export interface BuiltinOptions {
  puppet?: PuppetOptions
}

/** Every agent that ships with troupe, in `troupe plugin doc` order. */
export function builtinAgents (options: BuiltinOptions = {}): Agent[] {
  return [rpcutil, packageAgent, serviceAgent, puppetAgent(options.puppet), resourceAgent(options.puppet)]
}
