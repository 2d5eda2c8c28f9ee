// A plain request for the wire and gate unit tests: rpcutil ping to everyone in 'main'.
import type { NewRequest } from '../../src/wire/request.js'
import { emptyFilter } from '../../src/discovery/filter/types.js'

export const pingRequest: NewRequest = {
  collective: 'main',
  agent: 'rpcutil',
  action: 'ping',
  args: {},
  filter: emptyFilter(),
  requester: { peer: '12D3KooWExample', addrs: ['/ip4/127.0.0.1/tcp/1'] },
  ttl: 60
}
