// The wire format's bounds at their edges (written to kill the mutants npm run mutate found
// surviving in src/wire: a limit off by one, a comparison flipped, a depth counter that
// ignores brackets inside strings).
import assert from 'node:assert/strict'
import { generateRequesterKey } from '../../src/security/keys.js'
import { signRequest, openRequest, requestValidUntil, type NewRequest } from '../../src/wire/request.js'
import { WireError } from '../../src/wire/errors.js'
import { decodeReply, encodeReply } from '../../src/wire/reply.js'
import { decodeRegistryMessage, encodeRegistryMessage, type Beat } from '../../src/wire/registration.js'
import { parseJsonBytes, canonicalJson, MAX_JSON_DEPTH } from '../../src/wire/canonical.js'
import { emptyFilter } from '../../src/discovery/filter/types.js'
import { CLOCK_SKEW_MS, MAX_REGISTRATION_BYTES, MAX_REPLY_BYTES, MAX_REQUEST_BYTES, MAX_TTL_SECONDS } from '../../src/wire/limits.js'

const key = generateRequesterKey()
const base: NewRequest = { collective: 'main', agent: 'rpcutil', action: 'ping', args: {}, filter: emptyFilter(), requester: { peer: 'p', addrs: [] }, ttl: 60 }

function outcome (fn: () => unknown): string {
  try {
    fn()
    return 'accepted'
  } catch (err) {
    assert.ok(err instanceof WireError, String(err))
    return err.reason
  }
}

/** A signed request padded to exactly `size` bytes. */
function requestOfSize (size: number): Uint8Array {
  const empty = signRequest({ ...base, args: { pad: '' } }, key).bytes.length
  return signRequest({ ...base, args: { pad: 'x'.repeat(size - empty) } }, key).bytes
}

