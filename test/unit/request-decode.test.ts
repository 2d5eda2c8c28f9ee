// openRequest checks a request body by hand before it falls back on its schema (src/wire/request.ts):
// the quick check must never take what the schema refuses, nor hand back anything else than the
// schema would. Bodies broken in every field, and in the filter and requester inside, go both ways.
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { openRequest, plainRequestBody, requestBodySchema, signRequest, type RequestBody } from '../../src/wire/request.js'
import { generateRequesterKey } from '../../src/security/keys.js'
import { emptyFilter } from '../../src/discovery/filter/types.js'

const RUNS = Number(process.env.FUZZ_RUNS ?? 5000)

const key = generateRequesterKey()
const valid = openRequest(signRequest({ collective: 'main', agent: 'rpcutil', action: 'ping', args: { n: 1 }, filter: { ...emptyFilter(), facts: [{ fact: 'role', op: '=', value: 'web' }] }, requester: { peer: 'p', addrs: ['/ip4/127.0.0.1/tcp/1'] }, ttl: 60 }, key).bytes)

/** The schema's verdict on a parsed body: the body it gives, or undefined for a refusal. */
function bySchema (value: unknown): RequestBody | undefined {
  const parsed = requestBodySchema.safeParse(value)
  return parsed.success ? parsed.data : undefined
}

/** The quick check never takes what the schema refuses; what it takes is what the schema gives. */
function agrees (value: unknown): void {
  const quick = plainRequestBody(value)
  if (quick === undefined) return
  assert.deepEqual(quick, bySchema(value), JSON.stringify(value))
}

describe('request body: the quick check agrees with the schema', () => {
  it('takes a plain body as the schema gives it, with and without relay', () => {
    const body = JSON.parse(JSON.stringify(valid)) as RequestBody
    assert.deepEqual(plainRequestBody(body), bySchema(body))
    assert.notEqual(plainRequestBody(body), undefined)
    const relayed = { ...body, relay: false }
    assert.deepEqual(plainRequestBody(relayed), bySchema(relayed))
    assert.equal(plainRequestBody(relayed)?.relay, false)
  })

  it('leaves to the schema what it would change or refuse: "__proto__" in args or body, a bad filter', () => {
    for (const text of [
      JSON.stringify(valid).replace('"args":{', '"args":{"__proto__":{"x":1},'),
      JSON.stringify(valid).replace('{', '{"__proto__":{"x":1},'),
      JSON.stringify({ ...valid, filter: { ...valid.filter, facts: [{ fact: 'role', op: '~~', value: 'x' }] } })
    ]) {
      assert.equal(plainRequestBody(JSON.parse(text)), undefined, text)
      agrees(JSON.parse(text))
    }
  })

  it('agrees on every field broken with any JSON value, on extra and missing keys', () => {
    const field = fc.constantFrom<keyof RequestBody>('v', 'id', 'collective', 'agent', 'action', 'args', 'filter', 'requester', 'caller', 'issued', 'ttl', 'relay')
    const value = fc.oneof(fc.jsonValue(), fc.constantFrom(0, 1, -1, 1.5, 3600, 86_401, true, '', 'x'.repeat(256), 'x'.repeat(257), 'x'.repeat(44), '0123456789abcdef0123456789abcdeF', [], {}, null))
    fc.assert(fc.property(field, value, fc.boolean(), fc.option(fc.string({ maxLength: 3 })), (name, replacement, drop, extra) => {
      const body: Record<string, unknown> = { ...valid, [name]: replacement }
      if (drop) delete body[name]
      if (extra !== null) body[extra] = 1
      agrees(JSON.parse(JSON.stringify(body)))
    }), { numRuns: RUNS })
  })

  it('leaves to the schema a requester with more than 32 addresses, or a key more', () => {
    for (const requester of [{ peer: 'p', addrs: Array.from({ length: 33 }, () => '/ip4/127.0.0.1/tcp/1') }, { peer: 'p', addrs: [], more: 1 }, { peer: 'p' }]) {
      assert.equal(plainRequestBody({ ...valid, requester }), undefined)
      assert.equal(bySchema({ ...valid, requester }), undefined)
    }
  })

  it('agrees on a requester broken in any part', () => {
    const part = fc.oneof(
      fc.record({ peer: fc.oneof(fc.jsonValue(), fc.string({ maxLength: 300 })), addrs: fc.oneof(fc.jsonValue(), fc.array(fc.oneof(fc.string({ maxLength: 600 }), fc.jsonValue()), { maxLength: 40 })) }, { requiredKeys: [] }),
      fc.jsonValue()
    )
    fc.assert(fc.property(part, fc.option(fc.string({ maxLength: 3 })), (requester, extra) => {
      const broken = typeof requester === 'object' && requester !== null && !Array.isArray(requester) && extra !== null ? { ...requester, [extra]: 1 } : requester
      agrees(JSON.parse(JSON.stringify({ ...valid, requester: broken })))
    }), { numRuns: RUNS })
  })

  it('takes every body the schema takes from well-formed parts (the quick path is the common one)', () => {
    const text = fc.string({ minLength: 1, maxLength: 256 })
    fc.assert(fc.property(text, text, text, fc.nat(), fc.integer({ min: 1, max: 3600 }), fc.array(fc.string({ maxLength: 512 }), { maxLength: 32 }), (collective, agent, action, issued, ttl, addrs) => {
      const body = JSON.parse(JSON.stringify({ ...valid, collective, agent, action, issued, ttl, requester: { peer: 'p', addrs } })) as unknown
      assert.notEqual(bySchema(body), undefined)
      assert.deepEqual(plainRequestBody(body), bySchema(body))
    }), { numRuns: RUNS })
  })
})
