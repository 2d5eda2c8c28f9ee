import assert from 'node:assert/strict'
import { generateRequesterKey } from '../../src/security/keys.js'
import { signRequest, openRequest, type NewRequest } from '../../src/wire/request.js'
import { WireError } from '../../src/wire/errors.js'
import { RequestGate } from '../../src/security/request-gate.js'
import { CLOCK_SKEW_MS, MAX_REQUEST_BYTES } from '../../src/wire/limits.js'
import { pingRequest } from '../helpers/requests.js'

const key = generateRequesterKey()
const base: NewRequest = pingRequest

function reason (fn: () => unknown): string {
  try {
    fn()
  } catch (err) {
    assert.ok(err instanceof WireError, `expected WireError, got ${String(err)}`)
    return err.reason
  }
  return 'accepted'
}

describe('wire: signed requests', () => {
  it('round-trips a signed request', () => {
    const signed = signRequest(base, key)
    const body = openRequest(signed.bytes)
    assert.equal(body.agent, 'rpcutil')
    assert.equal(body.caller, key.publicKey)
    assert.equal(body.id, signed.body.id)
  })

  it('refuses any single flipped byte', () => {
    const signed = signRequest(base, key)
    for (let i = 0; i < signed.bytes.length; i += 7) {
      const copy = Uint8Array.from(signed.bytes)
      copy[i] = (copy[i] ?? 0) ^ 0x20
      assert.notEqual(reason(() => openRequest(copy)), 'accepted', `byte ${i}`)
    }
  })

  it('refuses a body signed by another key under the claimed caller', () => {
    const other = generateRequesterKey()
    const forged = signRequest(base, other)
    const body = Buffer.from(forged.bytes.subarray(66)).toString('utf8').replace(other.publicKey, key.publicKey)
    const bytes = Buffer.concat([Buffer.from(forged.bytes.subarray(0, 66)), Buffer.from(body)])
    assert.equal(reason(() => openRequest(bytes)), 'signature')
  })

  it('refuses expired requests and requests from beyond the skew allowance in the future', () => {
    const now = Date.now()
    const old = signRequest(base, key, now - 61_000 - CLOCK_SKEW_MS)
    assert.equal(reason(() => openRequest(old.bytes, now)), 'expired')
    const future = signRequest(base, key, now + CLOCK_SKEW_MS + 5000)
    assert.equal(reason(() => openRequest(future.bytes, now)), 'future')
    const slightlyAhead = signRequest(base, key, now + 5000)
    assert.equal(reason(() => openRequest(slightlyAhead.bytes, now)), 'accepted')
  })

  it('refuses oversized requests before parsing, and will not sign one', () => {
    assert.equal(reason(() => openRequest(new Uint8Array(MAX_REQUEST_BYTES + 1))), 'size')
    assert.throws(() => signRequest({ ...base, args: { blob: 'x'.repeat(MAX_REQUEST_BYTES) } }, key), /limit/)
  })

  it('refuses garbage and unknown versions', () => {
    assert.equal(reason(() => openRequest(new Uint8Array([1, 2, 3]))), 'format')
    const signed = signRequest(base, key)
    const v2 = Uint8Array.from(signed.bytes)
    v2[1] = 2
    assert.equal(reason(() => openRequest(v2)), 'format')
  })

  it('the gate accepts a request once, then ignores its replay', () => {
    const gate = new RequestGate({ collective: 'main' })
    const signed = signRequest(base, key)
    assert.equal(gate.check(signed.bytes).verdict, 'accept')
    const again = gate.check(signed.bytes)
    assert.equal(again.verdict, 'ignore')
    assert.equal(again.verdict === 'ignore' ? again.kind : '', 'replay')
  })
})
