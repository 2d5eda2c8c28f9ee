// request-gate.ts: the first-hop check every mesh member applies before it delivers or forwards a
// request. Each verdict on real signed bytes (real ed25519 keys, signRequest): accept; reject when
// the sender is at fault (size, format, signature, another collective); ignore when the forwarder
// may be innocent (expired, from the future, replayed, the caller's share of the cache full); and
// stranger for a well-signed request from a caller not authorized here, which takes no place in
// the replay cache. Only an accepted request is remembered.
import assert from 'node:assert/strict'
import { generateRequesterKey, signBytes } from '../../src/security/keys.js'
import { RequestGate, type GateVerdict } from '../../src/security/request-gate.js'
import { ReplayCache } from '../../src/security/replay.js'
import { signRequest, requestValidUntil, type NewRequest } from '../../src/wire/request.js'
import { DOMAIN } from '../../src/wire/sign-request.js'
import { concat } from 'uint8arrays/concat'
import { jsonBytes } from '../../src/wire/canonical.js'
import { CLOCK_SKEW_MS, MAX_REQUEST_BYTES } from '../../src/wire/limits.js'
import { pingRequest } from '../helpers/requests.js'

const alice = generateRequesterKey()
const mallory = generateRequesterKey()
const NOW = 1_700_000_000_000

const base: NewRequest = pingRequest

const gate = (options: { isAuthorized?: (key: string) => boolean, replay?: ReplayCache } = {}): RequestGate =>
  new RequestGate({ collective: 'main', isAuthorized: key => key === alice.publicKey, ...options })

/** The verdict's kind (reject and ignore), else its verdict. */
function kindOf (verdict: GateVerdict): string {
  return verdict.verdict === 'reject' || verdict.verdict === 'ignore' ? `${verdict.verdict}/${verdict.kind}` : verdict.verdict
}

/** Bytes with the body as given, signed by `key` (a body signRequest would not make). */
function signedBody (body: unknown, key = alice): Uint8Array {
  const bodyBytes = jsonBytes(body)
  return Uint8Array.from([0x54, 1, ...signBytes(key, concat([DOMAIN, bodyBytes])), ...bodyBytes])
}

