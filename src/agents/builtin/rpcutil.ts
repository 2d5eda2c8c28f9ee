// rpcutil: the agent every node runs; answers questions about the node itself.
import type { Agent, AgentDDL } from '../types.js'
import { ActionError, Status } from '../types.js'

const ddl: AgentDDL = {
  metadata: {
    name: 'rpcutil',
    description: 'General helpful actions that expose stats and internals to requesters',
    author: 'troupe',
    license: 'Apache-2.0',
    version: '1.0.0',
    timeout: 10
  },
  actions: {
    ping: {
      description: 'Responds to requests for PING with PONG',
      display: 'always',
      inputs: {},
      outputs: { pong: { description: 'The local timestamp (ms since epoch)', display_as: 'Timestamp' } }
    }
  }
}

export const rpcutil: Agent = {
  ddl,
  async run (action, _input, _ctx) {
    switch (action) {
      case 'ping': return { pong: Date.now() }
      default: throw new ActionError(Status.UNKNOWN_ACTION, `unknown action rpcutil.${action}`)
    }
  }
}
