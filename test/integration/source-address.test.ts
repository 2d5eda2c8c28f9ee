// `source_address`: the address a peer's outgoing connections leave from (Puppet's
// `sourceaddress`), for a multi-homed host whose master accepts only one of its addresses. A real
// bootstrap and two real daemons on loopback, one of them on 127.0.0.2 and told to connect from
// it; the kernel's socket table says where each connection to the bootstrap really comes from.
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { LocalCluster } from '../../src/demo/local-cluster.js'
import { troupe, parseJson, type PingJson } from '../helpers/cli.js'

/** Local addresses of this machine's established TCP connections to the given port on 127.0.0.1. */
function sourcesTo (port: string): string[] {
  return execFileSync('ss', ['-Htn', 'state', 'established', `dst 127.0.0.1:${port}`], { encoding: 'utf8' })
    .split('\n').filter(line => line.trim() !== '')
    .map(line => (line.trim().split(/\s+/)[2] ?? '').replace(/:\d+$/, ''))
}

describe('source_address: outgoing connections leave from the configured address', function () {
  this.timeout(120_000)
  let cluster: LocalCluster

  before(async () => {
    cluster = await LocalCluster.start({
      nodes: [
        { identity: 'node01', facts: {}, classes: [], config: { listen: ['/ip4/127.0.0.2/tcp/0'], source_address: '127.0.0.2' } },
        { identity: 'node02', facts: {}, classes: [], config: { listen: ['/ip4/127.0.0.3/tcp/0'] } }
      ]
    })
  })

  after(async () => {
    await cluster?.stop()
  })

  it('a daemon with source_address reaches the bootstrap from it, answers from there, and counts its connections', async () => {
    const port = /\/tcp\/(\d+)\//.exec(cluster.bootstrapAddr)?.[1] ?? ''
    assert.notEqual(port, '')
    const doc = parseJson<PingJson>(await troupe(['ping', '--json', '--config', cluster.clientConfigPath]))
    assert.deepEqual(doc.replies.map(reply => reply.identity), ['node01', 'node02'])
    const audited = readFileSync(join(cluster.dir, 'node01', 'audit.log'), 'utf8').trim().split('\n')
      .map(line => JSON.parse(line) as { request_id: string })
    assert.ok(audited.some(entry => entry.request_id === doc.request.id), 'node01 audited the ping')
    const sources = sourcesTo(port)
    // node01 connects from its source_address; node02, listening on 127.0.0.3 without one,
    // leaves from the address the system picks (127.0.0.1 on loopback), as before.
    assert.ok(sources.includes('127.0.0.2'), `connections to the bootstrap come from ${sources.join(', ')}`)
    assert.ok(!sources.includes('127.0.0.3'), `connections to the bootstrap come from ${sources.join(', ')}`)
    // rpcutil daemon_stats counts them: the bootstrap's and the requester's at least.
    const stats = parseJson<PingJson>(await troupe(['rpc', 'rpcutil', 'daemon_stats', '-I', 'node01', '--json', '--config', cluster.clientConfigPath]))
    const connections = (stats.replies[0]?.data as { connections?: unknown } | undefined)?.connections
    assert.ok(typeof connections === 'number' && connections >= 2, `daemon_stats connections: ${String(connections)}`)
  })

  it('a source_address that is not an IP address is refused with one line naming the key, exit 2', async () => {
    const bad = join(cluster.dir, 'bad-source.yaml')
    writeFileSync(bad, `bootstrap: []\nsource_address: eth0\nrequester_socket: ${join(cluster.dir, 'bad.sock')}\n`)
    const result = await troupe(['ping', '--config', bad])
    assert.equal(result.code, 2)
    assert.match(result.stderr, /source_address/)
    assert.match(result.stderr, /must be an IP address/)
    assert.equal(result.stderr.trim().split('\n').length, 1)
  })
})
