// The CLI's answers on a real cluster (issue 13): stray words, failures named, DDL timeouts,
// start-up and connection errors, and local hygiene (issue 11 item 15). Every check looks at what
// the nodes did (their audit logs), not only at what the CLI printed.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { LocalCluster, demoNodeSpecs, TROUPE_BIN } from '../../src/demo/local-cluster.js'
import { troupe, parseJson, waitForDirectory, type PingJson } from '../helpers/cli.js'
import { requireOrSkip } from '../helpers/prerequisite.js'

const hasPuppet = existsSync('/usr/bin/puppet')
const isRoot = process.getuid?.() === 0

interface AuditLine { request_id: string, agent: string, action: string, decision: string, status?: number, statusmsg?: string }

function puppetArgs (dir: string): string[] {
  return ['--confdir', join(dir, 'conf'), '--vardir', join(dir, 'var'), '--codedir', join(dir, 'code'), '--logdir', join(dir, 'log'), '--rundir', join(dir, 'run'), '--publicdir', join(dir, 'public')]
}

async function eventually (check: () => boolean | Promise<boolean>, what: string, tries = 120): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (await check()) return
    await new Promise(resolve => setTimeout(resolve, 250))
  }
  throw new Error(`timed out waiting for ${what}`)
}

describe('cli: every answer can be trusted', function () {
  this.timeout(300_000)
  let cluster: LocalCluster
  let config: string[]
  const dir = mkdtempSync(join(tmpdir(), 'troupe-cli-'))
  const busyMarker = `troupe-busy-${process.pid}`

  // node05's policy refuses every rpcutil action, node04's Puppet run fails without a word, node03
  // runs one action at a time and its Puppet run takes 12 s (a busy host).
  const policyDir = join(dir, 'node05-policy')
  before(async () => {
    mkdirSync(policyDir, { recursive: true })
    writeFileSync(join(policyDir, 'rpcutil.policy'), 'policy default deny\n')
    const specs = demoNodeSpecs(5).map(spec => {
      const extra: Record<string, unknown> = { puppet_args: puppetArgs(join(dir, 'puppet', spec.identity)) }
      if (spec.identity === 'node05') extra.policy_dir = policyDir
      if (spec.identity === 'node04') extra.puppet_command = ['false']
      if (spec.identity === 'node03') Object.assign(extra, { puppet_command: ['/bin/sh', '-c', `sleep 12 # ${busyMarker}`, 'sh'], max_concurrent_actions: 1 })
      if (spec.identity === 'node02') spec.facts.motd = '\u001b]0;owned\u0007\u001b[2J\rfake line\nnode99 time=1 ms'
      return { ...spec, config: extra }
    })
    cluster = await LocalCluster.start({ nodes: specs, dir })
    config = ['--config', cluster.clientConfigPath]
    await waitForDirectory(config, 5)
  })

  after(async () => { await cluster?.stop() })

  const audit = (identity: string): AuditLine[] => {
    const path = join(cluster.dir, identity, 'audit.log')
    return existsSync(path) ? readFileSync(path, 'utf8').trim().split('\n').filter(line => line !== '').map(line => JSON.parse(line) as AuditLine) : []
  }
  const auditSizes = (): number[] => [...cluster.nodes.keys()].map(identity => audit(identity).length)

  describe('item 3: a word a command does not take is a usage error, and nothing is sent', () => {
    const cases: Array<{ args: string[], hint: RegExp }> = [
      { args: ['ping', 'junk', 'extra', 'words'], hint: /troupe ping does not take 'junk extra words'/ },
      { args: ['puppet', 'status', '-S', 'role=web', 'and', 'env=dev'], hint: /quote the -S expression, e\.g\. -S 'role=web and env=dev'/ },
      { args: ['find', '-I', 'node01', 'node02', 'node03'], hint: /give -I once per node, e\.g\. -I node01 -I node02 -I node03/ },
      { args: ['puppet', 'disable', 'deploy', 'running', '-I', 'node01'], hint: /troupe puppet disable does not take 'running': quote the message if it has spaces, e\.g\. 'deploy running'$/m },
      { args: ['facts', 'role', 'env'], hint: /troupe facts does not take 'env': quote the fact if it has spaces/ },
      { args: ['plugin', 'doc', 'rpcutil', 'ping'], hint: /troupe plugin doc does not take 'ping'/ }
    ]
    for (const { args, hint } of cases) {
      it(`troupe ${args.join(' ')}`, async () => {
        const before = auditSizes()
        const result = await troupe([...args, ...(args[0] === 'plugin' ? [] : config)])
        assert.equal(result.code, 2, result.stdout + result.stderr)
        assert.match(result.stderr, hint)
        assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr)
        assert.equal(result.stdout, '')
        // Give a request that might have gone out the time to be audited: none may be.
        await troupe(['ping', ...config])
        assert.deepEqual(auditSizes().map((size, i) => size - (before[i] ?? 0)), [1, 1, 1, 1, 1], 'only the control ping reached the nodes')
      })
    }
  })

  describe('item 6: failures are named', () => {
    it('ping names the refusing node, its status and message, in its line and in the summary', async () => {
      const result = await troupe(['ping', ...config])
      assert.equal(result.code, 1)
      assert.match(result.stdout, /^node05\s+FAILED status=1 not authorized: demo-operator may not run rpcutil ping on node05 \(.*\)$/m)
      assert.doesNotMatch(result.stdout, /^node05\s+time=/m)
      assert.match(result.stdout, /^Failed: 1 \(status other than OK\)\n {3}node05: status 1, not authorized/m)
      assert.match(result.stdout, /^1 replies|^4 replies/m)
      assert.ok(audit('node05').some(line => line.decision === 'refused'))
    })

    it('--display failed shows only the failures, --display ok only the successes', async () => {
      const failed = await troupe(['rpc', 'rpcutil', 'get_fact', 'fact=role', '--display', 'failed', ...config])
      assert.match(failed.stdout, /^node05 +not authorized/m)
      assert.doesNotMatch(failed.stdout, /^node01 /m)
      const ok = await troupe(['rpc', 'rpcutil', 'get_fact', 'fact=role', '--display', 'ok', ...config])
      assert.match(ok.stdout, /^node01 +\n {4}Fact: role\n {3}Value: web$/m)
      assert.doesNotMatch(ok.stdout, /^node05 +not authorized/m)
      assert.match(ok.stdout, /^ {3}node05: status 1, not authorized/m, 'the summary names failures whatever --display says')
    })

    it('an unknown agent is named as such (no filter was given), exit 2, nothing sent', async () => {
      const before = auditSizes()
      const result = await troupe(['rpc', 'nosuchagent', 'ping', ...config])
      assert.equal(result.code, 2)
      assert.match(result.stderr, /unknown agent 'nosuchagent': no node in the directory serves it/)
      assert.doesNotMatch(result.stderr + result.stdout, /check the filter/)
      assert.deepEqual(auditSizes(), before)
    })

    it('an unknown action of a known agent is caught locally, exit 2, nothing sent', async () => {
      const result = await troupe(['rpc', 'rpcutil', 'pnig', ...config])
      assert.equal(result.code, 2)
      assert.match(result.stderr, /unknown action 'pnig' of agent rpcutil; it has: .*ping/)
      // A request sent after it is audited; the unknown action never was, on any node.
      const control = parseJson<PingJson>(await troupe(['ping', '--json', ...config]))
      await eventually(() => audit('node01').some(line => line.request_id === control.request.id), 'the control ping to be audited')
      for (const identity of cluster.nodes.keys()) assert.equal(audit(identity).some(line => line.action === 'pnig'), false, identity)
    })

    it('puppet summary says Puppet has not run, as --json does, instead of empty sections', async function () {
      requireOrSkip(this, hasPuppet, 'Puppet (/usr/bin/puppet)')
      const doc = parseJson<PingJson>(await troupe(['puppet', 'summary', '-I', 'node01', '--json', ...config]))
      assert.equal(doc.replies[0]?.data.summary, 'Puppet has not run yet')
      const human = await troupe(['puppet', 'summary', '-I', 'node01', ...config])
      assert.match(human.stdout, /^Puppet has not run yet on any of the nodes: node01$/m)
      assert.doesNotMatch(human.stdout, /Summary of the last Puppet runs/)
    })

    it('a Puppet run that fails without a word still has a reason', async function () {
      requireOrSkip(this, hasPuppet, 'Puppet (/usr/bin/puppet)')
      const result = await troupe(['puppet', 'runonce', '-I', 'node04', ...config])
      assert.equal(result.code, 1)
      assert.match(result.stdout, /^node04 +Puppet run failed after [\d.]+ s: false exited with 1 and printed nothing \(see the Puppet logs on the node\) \(status 5\)$/m)
      const line = audit('node04').find(entry => entry.action === 'runonce')
      assert.equal(line?.status, 5)
      assert.match(line?.statusmsg ?? '', /printed nothing/)
    })
  })

  it('item 7: an action waits as long as its DDL allows (puppet disable behind a 12 s run on a busy host)', async function () {
    requireOrSkip(this, hasPuppet, 'Puppet (/usr/bin/puppet)')
    const runonce = troupe(['puppet', 'runonce', '-I', 'node03', '--json', ...config], { timeoutMs: 120_000 })
    // The node's one action slot is taken once the run's command is running.
    await eventually(() => readdirSync('/proc').some(pid => /^\d+$/.test(pid) && (() => { try { return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(busyMarker) } catch { return false } })()), 'the slow run to start')
    const disable = await troupe(['puppet', 'disable', 'maintenance', '-I', 'node03', '--json', ...config], { timeoutMs: 120_000 })
    const doc = parseJson<PingJson>(disable)
    assert.deepEqual(doc.missing, [], 'a disable that took longer than 10 s is not reported as no response')
    assert.equal(doc.replies[0]?.status, 0)
    assert.equal(doc.replies[0]?.data.enabled, false)
    assert.equal(disable.code, 0)
    assert.ok(audit('node03').some(line => line.request_id === doc.request.id && line.action === 'disable' && line.status === 0))
    await runonce
    await troupe(['puppet', 'enable', '-I', 'node03', ...config])
  })

  describe('item 8: errors come at once and say what is wrong', () => {
    it('a bad multiaddr: the agent\'s start-up error reaches the CLI, and the agent of another config sharing the socket is left alone', async () => {
      assert.equal((await troupe(['ping', '-I', 'node01', ...config])).code, 0)
      const agentPid = (): number | undefined => readdirSync('/proc').filter(pid => /^\d+$/.test(pid)).map(Number).find(pid => {
        try { return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(cluster.clientConfigPath) } catch { return false }
      })
      const goodAgent = agentPid()
      assert.ok(goodAgent !== undefined, 'the good config has its requester agent')
      const bad = join(dir, 'bad-listen.yaml')
      writeFileSync(bad, readFileSync(cluster.clientConfigPath, 'utf8').replace(/listen:\n\s+- .*/, 'listen:\n  - /ip4/127.0.0.1/tcp/6161x'))
      const shared = await troupe(['ping', '--config', bad])
      assert.equal(shared.code, 2)
      assert.match(shared.stderr, /is in use by the agent of another config .*give each config its own requester_socket/)
      const own = join(dir, 'bad-own.yaml')
      writeFileSync(own, readFileSync(bad, 'utf8').replace(/requester_socket: .*/, `requester_socket: ${join(dir, 'bad.sock')}`))
      const result = await troupe(['ping', '--config', own])
      assert.equal(result.code, 2)
      assert.match(result.stderr, /^troupe: the requester agent could not start: .*Value must be an integer/)
      assert.equal(agentPid(), goodAgent, 'the good config\'s agent still runs')
      assert.equal((await troupe(['ping', '-I', 'node01', ...config])).code, 0)
    })

    it('keygen --out ~/.troupe/caller.key on a fresh account creates ~/.troupe, private', async () => {
      const home = mkdtempSync(join(tmpdir(), 'troupe-home-'))
      const result = await troupe(['keygen', '--out', join(home, '.troupe', 'caller.key'), '--name', 'alice'], { env: { HOME: home } })
      assert.equal(result.code, 0, result.stderr)
      assert.equal(statSync(join(home, '.troupe')).mode & 0o777, 0o700)
      assert.equal(statSync(join(home, '.troupe', 'caller.key')).mode & 0o777, 0o600)
      assert.match(readFileSync(join(home, '.troupe', 'caller.key.pub'), 'utf8'), /^ed25519 \S+ alice\n$/)
    })

    it('troupe puppet status | (a reader that has gone): no EPIPE stack trace', async () => {
      const errFile = join(dir, 'epipe.err')
      // The reader is gone before the first reply is printed; each command is tried a few times
      // (whether the write error surfaces before the CLI exits depends on the event loop's turn).
      for (const command of ['puppet status', 'ping', 'puppet status', 'ping', 'puppet status']) {
        const code = await new Promise<number | null>(resolve => {
          const child = spawn('/bin/sh', ['-c', `"${process.execPath}" "${TROUPE_BIN}" ${command} --config "${cluster.clientConfigPath}" 2>"${errFile}" | true`], { stdio: 'ignore' })
          child.once('exit', resolve)
        })
        assert.equal(code, 0)
        assert.equal(readFileSync(errFile, 'utf8'), '', `troupe ${command} | true`)
      }
    })

    it('a daemon whose authorized_keys directory does not exist starts, refuses, and serves once the file appears', async () => {
      const keysDir = join(dir, 'not-yet', 'troupe')
      const spec = { identity: 'late01', facts: { role: 'late' }, classes: [], config: { authorized_keys: join(keysDir, 'authorized_keys') } }
      await cluster.startNode(spec)
      await waitForDirectory(config, 6)
      // No authorized_keys yet: nothing is acted on (the node refuses the requester, or the request).
      const early = await troupe(['ping', '-I', 'late01', '--json', ...config])
      assert.equal(early.code, 1)
      assert.ok(parseJson<PingJson>(early).replies.every(reply => reply.status !== 0))
      assert.equal(audit('late01').some(line => line.decision === 'accepted'), false)
      mkdirSync(keysDir, { recursive: true })
      writeFileSync(join(keysDir, 'authorized_keys'), readFileSync(cluster.authorizedKeysPath))
      await eventually(async () => parseJson<PingJson>(await troupe(['ping', '-I', 'late01', '--json', ...config])).replies[0]?.status === 0, 'late01 to serve once its authorized_keys exists')
      assert.ok(audit('late01').some(line => line.decision === 'accepted'))
      cluster.kill('late01')
    })

    it('a key the role does not use is an error naming the file, the key and the role', async () => {
      const client = join(dir, 'client-with-daemon-key.yaml')
      writeFileSync(client, readFileSync(cluster.clientConfigPath, 'utf8') + 'facts: /etc/troupe/facts.yaml\n')
      const result = await troupe(['ping', '--config', client])
      assert.equal(result.code, 2)
      assert.match(result.stderr, /client-with-daemon-key\.yaml: key 'facts' is not used by a client config \(it is for daemon\)/)
      const daemon = join(dir, 'daemon-with-client-key.yaml')
      writeFileSync(daemon, readFileSync(join(cluster.dir, 'node01', 'daemon.yaml'), 'utf8') + 'requester_idle: 5\n')
      const started = await troupe(['daemon', '--config', daemon], { timeoutMs: 20_000 })
      assert.equal(started.code, 2)
      assert.match(started.stderr, /key 'requester_idle' is not used by a daemon config/)
    })

    it('a requester agent that closes the connection is a connection error (exit 2), not "No matching nodes"', async () => {
      const socketPath = join(dir, 'closing.sock')
      const server = await fakeAgent(socketPath, 'close')
      try {
        const closing = join(dir, 'closing.yaml')
        writeFileSync(closing, readFileSync(cluster.clientConfigPath, 'utf8').replace(/requester_socket: .*/, `requester_socket: ${socketPath}`))
        const result = await troupe(['ping', '--config', closing])
        assert.equal(result.code, 2, result.stdout)
        assert.match(result.stderr, /requester agent closed the connection/)
        assert.doesNotMatch(result.stdout, /No matching nodes/)
      } finally {
        server.close()
      }
    })
  })

  describe('issue 11 item 15: local hygiene', () => {
    it('a requester socket in a directory others can write to is refused before it is used', async () => {
      const shared = mkdtempSync(join(tmpdir(), 'troupe-shared-'))
      chmodSync(shared, 0o1777)
      const socketPath = join(shared, 'agent.sock')
      const server = await fakeAgent(socketPath, 'answer')
      try {
        const squat = join(dir, 'squat.yaml')
        writeFileSync(squat, readFileSync(cluster.clientConfigPath, 'utf8').replace(/requester_socket: .*/, `requester_socket: ${socketPath}`))
        const result = await troupe(['ping', '--config', squat])
        assert.equal(result.code, 2)
        assert.match(result.stderr, /directory .* is writable by others \(mode 1777\)/)
        assert.equal(server.connections, 0, 'the CLI never connected to the squatted socket')
      } finally {
        server.close()
      }
    })

    it('a socket held by a process of another user is refused (its uid, from /proc, as SO_PEERCRED would give it)', async function () {
      requireOrSkip(this, isRoot, 'root')
      const open = mkdtempSync(join(tmpdir(), 'troupe-open-'))
      chmodSync(open, 0o777)
      const theirs = join(open, 'agent.sock')
      // A process of uid 65534 binds a socket that answers like an agent; the socket file is then
      // moved into a private directory and given to us, so only the peer's uid gives it away.
      const child = spawn(process.execPath, ['-e', `
        const net = require('node:net')
        const server = net.createServer(socket => {
          socket.on('data', () => socket.write(JSON.stringify({ op: 'hello', peer: 'x', addrs: [], size: 5, synced: true, pid: process.pid }) + '\\n'))
        })
        server.listen(${JSON.stringify(theirs)}, () => console.log('ready'))
      `], { uid: 65534, gid: 65534, stdio: ['ignore', 'pipe', 'inherit'] })
      try {
        await new Promise(resolve => child.stdout?.once('data', resolve))
        const mine = mkdtempSync(join(tmpdir(), 'troupe-mine-'))
        const socketPath = join(mine, 'agent.sock')
        renameSync(theirs, socketPath)
        chownSync(socketPath, 0, 0)
        const foreign = join(dir, 'foreign.yaml')
        writeFileSync(foreign, readFileSync(cluster.clientConfigPath, 'utf8').replace(/requester_socket: .*/, `requester_socket: ${socketPath}`))
        const result = await troupe(['ping', '--config', foreign])
        assert.equal(result.code, 2, result.stdout + result.stderr)
        assert.match(result.stderr, /refusing the requester socket: the process on the requester socket runs as uid 65534, not as you \(uid 0\)/)
      } finally {
        child.kill()
      }
    })

    it('control characters in node-supplied strings are escaped in human output', async () => {
      const result = await troupe(['facts', 'motd', '-v', ...config])
      assert.equal(result.stdout.includes('\u001b'), false, 'no raw ESC reaches the terminal')
      assert.equal(result.stdout.includes('\r'), false)
      assert.match(result.stdout, /\\x1b\]0;owned\\x07\\x1b\[2J\\x0dfake line\\x0anode99 time=1 ms/)
      assert.doesNotMatch(result.stdout, /^node99/m)
      const rpc = await troupe(['rpc', 'rpcutil', 'get_fact', 'fact=motd', '-I', 'node02', '--display', 'all', ...config])
      assert.equal(rpc.stdout.includes('\u001b'), false)
      const json = parseJson<PingJson>(await troupe(['rpc', 'rpcutil', 'get_fact', 'fact=motd', '-I', 'node02', '--json', ...config]))
      assert.equal(json.replies[0]?.data.value, '\u001b]0;owned\u0007\u001b[2J\rfake line\nnode99 time=1 ms', '--json keeps the value (JSON-escaped)')
    })

    it('keygen never follows a planted FILE.pub symlink and writes nothing', async () => {
      const target = join(dir, 'victim.txt')
      writeFileSync(target, 'precious\n')
      const out = join(dir, 'planted.key')
      symlinkSync(target, `${out}.pub`)
      const result = await troupe(['keygen', '--out', out])
      assert.equal(result.code, 2)
      assert.match(result.stderr, /planted\.key\.pub already exists/)
      assert.equal(readFileSync(target, 'utf8'), 'precious\n')
      assert.equal(existsSync(out), false)
      assert.ok(lstatSync(`${out}.pub`).isSymbolicLink())
    })
  })

  describe('troupe doctor', () => {
    it('checks the config end to end and names what to fix: a refusing node, clocks, connections', async () => {
      const result = await troupe(['doctor', ...config], { timeoutMs: 90_000 })
      assert.equal(result.code, 0, result.stdout + result.stderr)
      assert.match(result.stdout, /^OK {4}config .*client\.yaml: valid for a client/m)
      assert.match(result.stdout, /^OK {4}caller key .*caller\.key: ed25519, fingerprint [0-9a-f]{16} \(mode 600\)$/m)
      assert.match(result.stdout, /^OK {4}bootstrap 127\.0\.0\.1:\d+ accepts TCP connections$/m)
      assert.match(result.stdout, /^OK {4}ca .*ca\.crt: a certificate authority/m)
      assert.match(result.stdout, /^OK {4}enrollment: every node in the directory is vouched for by the ca; no identity claimed twice$/m)
      assert.match(result.stdout, /^WARN {2}node05 refused the ping: not authorized: demo-operator may not run rpcutil ping on node05/m)
      assert.match(result.stdout, /^OK {4}clock skew against the nodes: at most \d+\.\d s/m)
      assert.match(result.stdout, /^OK {4}connections to the nodes: \d+ direct, 0 relayed/m)
      assert.ok(audit('node01').some(line => line.action === 'ping' && line.decision === 'accepted'))
    })

    it('a caller key readable by others and an unreachable bootstrap are failures with their fix; the mesh is not tried', async () => {
      const key = join(dir, 'loose.key')
      writeFileSync(key, readFileSync(cluster.callerKeyPath))
      chmodSync(key, 0o644)
      const loose = join(dir, 'loose.yaml')
      writeFileSync(loose, readFileSync(cluster.clientConfigPath, 'utf8')
        .replace(/caller_key: .*/, `caller_key: ${key}`)
        .replace(/bootstrap:\n\s+- .*/, 'bootstrap:\n  - /ip4/127.0.0.1/tcp/1'))
      const result = await troupe(['doctor', '--config', loose])
      assert.equal(result.code, 1)
      assert.match(result.stdout, /^FAIL {2}caller key .*loose\.key is readable by others \(mode 644\)\n {6}fix: chmod 600 /m)
      assert.match(result.stdout, /^FAIL {2}bootstrap 127\.0\.0\.1:1 cannot be reached: ECONNREFUSED\n {6}fix: is troupe bootstrap running there/m)
      assert.match(result.stdout, /^SKIP {2}the mesh checks: fix the problems above first$/m)
    })
  })

  describe('mco habits', () => {
    it('--nodes FILE and --nodes - (stdin) name the nodes; one the directory lacks is missing', async () => {
      const list = join(dir, 'nodes.txt')
      writeFileSync(list, '# web nodes\nnode01\nnode03\n\nnosuchnode\n')
      const doc = parseJson<PingJson & { unknown?: string[] }>(await troupe(['ping', '--nodes', list, '--json', ...config]))
      assert.deepEqual(doc.replies.map(reply => reply.identity), ['node01', 'node03'])
      assert.deepEqual(doc.missing, ['nosuchnode'])
      assert.deepEqual(doc.unknown, ['nosuchnode'])
      const fromStdin = await new Promise<string>(resolve => {
        const child = spawn(process.execPath, [TROUPE_BIN, 'find', '--nodes', '-', '--json', ...config], { stdio: ['pipe', 'pipe', 'inherit'] })
        let out = ''
        child.stdout.on('data', (chunk: Buffer) => { out += chunk.toString() })
        child.once('exit', () => resolve(out))
        child.stdin.end('node02\nnode04\n')
      })
      assert.deepEqual((JSON.parse(fromStdin) as { nodes: string[] }).nodes, ['node02', 'node04'])
    })

    it('-1 acts on one node; --with-fact is -F; -T names a collective the config has', async () => {
      const one = parseJson<PingJson>(await troupe(['ping', '-1', '-F', 'role=web', '--json', ...config]))
      assert.equal(one.replies.length, 1)
      assert.equal(audit(one.replies[0]?.identity ?? '').filter(line => line.request_id === one.request.id).length, 1)
      const found = parseJson<{ nodes: string[] }>(await troupe(['find', '--with-fact', 'role=db', '--with-class', 'role::db', '--json', ...config]))
      assert.deepEqual(found.nodes, ['node02', 'node04'])
      assert.equal((await troupe(['find', '-T', 'main', ...config])).code, 0)
      const other = await troupe(['find', '-T', 'elsewhere', ...config])
      assert.equal(other.code, 2)
      assert.match(other.stderr, /collective 'elsewhere' is not configured .*\(configured: main\); add it to `collectives`/)
    })

    it('--help lists only the options a command takes', async () => {
      const find = (await troupe(['find', '--help'])).stdout
      assert.match(find, /-F, --wf/)
      for (const absent of ['--batch', '--display', '--np']) assert.equal(find.includes(absent), false, `find --help lists ${absent}`)
      const inventory = (await troupe(['inventory', '--help'])).stdout
      for (const absent of ['--wf', '--limit', '--batch']) assert.equal(inventory.includes(absent), false, `inventory --help lists ${absent}`)
      const rpc = (await troupe(['rpc', '--help'])).stdout
      for (const present of ['--display', '--np, --no-progress', '-1, --one', '--nodes <file>', '-T, --collective']) assert.ok(rpc.includes(present), `rpc --help lacks ${present}`)
    })
  })
})

/** A stand-in for the requester agent at a socket path: it answers hello, then closes or answers. */
async function fakeAgent (path: string, mode: 'close' | 'answer'): Promise<Server & { connections: number }> {
  const server = createServer(socket => {
    counted.connections += 1
    socket.on('data', chunk => {
      const message = JSON.parse(chunk.toString().split('\n')[0] ?? '{}') as { op: string }
      if (message.op === 'hello') socket.write(JSON.stringify({ op: 'hello', peer: 'x', addrs: [], size: 5, synced: true, pid: process.pid }) + '\n')
      else if (mode === 'close') socket.destroy()
    })
  }) as Server & { connections: number }
  const counted = server
  counted.connections = 0
  await new Promise<void>(resolve => server.listen(path, resolve))
  return counted
}

