// keys.ts: requester keys. The private key is a PKCS#8 PEM file (0600) read back exactly as
// written; the public key is canonical base64 of the raw 32 bytes and nothing else; a bad file
// or key is refused with a KeyError saying what to do; a fingerprint names a key in logs.
// Real ed25519 keys (node:crypto), real files in a temporary directory.
import assert from 'node:assert/strict'
import { createHash, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto'
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  KeyError, formatAuthorizedKey, generateRequesterKey, keyFingerprint, publicKeyObject, readRequesterKey,
  signBytes, verifyBytes, writeRequesterKey, type RequesterKey
} from '../../src/security/keys.js'

const data = new TextEncoder().encode('troupe-request-v1\0{"id":"x"}')

function keyError (message: string): (err: unknown) => boolean {
  return err => {
    assert.ok(err instanceof KeyError, `expected a KeyError, got ${String(err)}`)
    assert.equal(err.message, message)
    return true
  }
}

function rawX (key: KeyObject): string {
  const x = key.export({ format: 'jwk' }).x
  assert.equal(typeof x, 'string')
  return Buffer.from(x as string, 'base64url').toString('base64')
}

describe('requester keys (keys.ts)', function () {
  let dir: string
  beforeEach(function () { dir = mkdtempSync(join(tmpdir(), 'troupe-keys-')) })
  afterEach(function () { rmSync(dir, { recursive: true, force: true }) })

  /** A PEM file holding `text`, mode 0600. */
  function pemFile (name: string, text: string): string {
    const path = join(dir, name)
    writeFileSync(path, text, { mode: 0o600 })
    return path
  }

  describe('public keys and signatures', function () {
    it('a generated key: its public key is the canonical base64 of the raw 32 bytes, and what it signs verifies', function () {
      const key = generateRequesterKey()
      assert.equal(key.privateKey.asymmetricKeyType, 'ed25519')
      assert.match(key.publicKey, /^[A-Za-z0-9+/]{43}=$/)
      assert.equal(Buffer.from(key.publicKey, 'base64').length, 32)
      assert.equal(key.publicKey, rawX(key.privateKey))
      assert.notEqual(generateRequesterKey().publicKey, key.publicKey)
      const signature = signBytes(key, data)
      assert.equal(signature.length, 64)
      assert.equal(verifyBytes(key.publicKey, data, signature), true)
    })

    it('other data, another key, a changed signature or one of the wrong length do not verify (and never throw)', function () {
      const key = generateRequesterKey()
      const signature = signBytes(key, data)
      const changed = Uint8Array.from(data)
      changed[3] ^= 1
      assert.equal(verifyBytes(key.publicKey, changed, signature), false)
      assert.equal(verifyBytes(generateRequesterKey().publicKey, data, signature), false)
      const flipped = Uint8Array.from(signature)
      flipped[40] ^= 1
      assert.equal(verifyBytes(key.publicKey, data, flipped), false)
      assert.equal(verifyBytes(key.publicKey, data, signature.subarray(0, 63)), false)
      assert.equal(verifyBytes(key.publicKey, data, new Uint8Array([...signature, 0])), false)
      assert.equal(verifyBytes(key.publicKey, data, new Uint8Array(0)), false)
      assert.equal(verifyBytes('not a key', data, signature), false)
      assert.equal(verifyBytes('', data, signature), false)
    })

    it('publicKeyObject takes the canonical base64 of 32 raw bytes, and gives the same key object when asked again', function () {
      const key = generateRequesterKey()
      const parsed = publicKeyObject(key.publicKey)
      assert.ok(parsed !== null)
      assert.equal(parsed.type, 'public')
      assert.equal(parsed.asymmetricKeyType, 'ed25519')
      assert.equal(rawX(parsed), key.publicKey)
      assert.equal(publicKeyObject(key.publicKey), parsed, 'cached')
    })

    it('publicKeyObject refuses every other spelling of a key with null: base64url, unpadded, spaced, hex, PEM, a key line, another length', function () {
      // A key whose base64 holds '+' or '/', so that its base64url spelling differs.
      let key = generateRequesterKey()
      for (let tries = 0; !/[+/]/.test(key.publicKey); tries++) {
        assert.ok(tries < 200, `no generated key has '+' or '/' in its public key (${key.publicKey})`)
        key = generateRequesterKey()
      }
      const raw = Buffer.from(key.publicKey, 'base64')
      const spellings = {
        base64url: raw.toString('base64url'),
        unpadded: key.publicKey.replace(/=$/, ''),
        'trailing newline': `${key.publicKey}\n`,
        'leading space': ` ${key.publicKey}`,
        hex: raw.toString('hex'),
        'SPKI PEM': publicKeyPem(key),
        'authorized_keys line': formatAuthorizedKey(key.publicKey, 'alice'),
        '31 bytes': raw.subarray(0, 31).toString('base64'),
        '33 bytes': Buffer.concat([raw, Buffer.from([0])]).toString('base64'),
        '64 bytes': Buffer.concat([raw, raw]).toString('base64'),
        empty: ''
      }
      for (const [name, spelling] of Object.entries(spellings)) {
        assert.equal(publicKeyObject(spelling), null, name)
        assert.equal(publicKeyObject(spelling), null, `${name}, asked again (cached)`)
        assert.equal(verifyBytes(spelling, data, signBytes(key, data)), false, name)
      }
      assert.equal(verifyBytes(key.publicKey, data, signBytes(key, data)), true)
    })

    it('answers stay right past the bound of the parsed-key cache', function () {
      const key = generateRequesterKey()
      const signature = signBytes(key, data)
      assert.ok(publicKeyObject(key.publicKey) !== null)
      for (let i = 0; i < 10_005; i++) publicKeyObject(`junk${i}`)
      assert.equal(publicKeyObject('junk1'), null)
      assert.equal(verifyBytes(key.publicKey, data, signature), true)
      assert.equal(rawX(publicKeyObject(key.publicKey) as KeyObject), key.publicKey)
      // A key first seen after the flood is parsed too.
      const late = generateRequesterKey()
      assert.equal(rawX(publicKeyObject(late.publicKey) as KeyObject), late.publicKey)
      assert.equal(verifyBytes(late.publicKey, data, signBytes(late, data)), true)
    })
  })

  describe('fingerprints and authorized_keys lines', function () {
    it('a fingerprint is the first 16 hex digits of the SHA-256 of the base64 key: stable, and different for another key', function () {
      const key = generateRequesterKey().publicKey
      const fingerprint = keyFingerprint(key)
      assert.match(fingerprint, /^[0-9a-f]{16}$/)
      assert.equal(fingerprint, createHash('sha256').update(key, 'utf8').digest('hex').slice(0, 16))
      assert.equal(keyFingerprint(key), fingerprint)
      assert.notEqual(keyFingerprint(generateRequesterKey().publicKey), fingerprint)
      // A fixed key, a fixed answer: audit logs and `troupe doctor` print the same name across versions.
      assert.equal(keyFingerprint('AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA='), '51643eac9777b63a')
    })

    it('an authorized_keys line is "ed25519 <base64> <name>"', function () {
      const key = generateRequesterKey().publicKey
      assert.equal(formatAuthorizedKey(key, 'alice'), `ed25519 ${key} alice`)
    })
  })

  describe('key files', function () {
    it('writes the private key (0600, PKCS#8 PEM) and FILE.pub (its authorized_keys line); reading it back gives the same key', function () {
      const key = generateRequesterKey()
      const path = join(dir, 'caller.key')
      writeRequesterKey(path, key, 'alice')
      assert.equal(statSync(path).mode & 0o777, 0o600)
      assert.match(readFileSync(path, 'utf8'), /^-----BEGIN PRIVATE KEY-----\n[\s\S]+\n-----END PRIVATE KEY-----\n$/)
      assert.equal(readFileSync(`${path}.pub`, 'utf8'), `ed25519 ${key.publicKey} alice\n`)
      const read = readRequesterKey(path)
      assert.equal(read.publicKey, key.publicKey)
      assert.equal(verifyBytes(key.publicKey, data, signBytes(read, data)), true)
    })

    it('reads a PKCS#8 PEM key however its text is laid out: CRLF line ends, no final newline, text before or after the PEM block', function () {
      const key = generateRequesterKey()
      const pem = key.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string
      const layouts = {
        crlf: pem.replace(/\n/g, '\r\n'),
        'no final newline': pem.trimEnd(),
        'comment before': `# alice's caller key\n${pem}`,
        'text after': `${pem}\nsee the runbook\n`
      }
      for (const [name, text] of Object.entries(layouts)) {
        assert.equal(readRequesterKey(pemFile(name.replace(/\W/g, '-'), text)).publicKey, key.publicKey, name)
      }
    })

    it('a key that is owner-only (0600, 0400, 0700) is read; one the group or others may read is refused, saying how to fix it', function () {
      const key = generateRequesterKey()
      const path = join(dir, 'caller.key')
      writeRequesterKey(path, key, 'alice')
      for (const mode of [0o600, 0o400, 0o700]) {
        chmodSync(path, mode)
        assert.equal(readRequesterKey(path).publicKey, key.publicKey, mode.toString(8))
      }
      for (const mode of [0o644, 0o640, 0o604, 0o660, 0o601]) {
        chmodSync(path, mode)
        assert.throws(() => readRequesterKey(path), keyError(`requester key ${path} is readable by others: chmod 600 ${path}`), mode.toString(8))
      }
    })

    it('a missing key (or a directory in its place) is refused, naming the error and how to create one', function () {
      const missing = join(dir, 'missing.key')
      assert.throws(() => readRequesterKey(missing), keyError(`cannot read requester key ${missing}: ENOENT (create one with 'troupe keygen --out ${missing}')`))
      assert.throws(() => readRequesterKey(dir), keyError(`cannot read requester key ${dir}: EISDIR (create one with 'troupe keygen --out ${dir}')`))
    })

    it('an encrypted PKCS#8 key and an OpenSSH key are refused, each saying what it is and how to get a usable one', function () {
      const key = generateRequesterKey()
      const encrypted = pemFile('encrypted', key.privateKey.export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: 'secret' }) as string)
      assert.throws(() => readRequesterKey(encrypted), keyError(`requester key ${encrypted} is encrypted with a passphrase; troupe reads unencrypted keys (protected by chmod 600): create one with 'troupe keygen --out ${encrypted}'`))
      // What ssh-keygen -t ed25519 writes (a throwaway key made for this test).
      const openssh = pemFile('openssh', '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n-----END OPENSSH PRIVATE KEY-----\n')
      assert.throws(() => readRequesterKey(openssh), keyError(`requester key ${openssh} is in OpenSSH's format; troupe reads PKCS#8 PEM: create one with 'troupe keygen --out ${openssh}'`))
    })

    it('a file that is not a PEM private key is refused: text, empty, a public key, a JWK, an indented PEM', function () {
      const key = generateRequesterKey()
      const pem = key.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string
      const texts = {
        text: 'hello\n',
        empty: '',
        'public key': publicKeyPem(key),
        jwk: JSON.stringify(key.privateKey.export({ format: 'jwk' })),
        indented: pem.split('\n').map(line => `  ${line}`).join('\n')
      }
      for (const [name, text] of Object.entries(texts)) {
        const path = pemFile(name.replace(/\W/g, '-'), text)
        assert.throws(() => readRequesterKey(path), keyError(`requester key ${path} is not a PEM private key`), name)
      }
    })

    it('a PEM private key of another type is refused, naming its type', function () {
      const others: Array<[string, string]> = [
        ['rsa', generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ format: 'pem', type: 'pkcs1' }) as string],
        ['ec', generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'pem', type: 'sec1' }) as string],
        ['x25519', generateKeyPairSync('x25519').privateKey.export({ format: 'pem', type: 'pkcs8' }) as string],
        ['ed448', generateKeyPairSync('ed448').privateKey.export({ format: 'pem', type: 'pkcs8' }) as string]
      ]
      for (const [type, text] of others) {
        const path = pemFile(`${type}.key`, text)
        assert.throws(() => readRequesterKey(path), keyError(`requester key ${path} is ${type}, not ed25519`), type)
      }
    })

    it('never overwrites: an existing key, an existing .pub or a symlink at either name is refused (EEXIST) and nothing is left behind', function () {
      const key = generateRequesterKey()
      const path = join(dir, 'caller.key')
      writeFileSync(path, 'precious\n', { mode: 0o600 })
      assert.throws(() => writeRequesterKey(path, key, 'alice'), { code: 'EEXIST' })
      assert.equal(readFileSync(path, 'utf8'), 'precious\n')
      assert.equal(existsSync(`${path}.pub`), false)

      const second = join(dir, 'second.key')
      writeFileSync(`${second}.pub`, 'ed25519 old bob\n')
      assert.throws(() => writeRequesterKey(second, key, 'alice'), { code: 'EEXIST' })
      assert.equal(existsSync(second), false, 'the private key opened first is removed again')
      assert.equal(readFileSync(`${second}.pub`, 'utf8'), 'ed25519 old bob\n')

      const target = join(dir, 'target')
      const linked = join(dir, 'linked.key')
      symlinkSync(target, linked)
      assert.throws(() => writeRequesterKey(linked, key, 'alice'), { code: 'EEXIST' })
      assert.equal(existsSync(target), false, 'the symlink is not followed')
      const linkedPub = join(dir, 'linked-pub.key')
      symlinkSync(target, `${linkedPub}.pub`)
      assert.throws(() => writeRequesterKey(linkedPub, key, 'alice'), { code: 'EEXIST' })
      assert.equal(existsSync(target), false)
      assert.equal(existsSync(linkedPub), false)
    })
  })
})

function publicKeyPem (key: RequesterKey): string {
  return createPublicKey(key.privateKey).export({ format: 'pem', type: 'spki' }) as string
}
