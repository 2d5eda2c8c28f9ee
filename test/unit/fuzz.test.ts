// Every decoder that reads bytes from the network, and every parser of operator files, fed
// thousands of hostile inputs: only clean refusals (their own error type), never a crash or hang.
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { openRequest, signRequest } from '../../src/wire/request.js'
import { decodeReply, encodeReply } from '../../src/wire/reply.js'
import { decodeRegistryMessage } from '../../src/wire/registration.js'
import { WireError } from '../../src/wire/errors.js'
import { parseConfig, ConfigError } from '../../src/config/load.js'
import { parsePolicy, PolicyParseError } from '../../src/security/policy.js'
import { parseAuthorizedKeys } from '../../src/security/authorized-keys.js'
import { parseSwarmKey } from '../../src/security/swarm-key.js'
import { generateRequesterKey } from '../../src/security/keys.js'
import { emptyFilter } from '../../src/discovery/filter/types.js'
import { lineReader } from '../../src/requester/socket-protocol.js'

// npm run mutate runs fewer (FUZZ_RUNS): each surviving mutant is run against these again.
const RUNS = Number(process.env.FUZZ_RUNS ?? 3000)

function refusesCleanly<E> (errorType: new (...args: never[]) => E, fn: () => unknown): void {
  try { fn() } catch (err) { if (!(err instanceof errorType)) throw err }
}

const key = generateRequesterKey()
const genuine = signRequest({ collective: 'main', agent: 'rpcutil', action: 'ping', args: {}, filter: emptyFilter(), requester: { peer: 'p', addrs: [] }, ttl: 60 }, key).bytes

/** Random bytes, and mutations of a genuine message (flips, cuts, splices): both matter. */
function hostileBytes (seed: Uint8Array): fc.Arbitrary<Uint8Array> {
  return fc.oneof(
    fc.uint8Array({ maxLength: 2048 }),
    fc.tuple(fc.nat(seed.length - 1), fc.integer({ min: 1, max: 255 })).map(([at, xor]) => { const copy = Uint8Array.from(seed); copy[at] = (copy[at] ?? 0) ^ xor; return copy }),
    fc.nat(seed.length).map(cut => seed.subarray(0, cut)),
    fc.tuple(fc.nat(seed.length), fc.uint8Array({ maxLength: 64 })).map(([at, junk]) => Uint8Array.from([...seed.subarray(0, at), ...junk, ...seed.subarray(at)]))
  )
}

const jsonish = fc.jsonValue().map(value => new TextEncoder().encode(JSON.stringify(value)))

