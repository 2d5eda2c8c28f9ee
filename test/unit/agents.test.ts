import assert from 'node:assert/strict'
import { existsSync, rmSync } from 'node:fs'
import { execSync } from 'node:child_process'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { AgentRegistry } from '../../src/agents/registry.js'
import { validateInputs, coerceCliArgs } from '../../src/agents/validate.js'
import type { Agent, NodeInfo } from '../../src/agents/types.js'
import { packageAgent } from '../../src/agents/builtin/package.js'
import { summarize } from '../../src/agents/summaries.js'

const node: NodeInfo = {
  identity: 'unit', collective: 'main', version: '0', startedAt: Date.now(), configFile: '',
  facts: () => ({}), classes: () => [], agents: () => [], agentMetadata: () => [], stats: () => ({})
}
const ctx = { requestId: '0'.repeat(32), caller: 'tester', node }

describe('agents: validation and execution on the node', () => {
  it('the node refuses shell metacharacters itself (status 4): the action never runs, so a shell behind it never sees them', async () => {
    // An agent whose backend does hand its input to a shell, as an operator's script might: with
    // the DDL's shellsafe check it is safe; without it, the marker file would appear.
    const marker = join(tmpdir(), `troupe-unit-pwned-${process.pid}`)
    rmSync(marker, { force: true })
    let runs = 0
    const shelled: Agent = {
      ddl: { ...packageAgent.ddl, metadata: { ...packageAgent.ddl.metadata, name: 'shelled' } },
      async run (_action, input) {
        runs++
        execSync(`dpkg-query -W -f='\${Status}' ${String(input.package)} || true`, { stdio: 'ignore', shell: '/bin/sh' })
        return {}
      }
    }
    const registry = new AgentRegistry([shelled])
    const reply = await registry.invoke('shelled', 'status', { package: `bash;touch ${marker}` }, ctx)
    assert.equal(reply.status, 4)
    assert.match(reply.statusmsg, /input 'package' must not contain shell metacharacters/)
    assert.equal(runs, 0, 'the action must not have run')
    assert.equal(existsSync(marker), false)
    // The same agent with a clean input runs (the test can tell the difference).
    assert.equal((await registry.invoke('shelled', 'status', { package: 'bash' }, ctx)).status, 0)
    assert.equal(runs, 1)
  })

  it('checks every rule: type, required, pattern, enum, length, range', () => {
    const action = {
      description: '', outputs: {},
      inputs: {
        name: { description: '', type: 'string' as const, maxLength: 5, pattern: '^[a-z]+$' },
        count: { description: '', type: 'integer' as const, optional: true, minimum: 1, maximum: 10 },
        mode: { description: '', type: 'string' as const, optional: true, enum: ['fast', 'slow'] },
        flag: { description: '', type: 'boolean' as const, optional: true, default: false }
      }
    }
    assert.deepEqual(validateInputs('a', action, { name: 'abc' }), { name: 'abc', flag: false })
    const status = (args: Record<string, unknown>): number => { try { validateInputs('a', action, args); return 0 } catch (err) { return (err as { status: number }).status } }
    assert.equal(status({}), 3)
    assert.equal(status({ name: 'toolong' }), 4)
    assert.equal(status({ name: 'ABC' }), 4)
    assert.equal(status({ name: 'abc', count: 11 }), 4)
    assert.equal(status({ name: 'abc', count: 1.5 }), 4)
    assert.equal(status({ name: 'abc', mode: 'medium' }), 4)
    assert.equal(status({ name: 'abc', other: 1 }), 4)
    assert.deepEqual(coerceCliArgs(action, { count: '3', flag: 'yes' }), { count: 3, flag: true })
  })

  it('kills an action at its time limit and keeps at most N actions running, the rest queued', async () => {
    let running = 0
    let most = 0
    const slow: Agent = {
      ddl: { metadata: { name: 'slow', description: '', author: '', license: '', version: '', timeout: 1 }, actions: { wait: { description: '', inputs: {}, outputs: {} }, forever: { description: '', inputs: {}, outputs: {}, timeout: 0.2 } } },
      async run (action) {
        if (action === 'forever') return await new Promise(() => {})
        running++
        most = Math.max(most, running)
        await new Promise(resolve => setTimeout(resolve, 50))
        running--
        return {}
      }
    }
    const registry = new AgentRegistry([slow], 2)
    const replies = await Promise.all(Array.from({ length: 6 }, async () => await registry.invoke('slow', 'wait', {}, ctx)))
    assert.ok(replies.every(reply => reply.status === 0))
    assert.equal(most, 2)
    const hung = await registry.invoke('slow', 'forever', {}, ctx)
    assert.equal(hung.status, 5)
    assert.match(hung.statusmsg, /timed out after 0.2 s/)
  })

  it('summaries count values, sum and average', () => {
    const action = { description: '', inputs: {}, outputs: { v: { description: '', display_as: 'Value' } }, summaries: [{ output: 'v', kind: 'summary' as const }, { output: 'v', kind: 'sum' as const }] }
    const blocks = summarize(action, [{ status: 0, data: { v: 2 } }, { status: 0, data: { v: 2 } }, { status: 0, data: { v: 5 } }, { status: 1, data: { v: 100 } }])
    assert.deepEqual(blocks[0]?.rows, [['2', 2], ['5', 1]])
    assert.deepEqual(blocks[1]?.rows, [['sum', 9]])
  })
})