describe('wire: bounds at their edges', () => {
  it('a request of exactly the size limit is accepted; one byte more is refused before parsing', () => {
    const largest = requestOfSize(MAX_REQUEST_BYTES)
    assert.equal(largest.length, MAX_REQUEST_BYTES)
    assert.equal(outcome(() => openRequest(largest)), 'accepted')
    const tooLarge = new Uint8Array(MAX_REQUEST_BYTES + 1)
    tooLarge.set(largest)
    assert.equal(outcome(() => openRequest(tooLarge)), 'size')
    assert.throws(() => requestOfSize(MAX_REQUEST_BYTES + 1), /the limit is 65536/)
  })

  it('freshness: valid through issued + ttl + skew, expired one millisecond later; the future allowance is exact', () => {
    const issued = 1_000_000_000
    const signed = signRequest(base, key, issued)
    const last = requestValidUntil(signed.body)
    assert.equal(last, issued + 60_000 + CLOCK_SKEW_MS)
    assert.equal(outcome(() => openRequest(signed.bytes, last)), 'accepted')
    assert.equal(outcome(() => openRequest(signed.bytes, last + 1)), 'expired')
    assert.equal(outcome(() => openRequest(signed.bytes, issued - CLOCK_SKEW_MS)), 'accepted')
    assert.equal(outcome(() => openRequest(signed.bytes, issued - CLOCK_SKEW_MS - 1)), 'future')
  })

  it('the longest TTL is accepted, one second more is refused; the request id and caller are checked', () => {
    assert.equal(outcome(() => openRequest(signRequest({ ...base, ttl: MAX_TTL_SECONDS }, key).bytes)), 'accepted')
    assert.equal(outcome(() => openRequest(signRequest({ ...base, ttl: MAX_TTL_SECONDS + 1 }, key).bytes)), 'format')
    assert.equal(outcome(() => openRequest(signRequest(base, key, Date.now(), 'not-hex').bytes)), 'format')
  })

  it('the refusal says why, and carries the id the body claims when it could be read', () => {
    const signed = signRequest(base, key, 1_000_000_000)
    try {
      openRequest(signed.bytes, 2_000_000_000)
      assert.fail('accepted')
    } catch (err) {
      assert.ok(err instanceof WireError)
      assert.equal(err.requestId, signed.body.id)
      assert.match(err.message, /^request expired \d+ s ago$/)
    }
    const header = Uint8Array.from(signed.bytes)
    header[0] = 0x55
    assert.equal(outcome(() => openRequest(header)), 'format')
    assert.equal(outcome(() => openRequest(signed.bytes.subarray(0, 67))), 'format')
  })

  it('replies: exactly the limit decodes, one byte more is refused; an oversized reply is replaced by a status 5 reply', () => {
    const reply = { v: 1 as const, id: 'a'.repeat(32), identity: 'n', status: 0 as const, statusmsg: 'OK', data: { blob: '' } }
    const empty = encodeReply(reply).length
    const largest = encodeReply({ ...reply, data: { blob: 'x'.repeat(MAX_REPLY_BYTES - empty) } })
    assert.equal(largest.length, MAX_REPLY_BYTES)
    assert.equal(decodeReply(largest).status, 0)
    assert.throws(() => decodeReply(new Uint8Array(MAX_REPLY_BYTES + 1)), (err: unknown) => err instanceof WireError && err.reason === 'size')
    const replaced = decodeReply(encodeReply({ ...reply, data: { blob: 'x'.repeat(MAX_REPLY_BYTES) } }))
    assert.equal(replaced.status, 5)
    assert.match(replaced.statusmsg, /exceeds the 1048576-byte limit/)
    assert.deepEqual(replaced.data, {})
  })

  it('JSON depth: exactly the limit parses, one deeper is refused; brackets inside strings and escaped quotes do not count', () => {
    const nested = (depth: number): string => '['.repeat(depth) + ']'.repeat(depth)
    const bytes = (text: string): Uint8Array => new TextEncoder().encode(text)
    assert.doesNotThrow(() => parseJsonBytes(bytes(nested(MAX_JSON_DEPTH))))
    assert.throws(() => parseJsonBytes(bytes(nested(MAX_JSON_DEPTH + 1))), /nested deeper than 64 levels/)
    assert.throws(() => parseJsonBytes(bytes(nested(10_000))), /nested deeper/)
    const inString = JSON.stringify({ text: '['.repeat(200) + '\\"[[[' })
    assert.deepEqual(parseJsonBytes(bytes(inString)), JSON.parse(inString))
    assert.throws(() => parseJsonBytes(bytes(nested(3)), 2), /deeper than 2/)
    assert.throws(() => parseJsonBytes(Uint8Array.from([0x22, 0xff, 0x22])))
  })

  it('canonical JSON sorts keys at every depth and keeps a "__proto__" key a key', () => {
    assert.equal(canonicalJson({ b: 1, a: { d: [{ z: 1, y: 2 }], c: null } }), '{"a":{"c":null,"d":[{"y":2,"z":1}]},"b":1}')
    const parsed = JSON.parse('{"__proto__":{"x":1},"a":1}') as Record<string, unknown>
    assert.equal(canonicalJson(parsed), '{"__proto__":{"x":1},"a":1}')
  })

  it('replies and registry messages: refusals name the reason and the field', () => {
    const bytes = (value: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(value))
    const reply = { v: 1, id: 'a'.repeat(32), identity: 'n', status: 0, statusmsg: 'OK', data: {} }
    assert.throws(() => decodeReply(bytes({ ...reply, status: 6 })), (err: unknown) => err instanceof WireError && err.reason === 'format' && err.message === "reply field 'status' is invalid")
    assert.throws(() => decodeReply(Uint8Array.from([0x7b])), (err: unknown) => err instanceof WireError && err.reason === 'format' && err.message.startsWith('reply: '))
    const beat: Beat = { v: 1, kind: 'beat', identity: 'n1', peer: 'p1', started: 1, seq: 2, rev: 1, interval: 30, addrs: [], sig: '' }
    assert.deepEqual(decodeRegistryMessage(encodeRegistryMessage(beat)), beat)
    assert.throws(() => decodeRegistryMessage(bytes({ ...beat, interval: 0 })), (err: unknown) => err instanceof WireError && err.message === "beat field 'interval' is invalid")
    assert.throws(() => decodeRegistryMessage(bytes({ ...beat, kind: 'announce' })), (err: unknown) => err instanceof WireError && /^registration field '\w+' is invalid$/.test(err.message))
    assert.throws(() => decodeRegistryMessage(bytes([beat])), (err: unknown) => err instanceof WireError && err.message === "registration field '' is invalid")
    assert.throws(() => decodeRegistryMessage(Uint8Array.from([0x5b])), (err: unknown) => err instanceof WireError && err.reason === 'format' && err.message.startsWith('registry message: '))
    const padded = new Uint8Array(MAX_REGISTRATION_BYTES + 1).fill(0x20)
    assert.throws(() => decodeRegistryMessage(padded), (err: unknown) => err instanceof WireError && err.reason === 'size')
    const exact = new Uint8Array(MAX_REGISTRATION_BYTES).fill(0x20)
    exact.set(encodeRegistryMessage(beat))
    assert.deepEqual(decodeRegistryMessage(exact), beat)
  })
})
