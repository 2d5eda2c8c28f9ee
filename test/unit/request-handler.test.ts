// The daemon's decision path without a mesh: every refusal, in its place in the order
// caller → rate limit → filter → policy → input validation → act → audit, each checked on what
// the handler did (audit line for the request id, whether the action ran, which reply and how it
// may be sent). The same path runs end to end in test/integration/security.test.ts.
import assert from 'node:assert/strict'
import { RequestHandler, type RequestHandlerParts } from '../../src/daemon/request-handler.js'
import { NodeStats } from '../../src/daemon/node-stats.js'
import { AgentRegistry } from '../../src/agents/registry.js'
import type { Agent } from '../../src/agents/types.js'
import type { AuditEntry } from '../../src/security/audit.js'
import { RateLimiter } from '../../src/security/rate-limit.js'
import { parsePolicy, decide } from '../../src/security/policy.js'
import { generateRequesterKey, keyFingerprint } from '../../src/security/keys.js'
import { newRequestId, type RequestBody } from '../../src/wire/request.js'
import { emptyFilter, type Filter, type NodeView } from '../../src/discovery/filter/types.js'
import { silentLogger } from '../../src/log.js'

const alice = generateRequesterKey().publicKey
const stranger = generateRequesterKey().publicKey

const self: NodeView = { identity: 'web1', facts: { role: 'web' }, classes: ['profile::base'], agents: ['greet'] }

const greet: Agent = {
  ddl: {
    metadata: { name: 'greet', description: '', author: '', license: '', version: '1', timeout: 5 },
    actions: {
      mark: {
        description: '',
        outputs: {},
        inputs: {
          tag: { description: '', type: 'string', pattern: '^[a-z0-9-]+$' },
          secret: { description: '', type: 'string', optional: true, secret: true }
        }
      }
    }
  },
  async run (_action, input) { return { tag: input.tag } }
}

interface Harness {
  handler: RequestHandler
  audit: AuditEntry[]
  /** collaborator calls, in order */
  calls: string[]
  /** inputs of the actions that ran */
  ran: Array<Record<string, unknown>>
  stats: NodeStats
}

function harness (options: { policy?: string, allowRate?: (key: string) => boolean, view?: () => NodeView, agent?: Agent } = {}): Harness {
  const audit: AuditEntry[] = []
  const calls: string[] = []
  const ran: Array<Record<string, unknown>> = []
  const stats = new NodeStats()
  const registry = new AgentRegistry([options.agent ?? greet])
  const policy = options.policy === undefined ? undefined : parsePolicy(options.policy, 'greet.policy')
  const parts: RequestHandlerParts = {
    identity: 'web1',
    callerRate: 10,
    callerName: key => { calls.push('caller'); return key === alice ? 'alice' : undefined },
    rateLimiter: { allow: key => { calls.push('rate'); return options.allowRate?.(key) ?? true } },
    view: () => { calls.push('view'); return (options.view ?? (() => self))() },
    policy: {
      decide: (agent, caller, action, view) => {
        calls.push('policy')
        return policy === undefined ? { allowed: true, reason: 'no policy' } : decide(policy, caller, action, view, `${agent}.policy`)
      }
    },
    agents: {
      secretInputs: () => ['secret'],
      prepare: (agent, action, args) => { calls.push('prepare'); return registry.prepare(agent, action, args) },
      run: async (agent, action, input, ctx) => {
        calls.push('run')
        ran.push(input)
        return await registry.run(agent, action, input, { ...ctx, node: undefined as never })
      }
    },
    audit: { record: entry => { calls.push('audit'); audit.push(entry) } },
    stats,
    log: silentLogger()
  }
  return { handler: new RequestHandler(parts), audit, calls, ran, stats }
}

function request (fields: { caller?: string, filter?: Filter, action?: string, args?: Record<string, unknown> } = {}): RequestBody {
  return {
    v: 1,
    id: newRequestId(),
    collective: 'main',
    agent: 'greet',
    action: fields.action ?? 'mark',
    args: fields.args ?? { tag: 'ok' },
    filter: fields.filter ?? emptyFilter(),
    requester: { peer: '12D3KooWRequester', addrs: ['/ip4/127.0.0.1/tcp/1'] },
    caller: fields.caller ?? alice,
    issued: Date.now(),
    ttl: 60
  }
}