describe('request gate', function () {
  it('accepts a well-signed, fresh request for this collective from an authorized caller, and remembers its id', function () {
    const g = gate()
    const signed = signRequest(base, alice, NOW)
    const verdict = g.check(signed.bytes, NOW + 1000)
    assert.equal(verdict.verdict, 'accept')
    assert.deepEqual(verdict.verdict === 'accept' ? verdict.body : undefined, signed.body)
    assert.equal(g.remembered, 1)
  })

  it('rejects a request over the size limit before reading it', function () {
    const g = gate()
    const verdict = g.check(new Uint8Array(MAX_REQUEST_BYTES + 1), NOW)
    assert.equal(kindOf(verdict), 'reject/size')
    assert.equal(verdict.verdict === 'reject' ? verdict.reason : '', `request of ${MAX_REQUEST_BYTES + 1} bytes exceeds ${MAX_REQUEST_BYTES}`)
    assert.equal(g.remembered, 0)
  })

  it('rejects what is not a request: garbage, another magic byte or version, a body that is not JSON or not a request body', function () {
    const g = gate()
    const signed = signRequest(base, alice, NOW)
    const withByte = (index: number, value: number): Uint8Array => { const copy = Uint8Array.from(signed.bytes); copy[index] = value; return copy }
    const cases: Record<string, Uint8Array> = {
      empty: new Uint8Array(0),
      short: new Uint8Array([0x54, 1, 2, 3]),
      'other magic': withByte(0, 0x55),
      'version 2': withByte(1, 2),
      'body not JSON': Uint8Array.from([...signed.bytes.subarray(0, 66), ...new TextEncoder().encode('{"v":1,')]),
      'unknown field': signedBody({ ...signed.body, extra: true }),
      'ttl beyond the maximum': signedBody({ ...signed.body, ttl: 3601 }),
      'caller not a key': signedBody({ ...signed.body, caller: 'alice' })
    }
    for (const [name, bytes] of Object.entries(cases)) {
      const verdict = g.check(bytes, NOW)
      assert.equal(kindOf(verdict), 'reject/format', name)
    }
    assert.equal(g.remembered, 0)
  })

  it('rejects a request whose signature does not verify (tampered body, changed signature, another key under the caller\'s name), naming the claimed id', function () {
    const g = gate()
    const signed = signRequest(base, alice, NOW)
    // The body is ASCII: latin1 carries the bytes through a string unchanged.
    const tampered = Uint8Array.from(Buffer.from(Buffer.from(signed.bytes).toString('latin1').replace('"ping"', '"pong"'), 'latin1'))
    assert.equal(tampered.length, signed.bytes.length)
    const flipped = Uint8Array.from(signed.bytes)
    flipped[10] ^= 1
    const forged = signedBody({ ...signed.body }, mallory)
    for (const [name, bytes] of Object.entries({ tampered, flipped, forged })) {
      const verdict = g.check(bytes, NOW)
      assert.equal(kindOf(verdict), 'reject/signature', name)
      assert.equal(verdict.verdict === 'reject' ? verdict.id : undefined, signed.body.id, name)
      assert.equal(verdict.verdict === 'reject' ? verdict.reason : '', 'request signature does not verify')
    }
    assert.equal(g.remembered, 0)
    assert.equal(g.check(signed.bytes, NOW).verdict, 'accept', 'the forgeries took no place: the real request is still fresh')
  })

  it('ignores (does not reject) an expired request and one from beyond the clock-skew allowance, naming its id', function () {
    const g = gate()
    const signed = signRequest(base, alice, NOW)
    const until = requestValidUntil(signed.body)
    assert.equal(until, NOW + 60_000 + CLOCK_SKEW_MS)
    const expired = g.check(signed.bytes, until + 1)
    assert.equal(kindOf(expired), 'ignore/expired')
    assert.equal(expired.verdict === 'ignore' ? expired.id : undefined, signed.body.id)
    const future = g.check(signed.bytes, NOW - CLOCK_SKEW_MS - 1)
    assert.equal(kindOf(future), 'ignore/future')
    assert.equal(future.verdict === 'ignore' ? future.id : undefined, signed.body.id)
    assert.equal(g.remembered, 0)
    // Inside the allowance, either way: accepted.
    assert.equal(g.check(signed.bytes, NOW - CLOCK_SKEW_MS).verdict, 'accept')
    assert.equal(gate().check(signed.bytes, until).verdict, 'accept')
  })

  it('ignores a replay of an accepted request while it could still be accepted, and remembers it once', function () {
    const g = gate()
    const signed = signRequest(base, alice, NOW)
    assert.equal(g.check(signed.bytes, NOW).verdict, 'accept')
    for (const at of [NOW, NOW + 1, NOW + 60_000, requestValidUntil(signed.body) - 1, requestValidUntil(signed.body)]) {
      const again = g.check(signed.bytes, at)
      assert.equal(kindOf(again), 'ignore/replay', String(at - NOW))
      assert.equal(again.verdict === 'ignore' ? again.reason : '', `request ${signed.body.id} was already seen (replay)`)
      assert.equal(again.verdict === 'ignore' ? again.body?.id : undefined, signed.body.id)
    }
    assert.equal(g.remembered, 1)
    // Another request of the same caller is not a replay.
    assert.equal(g.check(signRequest(base, alice, NOW).bytes, NOW).verdict, 'accept')
    assert.equal(g.remembered, 2)
  })

  it('ignores a new request once the caller\'s share of the replay cache is full, rather than forget a live id', function () {
    const g = gate({ replay: new ReplayCache({ maxEntries: 10, maxPerOwner: 2 }), isAuthorized: () => true })
    assert.equal(g.check(signRequest(base, alice, NOW).bytes, NOW).verdict, 'accept')
    assert.equal(g.check(signRequest(base, alice, NOW).bytes, NOW).verdict, 'accept')
    const third = signRequest(base, alice, NOW + 20_000)
    assert.equal(kindOf(g.check(third.bytes, NOW)), 'ignore/full')
    assert.equal(g.check(signRequest(base, mallory, NOW).bytes, NOW).verdict, 'accept', 'another caller has its own share')
    assert.equal(g.remembered, 3)
    // Once alice's first two requests have expired, the one refused (still valid) is taken.
    assert.equal(g.check(third.bytes, NOW + 60_000 + CLOCK_SKEW_MS + 1).verdict, 'accept')
  })

  it('rejects a well-signed request for another collective, even from a stranger, and does not remember it', function () {
    const g = gate()
    for (const key of [alice, mallory]) {
      const signed = signRequest({ ...base, collective: 'staging' }, key, NOW)
      const verdict = g.check(signed.bytes, NOW)
      assert.equal(kindOf(verdict), 'reject/collective')
      assert.equal(verdict.verdict === 'reject' ? verdict.reason : '', 'request is signed for collective \'staging\', not \'main\'')
      assert.equal(verdict.verdict === 'reject' ? verdict.body?.id : undefined, signed.body.id)
    }
    assert.equal(g.remembered, 0)
  })

  it('a well-signed request from a caller not authorized here is a stranger\'s: it takes no place in the replay cache', function () {
    const g = gate()
    assert.equal(g.check(signRequest(base, alice, NOW).bytes, NOW).verdict, 'accept')
    assert.equal(g.remembered, 1)
    const signed = signRequest(base, mallory, NOW)
    for (let i = 0; i < 3; i++) {
      const verdict = g.check(signed.bytes, NOW + i)
      assert.equal(verdict.verdict, 'stranger', `time ${i}: a stranger's request is never a replay, since it was never remembered`)
      assert.deepEqual(verdict.verdict === 'stranger' ? verdict.body : undefined, signed.body)
      assert.equal(verdict.verdict === 'stranger' ? verdict.reason : '', 'caller key is not in authorized_keys here')
      assert.equal(g.remembered, 1)
    }
    // Many strangers' requests: still only alice's id is held.
    for (let i = 0; i < 50; i++) assert.equal(g.check(signRequest(base, mallory, NOW).bytes, NOW).verdict, 'stranger')
    assert.equal(g.remembered, 1)
  })

  it('asks whether the caller is authorized only of a well-signed, fresh request for this collective', function () {
    const asked: string[] = []
    const g = gate({ isAuthorized: key => { asked.push(key); return key === alice.publicKey } })
    const signed = signRequest(base, mallory, NOW)
    assert.equal(kindOf(g.check(signed.bytes, requestValidUntil(signed.body) + 1)), 'ignore/expired')
    assert.equal(kindOf(g.check(signed.bytes, NOW - CLOCK_SKEW_MS - 1)), 'ignore/future')
    assert.equal(kindOf(g.check(signedBody({ ...signed.body }, alice), NOW)), 'reject/signature')
    assert.equal(kindOf(g.check(signRequest({ ...base, collective: 'staging' }, mallory, NOW).bytes, NOW)), 'reject/collective')
    assert.deepEqual(asked, [])
    assert.equal(g.check(signed.bytes, NOW).verdict, 'stranger')
    assert.deepEqual(asked, [mallory.publicKey])
    assert.equal(g.remembered, 0)
  })

  it('a gate that cannot tell who is authorized (no isAuthorized) passes every well-signed request on, and remembers it', function () {
    const g = new RequestGate({ collective: 'main' })
    for (const key of [alice, mallory]) {
      const signed = signRequest(base, key, NOW)
      assert.equal(g.check(signed.bytes, NOW).verdict, 'accept')
      assert.equal(kindOf(g.check(signed.bytes, NOW)), 'ignore/replay')
    }
    assert.equal(g.remembered, 2)
  })

  it('a shared replay cache: a request accepted by one gate is a replay at another over the same cache', function () {
    const replay = new ReplayCache()
    const signed = signRequest(base, alice, NOW)
    assert.equal(gate({ replay }).check(signed.bytes, NOW).verdict, 'accept')
    assert.equal(kindOf(gate({ replay }).check(signed.bytes, NOW)), 'ignore/replay')
    assert.equal(replay.size, 1)
  })
})
