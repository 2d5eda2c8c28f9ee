// A clean stop (SIGTERM, as systemd, the init script and a package upgrade send) loses no
// request: an action running when the signal comes finishes, its reply reaches the requester and
// the node audits it; the daemon then exits 0 and, started again with its key, answers again.
import assert from 'node:assert/strict'
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { LocalCluster } from '../../src/demo/local-cluster.js'
import { troupe, parseJson, type PingJson } from '../helpers/cli.js'

/** An external agent whose one action takes a few seconds, leaving marks where it started and ended. */
function writeSlowAgent (agentsDir: string, marks: string): void {
  mkdirSync(agentsDir, { recursive: true })
  const script = join(agentsDir, 'slow')
  writeFileSync(script, [
    '#!/bin/sh',
    'request=$(cat)',
    'tag=$(printf \'%s\' "$request" | sed -n \'s/.*"tag":"\\([a-z0-9]*\\)".*/\\1/p\')',
    `touch "${marks}/$tag.started"`,
    'sleep 3',
    `touch "${marks}/$tag.done"`,
    'printf \'{"data":{"finished":"%s"}}\\n\' "$tag"',
    ''
  ].join('\n'))
  chmodSync(script, 0o755)
  writeFileSync(join(agentsDir, 'slow.json'), JSON.stringify({
    metadata: { name: 'slow', description: 'Takes a while', author: 'troupe tests', license: 'Apache-2.0', version: '1.0.0', timeout: 30 },
    actions: {
      work: {
        description: 'Works for 3 s',
        inputs: { tag: { description: 'Names the marks', type: 'string', pattern: '^[a-z0-9]+$', maxLength: 16 } },
        outputs: { finished: { description: 'The tag', display_as: 'Finished' } }
      }
    }
  }))
}

async function until (condition: () => boolean, what: string, maxMs = 30_000): Promise<void> {
  const deadline = Date.now() + maxMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, 50))
  }
}

describe('daemon: a clean stop loses no request', function () {
  this.timeout(120_000)
  let cluster: LocalCluster
  let scratch: string
  let marks: string

  before(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'troupe-stop-'))
    marks = join(scratch, 'marks')
    mkdirSync(marks)
    writeSlowAgent(join(scratch, 'agents'), marks)
    cluster = await LocalCluster.start({ nodes: 1, daemonConfig: { agents_dir: join(scratch, 'agents') } })
  })

  after(async () => {
    await cluster?.stop()
    rmSync(scratch, { recursive: true, force: true })
  })

  it('SIGTERM during an action: the action finishes, the reply arrives, the node audits it and exits 0', async () => {
    const node = cluster.nodes.get('node01')
    assert.ok(node !== undefined)
    const exited = new Promise<number | null>(resolve => node.process.once('exit', code => resolve(code)))
    const call = troupe(['rpc', 'slow', 'work', 'tag=inflight', '--json', '--timeout', '20', '--config', cluster.clientConfigPath])
    await until(() => existsSync(join(marks, 'inflight.started')), 'the action to start')
    node.process.kill('SIGTERM')

    const result = await call
    const doc = parseJson<PingJson>(result)
    assert.deepEqual(doc.missing, [])
    assert.equal(doc.replies.length, 1)
    assert.equal(doc.replies[0]?.status, 0, JSON.stringify(doc.replies[0]))
    assert.deepEqual(doc.replies[0]?.data, { finished: 'inflight' })
    assert.ok(existsSync(join(marks, 'inflight.done')), 'the action ran to its end')
    assert.equal(await exited, 0)

    const audited = readFileSync(join(cluster.dir, 'node01', 'audit.log'), 'utf8').trim().split('\n')
      .map(line => JSON.parse(line) as { request_id: string, decision: string, status?: number })
      .filter(entry => entry.request_id === doc.request.id)
    assert.deepEqual(audited.map(entry => [entry.decision, entry.status]), [['accepted', 0]])
  })

  it('restarted with its key, the node answers again under the same peer id', async () => {
    const spec = { identity: 'node01', facts: {}, classes: [] }
    cluster.nodes.delete('node01')
    await cluster.startNode(spec)
    let doc: PingJson | undefined
    for (let attempt = 0; attempt < 40; attempt++) {
      doc = parseJson<PingJson>(await troupe(['ping', '--json', '--timeout', '3', '--config', cluster.clientConfigPath]))
      if (doc.replies.length === 1) break
      await new Promise(resolve => setTimeout(resolve, 500))
    }
    assert.deepEqual(doc?.replies.map(reply => reply.identity), ['node01'])
  })
})
