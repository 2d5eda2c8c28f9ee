// decodeReply checks a reply by hand before it falls back on its schema (src/wire/reply.ts): the
// quick check must never take what the schema refuses, nor hand back anything else than the
// schema would. Replies, broken in every field, are decoded both ways.
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { decodeReply, isPlainReply, replySchema, type Reply } from '../../src/wire/reply.js'
import { WireError } from '../../src/wire/errors.js'

const encoder = new TextEncoder()

/** What the schema alone makes of these bytes: the reply, or the refusal's message. */
function bySchema (text: string): { reply: unknown } | { error: string } {
  const parsed = replySchema.safeParse(JSON.parse(text))
  return parsed.success ? { reply: parsed.data } : { error: `reply field '${parsed.error.issues[0]?.path.join('.') ?? '?'}' is invalid` }
}

function byDecode (text: string): { reply: unknown } | { error: string } {
  try {
    return { reply: decodeReply(encoder.encode(text)) }
  } catch (err) {
    if (!(err instanceof WireError)) throw err
    return { error: err.message }
  }
}

const valid: Reply = { v: 1, id: '0123456789abcdef0123456789abcdef', identity: 'node01', status: 0, statusmsg: 'OK', data: { pong: 1 } }

describe('decodeReply: the quick check agrees with the schema', () => {
  it('takes a plain reply as it is', () => {
    assert.equal(isPlainReply(JSON.parse(JSON.stringify(valid))), true)
    assert.deepEqual(decodeReply(encoder.encode(JSON.stringify(valid))), valid)
  })

  it('leaves to the schema what it would change (a "__proto__" key in data)', () => {
    const text = JSON.stringify(valid).replace('"data":{', '"data":{"__proto__":{"x":1},')
    assert.equal(isPlainReply(JSON.parse(text)), false)
    assert.deepEqual(byDecode(text), bySchema(text))
  })

  it('agrees on every field broken with any JSON value, on extra and missing keys', () => {
    const field = fc.constantFrom<keyof Reply>('v', 'id', 'identity', 'status', 'statusmsg', 'data')
    const value = fc.oneof(fc.jsonValue(), fc.constantFrom(0, 1, 2, 5, 6, -1, 1.5, '', 'x'.repeat(257), 'x'.repeat(4097), 'ABCDEF0123456789abcdef0123456789', [], {}, null))
    fc.assert(fc.property(field, value, fc.boolean(), fc.option(fc.string({ maxLength: 3 })), (key, replacement, drop, extra) => {
      const reply: Record<string, unknown> = { ...valid, [key]: replacement }
      if (drop) delete reply[key]
      if (extra !== null) reply[extra] = 1
      const text = JSON.stringify(reply)
      assert.deepEqual(byDecode(text), bySchema(text), text)
    }), { numRuns: 5000 })
  })
})
