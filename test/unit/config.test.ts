import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseConfig, loadConfig, ConfigError } from '../../src/config/load.js'
import { configSchema, KEY_ROLES } from '../../src/config/schema.js'
import { parseAuthorizedKeys } from '../../src/security/authorized-keys.js'
import { generateRequesterKey, formatAuthorizedKey } from '../../src/security/keys.js'

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..')

describe('config', () => {
  it('the example configs in the docs are valid', () => {
    const daemon = loadConfig(join(repo, 'docs', 'examples', 'daemon.example.yaml'))
    assert.equal(daemon.authorized_keys, '/etc/troupe/authorized_keys')
    assert.equal(daemon.facter, true)
    const bootstrap = loadConfig(join(repo, 'bootstrap', 'bootstrap.example.yaml'))
    assert.deepEqual(bootstrap.listen, ['/ip4/0.0.0.0/tcp/61613'])
    assert.match(readFileSync(join(repo, 'docs', 'examples', 'troupe-daemon.service'), 'utf8'), /^ExecStart=.*troupe daemon --config \/etc\/troupe\/daemon\.yaml$/m)
  })

  it('applies defaults and resolves paths against the file', () => {
    const config = parseConfig('identity: web01\nfacts: facts.yaml\n', '/etc/troupe/daemon.yaml')
    assert.equal(config.collective, 'main')
    assert.equal(config.facts, '/etc/troupe/facts.yaml')
  })

  it('names the file and the key on an unknown key or wrong type', () => {
    assert.throws(() => parseConfig('colective: x\n', '/c.yaml'), (err: Error) => err instanceof ConfigError && err.message === "/c.yaml: unknown key 'colective'")
    assert.throws(() => parseConfig('facter: yes please\n', '/c.yaml'), /\/c\.yaml: key 'facter'/)
    assert.throws(() => parseConfig('bootstrap: [tcp://x]\n', '/c.yaml'), /key 'bootstrap\.0': must be a multiaddr/)
  })

  it('with a role, a key that role does not use is an error', () => {
    assert.throws(() => parseConfig('facts: f.yaml\n', '/c.yaml', 'client'), /\/c\.yaml: key 'facts' is not used by a client config \(it is for daemon\)/)
    assert.throws(() => parseConfig('caller_key: k\n', '/c.yaml', 'bootstrap'), /key 'caller_key' is not used by a bootstrap config/)
    assert.throws(() => parseConfig('requester_idle: 0\n', '/c.yaml', 'daemon'), /key 'requester_idle' is not used by a daemon config/)
    assert.equal(parseConfig('authorized_keys: /etc/troupe/authorized_keys\n', '/c.yaml', 'bootstrap').authorized_keys, '/etc/troupe/authorized_keys')
    assert.equal(parseConfig('collectives: [b]\n', '/c.yaml', 'client').collectives?.[0], 'b')
  })

  it('every key of the schema says which roles use it (a new key cannot skip the role check)', () => {
    assert.deepEqual(Object.keys(configSchema.shape).filter(key => KEY_ROLES[key] === undefined), [])
  })

  it('the example configs fit their roles', () => {
    loadConfig(join(repo, 'docs', 'examples', 'daemon.example.yaml'), 'daemon')
    loadConfig(join(repo, 'bootstrap', 'bootstrap.example.yaml'), 'bootstrap')
  })

  it('refuses YAML that is not a mapping, in one line', () => {
    assert.throws(() => parseConfig('- a\n- b\n', '/c.yaml'), /must be a YAML mapping/)
    assert.throws(() => parseConfig('a: [\n', '/c.yaml'), (err: Error) => /not valid YAML/.test(err.message) && !err.message.includes('\n'))
  })
})

describe('authorized_keys', () => {
  it('reads keys with caller names and reports malformed lines', () => {
    const key = generateRequesterKey()
    const text = `# comment\n${formatAuthorizedKey(key.publicKey, 'alice')}\nrsa AAAA bob\ned25519 notbase64 carol\ned25519 ${key.publicKey}\n`
    const parsed = parseAuthorizedKeys(text, 'ak')
    assert.equal(parsed.byKey.get(key.publicKey), 'alice')
    assert.equal(parsed.problems.length, 3)
  })
})
