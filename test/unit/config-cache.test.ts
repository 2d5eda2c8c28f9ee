// The CLI reads its client config through a cache (src/config/cached.ts): the same config as the
// loader gives, re-read whenever the file changes, never an invalid config, and never a cache
// file someone else could have written.
import assert from 'node:assert/strict'
import { chmodSync, mkdtempSync, readdirSync, readFileSync, writeFileSync, utimesSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadConfigCached } from '../../src/config/cached.js'
import { loadConfig, ConfigError } from '../../src/config/load.js'

describe('config cache (the CLI\'s lean path)', () => {
  const saved = process.env.XDG_RUNTIME_DIR
  let runtime: string
  let dir: string
  beforeEach(() => {
    runtime = mkdtempSync(join(tmpdir(), 'troupe-runtime-'))
    process.env.XDG_RUNTIME_DIR = runtime
    dir = mkdtempSync(join(tmpdir(), 'troupe-cfg-'))
  })
  after(() => {
    if (saved === undefined) delete process.env.XDG_RUNTIME_DIR
    else process.env.XDG_RUNTIME_DIR = saved
  })
  const cacheFiles = (): string[] => readdirSync(join(runtime, 'troupe')).filter(name => name.endsWith('.json'))

  it('gives what the loader gives, from the cache the second time', async () => {
    const file = join(dir, 'client.yaml')
    writeFileSync(file, 'bootstrap: [/ip4/127.0.0.1/tcp/61613]\ncaller_key: keys/me.key\nrequester_idle: 30\n')
    const first = await loadConfigCached(file, 'client')
    assert.deepEqual(first, loadConfig(file, 'client'))
    assert.equal(cacheFiles().length, 1)
    const entry = join(runtime, 'troupe', cacheFiles()[0] ?? '')
    assert.equal(statSync(entry).mode & 0o777, 0o600)
    // A planted value in the cache entry shows that the second read came from it.
    writeFileSync(entry, readFileSync(entry, 'utf8').replace('"requester_idle":30', '"requester_idle":31'))
    assert.equal((await loadConfigCached(file, 'client')).requester_idle, 31)
  })

  it('re-reads the file once it changed, even to the same size and modification time', async () => {
    const file = join(dir, 'client.yaml')
    const then = new Date(Date.now() - 60_000)
    writeFileSync(file, 'collective: aaaa\n')
    utimesSync(file, then, then)
    assert.equal((await loadConfigCached(file, 'client')).collective, 'aaaa')
    writeFileSync(file, 'collective: bbbb\n')
    utimesSync(file, then, then)
    assert.equal((await loadConfigCached(file, 'client')).collective, 'bbbb')
  })

  it('an invalid config fails the same way every time and is never cached', async () => {
    const file = join(dir, 'client.yaml')
    writeFileSync(file, 'facts: /etc/troupe/facts.yaml\n')
    for (let i = 0; i < 2; i++) {
      await assert.rejects(loadConfigCached(file, 'client'), (err: Error) => err instanceof ConfigError && /key 'facts' is not used by a client config/.test(err.message))
    }
    assert.deepEqual(readdirSync(runtime), [])
    await assert.rejects(loadConfigCached(join(dir, 'missing.yaml'), 'client'), /cannot read config .*missing\.yaml: ENOENT/)
  })

  it('a cache entry others could have written is not believed', async () => {
    const file = join(dir, 'client.yaml')
    writeFileSync(file, 'requester_idle: 30\n')
    await loadConfigCached(file, 'client')
    const entry = join(runtime, 'troupe', cacheFiles()[0] ?? '')
    writeFileSync(entry, readFileSync(entry, 'utf8').replace('"requester_idle":30', '"requester_idle":31'))
    chmodSync(entry, 0o666)
    assert.equal((await loadConfigCached(file, 'client')).requester_idle, 30, 'a world-writable entry is ignored (and rewritten)')
    writeFileSync(entry, readFileSync(entry, 'utf8').replace('"requester_idle":30', '"requester_idle":31'))
    chmodSync(join(runtime, 'troupe'), 0o777)
    assert.equal((await loadConfigCached(file, 'client')).requester_idle, 30, 'an entry in a directory others can write to is ignored')
  })
})