const otherNode: Filter = { ...emptyFilter(), identities: [{ exact: 'db1' }] }

/** The one audit line for this request id (there must be exactly one). */
function lineFor (lines: AuditEntry[], id: string): AuditEntry {
  const found = lines.filter(line => line.request_id === id)
  assert.equal(found.length, 1, `one audit line for ${id}, got ${JSON.stringify(lines)}`)
  return found[0] as AuditEntry
}

describe('request handler: the daemon decision path, one refusal at a time', () => {
  it('accepts an authorized, matching, allowed, valid request: runs it once, audits it accepted, in the documented order', async () => {
    const h = harness()
    const body = request({ args: { tag: 'ok', secret: 'hunter2' } })
    const outcome = await h.handler.handle(body)
    assert.deepEqual(outcome, { kind: 'reply', decision: 'accepted', reply: { status: 0, statusmsg: 'OK', data: { tag: 'ok' } } })
    assert.deepEqual(h.calls, ['caller', 'rate', 'view', 'policy', 'prepare', 'run', 'audit'])
    assert.deepEqual(h.ran, [{ tag: 'ok', secret: 'hunter2' }])
    const line = lineFor(h.audit, body.id)
    assert.equal(line.decision, 'accepted')
    assert.equal(line.caller, 'alice')
    assert.equal(line.caller_key, keyFingerprint(alice))
    assert.equal(line.status, 0)
    assert.equal(line.peer, body.requester.peer)
    assert.deepEqual(line.args, { tag: 'ok', secret: '[redacted]' })
    assert.equal(h.stats.passed, 1)
    assert.equal(h.stats.refused, 0)
  })

  it('a caller not in authorized_keys is handed back as a stranger first: no rate limit, no filter, no audit line here, nothing run', async () => {
    const h = harness()
    // A filter this node does not match: the refusal must still come before the filter, so an
    // unauthorized key learns nothing about which nodes it selects.
    const body = request({ caller: stranger, filter: otherNode })
    assert.deepEqual(await h.handler.handle(body), { kind: 'stranger' })
    assert.deepEqual(h.calls, ['caller'])
    assert.deepEqual(h.ran, [])
    assert.deepEqual(h.audit, [], 'the daemon audits strangers, throttled (Daemon.refuseStranger)')
    assert.equal(h.stats.total, 0)
  })

  it('a caller over its rate is refused before the filter is evaluated, audited with the request id', async () => {
    const h = harness({ allowRate: () => false })
    const body = request({ filter: otherNode })
    const outcome = await h.handler.handle(body)
    assert.ok(outcome.kind === 'reply')
    assert.equal(outcome.decision, 'refused')
    assert.equal(outcome.reply.status, 1)
    assert.match(outcome.reply.statusmsg, /alice sends more than 10 requests a second to web1/)
    assert.deepEqual(h.calls, ['caller', 'rate', 'audit'])
    assert.deepEqual(h.ran, [])
    assert.equal(lineFor(h.audit, body.id).decision, 'refused')
  })

  it('a request whose filter this node does not match is filtered: no reply, nothing run, policy not consulted', async () => {
    const h = harness({ policy: 'policy default allow\n' })
    const body = request({ filter: otherNode })
    assert.deepEqual(await h.handler.handle(body), { kind: 'filtered' })
    assert.deepEqual(h.calls, ['caller', 'rate', 'view', 'audit'])
    assert.deepEqual(h.ran, [])
    assert.equal(lineFor(h.audit, body.id).decision, 'filtered')
    assert.equal(h.stats.filtered, 1)
    assert.equal(h.stats.passed, 0)
  })

  it('a request the policy denies is refused with the rule that denied it, nothing run', async () => {
    const h = harness({ policy: 'policy default allow\ndeny\talice\tmark\trole=web\t*\n' })
    const body = request()
    const outcome = await h.handler.handle(body)
    assert.ok(outcome.kind === 'reply')
    assert.equal(outcome.reply.status, 1)
    assert.match(outcome.reply.statusmsg, /not authorized: alice may not run greet mark on web1 \(.*greet\.policy:2/)
    assert.deepEqual(h.calls, ['caller', 'rate', 'view', 'policy', 'audit'])
    assert.deepEqual(h.ran, [])
    const line = lineFor(h.audit, body.id)
    assert.equal(line.decision, 'refused')
    assert.match(line.reason ?? '', /greet\.policy:2/)
  })

  it('the policy sees the same view the filter saw (facts decide both)', async () => {
    const h = harness({ policy: 'policy default deny\nallow\talice\tmark\trole=web\t*\n' })
    const allowed = await h.handler.handle(request())
    assert.ok(allowed.kind === 'reply' && allowed.decision === 'accepted')
    const db = harness({ policy: 'policy default deny\nallow\talice\tmark\trole=web\t*\n', view: () => ({ ...self, facts: { role: 'db' } }) })
    const denied = await db.handler.handle(request())
    assert.ok(denied.kind === 'reply' && denied.decision === 'refused')
  })

  it('invalid input is refused with status 4, a missing one with 3, an unknown action with 2; audited refused, nothing run', async () => {
    for (const [args, action, status, message] of [
      [{ tag: 'a;rm -rf /' }, 'mark', 4, /input 'tag' must match/],
      [{}, 'mark', 3, /missing required input 'tag'/],
      [{ tag: 'ok', extra: 1 }, 'mark', 4, /unknown input 'extra'/],
      [{ tag: 'ok' }, 'unmark', 2, /unknown action 'greet\.unmark'/]
    ] as const) {
      const h = harness()
      const body = request({ action, args })
      const outcome = await h.handler.handle(body)
      assert.ok(outcome.kind === 'reply')
      assert.equal(outcome.decision, 'refused')
      assert.equal(outcome.reply.status, status)
      assert.match(outcome.reply.statusmsg, message)
      assert.deepEqual(h.ran, [], `nothing runs for ${JSON.stringify(args)}`)
      assert.deepEqual(h.calls, ['caller', 'rate', 'view', 'policy', 'prepare', 'audit'])
      const line = lineFor(h.audit, body.id)
      assert.equal(line.decision, 'refused')
      assert.equal(line.status, status)
    }
  })

  it('an action that fails is still audited accepted (it ran) with its status', async () => {
    const h = harness({ agent: { ddl: greet.ddl, async run () { throw new Error('disk full') } } })
    const body = request()
    const outcome = await h.handler.handle(body)
    assert.ok(outcome.kind === 'reply')
    assert.equal(outcome.reply.status, 5)
    const line = lineFor(h.audit, body.id)
    assert.equal(line.decision, 'accepted')
    assert.equal(line.status, 5)
    assert.equal(line.statusmsg, 'disk full')
  })

  it('never throws: a failure inside the handler is logged, audited with the request id, and no reply is sent', async () => {
    const h = harness({ view: () => { throw new Error('facts unreadable') } })
    const body = request()
    assert.deepEqual(await h.handler.handle(body), { kind: 'failed' })
    assert.deepEqual(h.ran, [])
    const line = lineFor(h.audit, body.id)
    assert.equal(line.decision, 'refused')
    assert.match(line.reason ?? '', /request handling failed: Error: facts unreadable/)
  })

  it('counts each outcome in the daemon\'s stats (rpcutil daemon_stats), and logs each refusal once', async () => {
    const h = harness({ policy: 'policy default allow\ndeny\talice\tmark\t*\t*\n' })
    await h.handler.handle(request({ caller: stranger }))
    await h.handler.handle(request({ filter: otherNode }))
    await h.handler.handle(request())
    assert.deepEqual(h.stats.toRecord(), { ...new NodeStats().toRecord(), total: 2, validated: 2, passed: 1, filtered: 1, refused: 1 })
    const served = harness()
    await served.handler.handle(request())
    assert.deepEqual([served.stats.total, served.stats.passed, served.stats.refused], [1, 1, 0])
  })

  it('the real rate limiter: a burst of twice caller_rate, then refusals', async () => {
    const limiter = new RateLimiter(2)
    const h = harness({ allowRate: key => limiter.allow(key, 1_000) })
    const outcomes = []
    for (let i = 0; i < 6; i++) outcomes.push(await h.handler.handle(request()))
    assert.deepEqual(outcomes.map(outcome => outcome.kind === 'reply' ? outcome.decision : outcome.kind), ['accepted', 'accepted', 'accepted', 'accepted', 'refused', 'refused'])
    assert.equal(h.ran.length, 4)
  })
})
