// bin/troupe.js picks what to run: the services (daemon, bootstrap, requester agent) run from
// their bundle and the other commands from the CLI's bundle, each when it is at least as new as
// tsc's last build; anything after a tsc-only rebuild from the compiled tree; the version it
// prints itself, from package.json. Whichever it loads, it calls its main(). The services'
// bundle starts from V8's code cache made for it (bin/load-bundle.js), never from one made for
// another source. Run as a program, it leaves NODE_EXTRA_CA_CERTS out of the requester commands.
// A copy of the real launcher runs beside stand-ins for the entry points that say which ran.
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { createHash } from 'node:crypto'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { TROUPE_BIN } from '../../src/package-root.js'

describe('launcher', function () {
  let root: string
  const bundle = (): string => join(root, 'dist', 'src', 'services.cjs')
  const cliBundle = (): string => join(root, 'dist', 'src', 'cli.cjs')
  /** A stand-in entry point: an ES module (or, for a bundle, CommonJS) whose main() says which ran. */
  const standIn = (path: string, says: string, commonJs = false): void => {
    // What it says is a top-level constant, so a code cache (made once the top level ran) holds it.
    writeFileSync(path, commonJs ? `const says = ${JSON.stringify(says)}; exports.main = async () => { console.log(says) }\n` : `export async function main () { console.log(${JSON.stringify(says)}) }\n`)
  }
  const buildInfo = (): string => join(root, 'dist', '.tsbuildinfo')
  const age = (path: string, secondsAgo: number): void => {
    const when = new Date(Date.now() - secondsAgo * 1000)
    utimesSync(path, when, when)
  }
  const ran = (...args: string[]): string => execFileSync(process.execPath, [join(root, 'bin', 'troupe.js'), ...args], { encoding: 'utf8' }).trim()

  beforeEach(function () {
    root = mkdtempSync(join(tmpdir(), 'troupe-launcher-'))
    mkdirSync(join(root, 'bin'))
    mkdirSync(join(root, 'dist', 'src', 'cli'), { recursive: true })
    writeFileSync(join(root, 'package.json'), '{ "type": "module", "version": "9.8.7" }\n')
    copyFileSync(TROUPE_BIN, join(root, 'bin', 'troupe.js'))
    copyFileSync(join(dirname(TROUPE_BIN), 'package.json'), join(root, 'bin', 'package.json'))
    copyFileSync(join(dirname(TROUPE_BIN), 'load-bundle.js'), join(root, 'bin', 'load-bundle.js'))
    standIn(join(root, 'dist', 'src', 'cli', 'entry.js'), 'compiled tree')
    standIn(bundle(), 'bundle', true)
    writeFileSync(buildInfo(), '{}\n')
    age(buildInfo(), 60)
  })

  afterEach(function () {
    rmSync(root, { recursive: true, force: true })
  })

  it('runs each service from a bundle newer than the last tsc build', function () {
    for (const service of ['daemon', 'bootstrap', 'requester-agent']) assert.equal(ran(service, '--config', 'x.yaml'), 'bundle', service)
  })

  it('runs every other command from the compiled tree when there is no CLI bundle', function () {
    for (const command of ['ping', 'rpc', 'ca']) assert.equal(ran(command), 'compiled tree', command)
    assert.equal(ran(), 'compiled tree')
  })

  it('prints the version itself, from package.json, loading nothing; with TROUPE_LEAN=0 the full CLI does', function () {
    standIn(cliBundle(), 'cli bundle', true)
    for (const flag of ['--version', '-V']) assert.equal(ran(flag), '9.8.7', flag)
    assert.equal(execFileSync(process.execPath, [join(root, 'bin', 'troupe.js'), '--version'], { encoding: 'utf8', env: { ...process.env, TROUPE_LEAN: '0' } }).trim(), 'compiled tree')
  })

  it('runs the requester commands from the CLI bundle when it is newer than the last tsc build', function () {
    standIn(cliBundle(), 'cli bundle', true)
    for (const command of ['ping', 'rpc', 'find', 'ca']) assert.equal(ran(command), 'cli bundle', command)
    assert.equal(ran(), 'cli bundle')
    assert.equal(ran('daemon'), 'bundle')
    age(cliBundle(), 120)
    assert.equal(ran('ping'), 'compiled tree')
  })

  it('runs the services from the compiled tree when tsc built after the bundle', function () {
    age(bundle(), 120)
    assert.equal(ran('daemon'), 'compiled tree')
  })

  it('runs the services from the compiled tree when there is no bundle', function () {
    rmSync(bundle())
    assert.equal(ran('daemon'), 'compiled tree')
  })

  it('runs the bundle where there is no tsc build record (an installed package)', function () {
    rmSync(buildInfo())
    assert.equal(ran('daemon'), 'bundle')
  })

  it('starts the services from the code cache made for their bundle, never from one made for another source of the same length', function () {
    const writeCache = (): void => { execFileSync(process.execPath, [join(root, 'bin', 'load-bundle.js'), '--write-cache', bundle()]) }
    const cache = `${bundle()}.v8cache`
    standIn(bundle(), 'build A', true)
    writeCache()
    assert.equal(ran('daemon'), 'build A')
    // Another build of the same length, its cache not made again (V8 itself checks only the length).
    standIn(bundle(), 'build B', true)
    assert.equal(ran('daemon'), 'build B')
    // The cache is used when it names this very source: build A's cache, recorded as made from
    // build B's source, runs build A's code. (Only a test forges a cache; the build writes each.)
    const cacheOfA = readFileSync(cache)
    const hashBytes = 32 // the cache's prefix (bin/load-bundle.js): a SHA-256
    writeFileSync(cache, Buffer.concat([createHash('sha256').update(readFileSync(bundle())).digest(), cacheOfA.subarray(hashBytes)]))
    assert.equal(ran('daemon'), 'build A')
  })

  it('starts Node.js with no V8 flags, run as a program (its shebang)', function () {
    // A heap-size V8 flag on the command line voids Node's code cache for its built-in modules:
    // every command would compile them from source. The services set their own flags at run
    // time (src/daemon/jit-tier.ts, src/young-generation.ts).
    writeFileSync(join(root, 'dist', 'src', 'cli', 'entry.js'), 'export async function main () { console.log(JSON.stringify(process.execArgv)) }\n')
    const launcher = join(root, 'bin', 'troupe.js')
    chmodSync(launcher, 0o755)
    assert.equal(execFileSync(launcher, ['ping'], { encoding: 'utf8' }).trim(), '[]')
  })

  it('run as a program, starts the requester commands without NODE_EXTRA_CA_CERTS (no TLS to verify; Node parses the file before anything runs), the services with it', function () {
    const says = 'console.log(String(process.env.NODE_EXTRA_CA_CERTS), JSON.stringify(process.argv.slice(2)))'
    writeFileSync(join(root, 'dist', 'src', 'cli', 'entry.js'), `export async function main () { ${says} }\n`)
    writeFileSync(bundle(), `exports.main = async () => { ${says} }\n`)
    const certs = join(root, 'extra-ca.pem')
    writeFileSync(certs, '')
    const launcher = join(root, 'bin', 'troupe.js')
    chmodSync(launcher, 0o755)
    // Node warns on stderr that the (empty) file holds no certificate: not what is checked here.
    const run = (...args: string[]): string => execFileSync(launcher, args, { encoding: 'utf8', env: { ...process.env, NODE_EXTRA_CA_CERTS: certs }, stdio: ['ignore', 'pipe', 'ignore'] }).trim()
    // sh passes every argument on as it came, spaces and quotes included.
    for (const command of ['ping', 'rpc', 'find']) assert.equal(run(command, 'a b', '"c\''), `undefined ${JSON.stringify([command, 'a b', '"c\''])}`, command)
    for (const service of ['daemon', 'bootstrap']) assert.equal(run(service), `${certs} ${JSON.stringify([service])}`, service)
  })
})