describe('fuzzing the network decoders and the file parsers', function () {
  this.timeout(120_000)

  it('signed requests: mutations and garbage are refused with a WireError', () => {
    fc.assert(fc.property(hostileBytes(genuine), bytes => {
      refusesCleanly(WireError, () => openRequest(bytes))
    }), { numRuns: RUNS })
    // and a mutated request never verifies as a different valid one
    fc.assert(fc.property(fc.nat(genuine.length - 1), fc.integer({ min: 1, max: 255 }), (at, xor) => {
      const copy = Uint8Array.from(genuine)
      copy[at] = (copy[at] ?? 0) ^ xor
      assert.throws(() => openRequest(copy), WireError)
    }), { numRuns: RUNS })
  })

  it('replies and registrations: any bytes or JSON give a value or a WireError', () => {
    const reply = encodeReply({ v: 1, id: 'a'.repeat(32), identity: 'n', status: 0, statusmsg: 'OK', data: { x: 1 } })
    fc.assert(fc.property(fc.oneof(hostileBytes(reply), jsonish), bytes => {
      refusesCleanly(WireError, () => decodeReply(bytes))
      refusesCleanly(WireError, () => decodeRegistryMessage(bytes))
    }), { numRuns: RUNS })
  })

  it('config files: any text is a config or a ConfigError with one line', () => {
    const yamlish = fc.oneof(fc.string({ maxLength: 200 }), fc.jsonValue().map(value => JSON.stringify(value)), fc.dictionary(fc.constantFrom('identity', 'collective', 'listen', 'bootstrap', 'facter', 'colective', 'requester_idle'), fc.jsonValue()).map(value => JSON.stringify(value)))
    fc.assert(fc.property(yamlish, text => {
      try { parseConfig(text, '/fuzz.yaml') } catch (err) {
        if (!(err instanceof ConfigError)) throw err
        assert.equal(err.message.includes('\n'), false, err.message)
      }
    }), { numRuns: RUNS })
  })

  it('policy files, authorized_keys, swarm keys: only their own errors', () => {
    const policyText = fc.array(fc.oneof(
      fc.string({ maxLength: 60 }),
      fc.tuple(fc.constantFrom('allow', 'deny', 'policy', 'alow'), fc.string({ maxLength: 10 }), fc.string({ maxLength: 10 }), fc.string({ maxLength: 20 }), fc.string({ maxLength: 20 })).map(parts => parts.join('\t'))
    ), { maxLength: 8 }).map(lines => lines.join('\n'))
    fc.assert(fc.property(policyText, text => {
      refusesCleanly(PolicyParseError, () => parsePolicy(text, 'fuzz.policy'))
      parseAuthorizedKeys(text, 'fuzz')
      refusesCleanly(ConfigError, () => parseSwarmKey(text, 'fuzz.key'))
    }), { numRuns: RUNS })
  })

  it('authorized_keys: valid lines give exactly their keys and names, each malformed line one problem naming its line', () => {
    const keys = Array.from({ length: 4 }, () => generateRequesterKey().publicKey)
    const space = fc.stringMatching(/^[ \t]{1,3}$/)
    const word = fc.stringMatching(/^[A-Za-z0-9@._=-]{1,12}$/)
    type Line = { text: string, key?: string, name?: string, bad?: true }
    const line: fc.Arbitrary<Line> = fc.oneof(
      fc.tuple(fc.constantFrom(...keys), fc.array(word, { minLength: 1, maxLength: 3 }), space, space, fc.constantFrom('', ' ', '\t'))
        .map(([key, words, s1, s2, edge]) => ({ text: `${edge}ed25519${s1}${key}${s2}${words.join(' ')}${edge}`, key, name: words.join(' ') })),
      fc.string({ maxLength: 30 }).map(text => ({ text: `#${text.replace(/\n/g, '')}` })),
      space.map(text => ({ text })),
      fc.constant({ text: '' }),
      fc.tuple(fc.constantFrom('rsa', 'ssh-ed25519', 'ED25519'), fc.constantFrom(...keys), word).map(([type, key, name]) => ({ text: `${type} ${key} ${name}`, bad: true as const })),
      fc.tuple(fc.constantFrom('notakey', keys[0]?.slice(1) ?? '', 'A'.repeat(44)), word).map(([key, name]) => ({ text: `ed25519 ${key} ${name}`, bad: true as const })),
      fc.constantFrom(...keys).map(key => ({ text: `ed25519 ${key}`, bad: true as const }))
    )
    fc.assert(fc.property(fc.array(line, { maxLength: 12 }), lines => {
      const parsed = parseAuthorizedKeys(lines.map(entry => entry.text).join('\n'), 'fuzz_keys')
      // The last line naming a key wins, as a file edited by appending would expect.
      const expected = new Map<string, string>()
      for (const entry of lines) if (entry.key !== undefined && entry.name !== undefined) expected.set(entry.key, entry.name)
      assert.deepEqual(parsed.byKey, expected)
      const badLines = lines.flatMap((entry, index) => entry.bad === true ? [index + 1] : [])
      assert.deepEqual(parsed.problems.map(problem => Number(/^fuzz_keys:(\d+): /.exec(problem)?.[1])), badLines)
    }), { numRuns: RUNS })
  })

  it('the requester agent socket reader survives any byte stream', () => {
    fc.assert(fc.property(fc.array(fc.uint8Array({ maxLength: 200 }), { maxLength: 10 }), chunks => {
      const read = lineReader(() => {})
      for (const chunk of chunks) read(Buffer.from(chunk))
    }), { numRuns: RUNS })
  })
})
