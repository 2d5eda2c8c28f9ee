// The Debian package on this machine: built by the build script, installed with dpkg -i, its
// services started by their init scripts (systemd is not PID 1 here; the init scripts run the
// units' command lines as the units' users), upgraded while a request is in flight, removed and
// purged. The services run in a network namespace (the bootstrap takes TCP 61613 there, not on
// this host); everything installed is removed afterwards (test/helpers/deb.ts).
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { stringify as toYaml } from 'yaml'
import { NetnsFleet } from '../helpers/netns.js'
import { SystemInstall, cannotInstallHere, inNetns, nextVersion, pidFromFile, processUser } from '../helpers/deb.js'
import { parseJson, type PingJson } from '../helpers/cli.js'
import { loadConfig } from '../../src/config/load.js'
import { VERSION } from '../../src/version.js'
import { unitCommand } from '../../packaging/build-deb.js'

const TROUPE = '/usr/bin/troupe'
const DAEMON_PID = '/run/troupe/troupe-daemon.pid'
const BOOTSTRAP_PID = '/run/troupe/troupe-bootstrap.pid'

async function until<T> (attempt: () => Promise<T> | T, ok: (value: T) => boolean, what: string, maxMs = 60_000): Promise<T> {
  const deadline = Date.now() + maxMs
  for (;;) {
    const value = await attempt()
    if (ok(value)) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: last ${JSON.stringify(value)}`)
    await new Promise(resolve => setTimeout(resolve, 200))
  }
}

/** The requester agent the CLI started for this client config (a warm peer that outlives commands). */
function requesterAgentPid (config: string): number | undefined {
  for (const entry of readdirSync('/proc').filter(name => /^\d+$/.test(name))) {
    try {
      const args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0')
      if (args.includes('requester-agent') && args.includes(config)) return Number(entry)
    } catch { /* gone */ }
  }
  return undefined
}

interface AuditLine { request_id: string, decision: string, status?: number, reason?: string }
const auditOf = (path: string, id: string): AuditLine[] => existsSync(path)
  ? readFileSync(path, 'utf8').trim().split('\n').filter(line => line !== '').map(line => JSON.parse(line) as AuditLine).filter(line => line.request_id === id)
  : []

/**
 * An external agent whose action leaves a mark when it starts, then works until the test
 * releases it (at most 25 s), and leaves a mark when it ends.
 */
function installSlowAgent (agentsDir: string, marks: string): void {
  writeFileSync(join(agentsDir, 'slow'), [
    '#!/bin/sh',
    'request=$(cat)',
    'tag=$(printf \'%s\' "$request" | sed -n \'s/.*"tag":"\\([a-z0-9]*\\)".*/\\1/p\')',
    `touch "${marks}/$tag.started"`,
    `i=0; while [ ! -e "${marks}/$tag.release" ] && [ $i -lt 250 ]; do sleep 0.1; i=$((i+1)); done`,
    `touch "${marks}/$tag.done"`,
    'printf \'{"data":{"finished":"%s"}}\\n\' "$tag"', ''
  ].join('\n'))
  chmodSync(join(agentsDir, 'slow'), 0o755)
  writeFileSync(join(agentsDir, 'slow.json'), JSON.stringify({
    metadata: { name: 'slow', description: 'Takes a while', author: 'troupe tests', license: 'Apache-2.0', version: '1.0.0', timeout: 30 },
    actions: { work: { description: 'Works until released', inputs: { tag: { description: 'Names the marks', type: 'string', pattern: '^[a-z0-9]+$', maxLength: 16 } }, outputs: { finished: { description: 'The tag', display_as: 'Finished' } } } }
  }))
}

describe('Debian package: install, run, upgrade, remove', function () {
  this.timeout(300_000)
  let scratch: string
  let fleet: NetnsFleet
  let system: SystemInstall
  let first: string
  let second: string
  let clientConfig: string
  let marks: string
  let identity: string
  const ns = (): string => fleet.namespace('master')
  const troupe = async (args: string[]): Promise<ReturnType<typeof inNetns>> => await inNetns(ns(), TROUPE, [...args, '--config', clientConfig])
  const ping = async (): Promise<PingJson> => parseJson<PingJson>(await troupe(['ping', '--json', '--timeout', '3']))

  before(function () {
    const reason = cannotInstallHere() ?? (NetnsFleet.available() ? undefined : 'network namespaces cannot be made here')
    if (reason !== undefined) {
      console.log(`      (skipped: ${reason})`)
      this.skip()
    }
    scratch = mkdtempSync(join(tmpdir(), 'troupe-package-'))
    first = SystemInstall.build(VERSION, scratch)
    second = SystemInstall.build(nextVersion(VERSION), scratch)
    fleet = NetnsFleet.create(0)
    system = new SystemInstall(fleet.namespace('master'))
    marks = join(scratch, 'marks')
    mkdirSync(marks)
    identity = execFileSync('hostname', { encoding: 'utf8' }).trim()
  })

  after(async () => {
    system?.cleanup()
    await fleet?.destroy()
    if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true })
  })

  it('is troupe_<version>_all.deb, depends on nodejs (>= 20), and installs without the network', () => {
    assert.match(first, new RegExp(`/troupe_${VERSION.replace('-', '~')}_all\\.deb$`))
    const fields = execFileSync('dpkg-deb', ['--field', first, 'Architecture', 'Depends'], { encoding: 'utf8' })
    assert.match(fields, /^Architecture: all$/m)
    assert.match(fields, /^Depends: .*nodejs \(>= 20\)/m)
    console.log(`      package: ${Math.round(statSync(first).size / 1024)} KiB, installed ${execFileSync('dpkg-deb', ['--field', first, 'Installed-Size'], { encoding: 'utf8' }).trim()} KiB`)
  })

  let installedAt = 0
  it('dpkg -i: troupe on PATH, units and init scripts with one command line, commented config, the troupe user', () => {
    installedAt = Date.now()
    system.install(first)
    console.log(`      dpkg -i: ${Date.now() - installedAt} ms`)
    assert.equal(execFileSync(TROUPE, ['--version'], { encoding: 'utf8' }).trim(), VERSION)
    for (const name of ['troupe-daemon', 'troupe-bootstrap']) {
      const unit = readFileSync(`/lib/systemd/system/${name}.service`, 'utf8')
      const command = unitCommand(unit)
      const init = readFileSync(`/etc/init.d/${name}`, 'utf8')
      // The init script starts exactly the unit's command line, as the unit's user.
      assert.ok(init.includes(`--chuid ${command.user}:${command.group} --output "$OUTPUT" --startas ${command.exec} -- ${command.args.join(' ')} "$CONFIG"`), `${name}: init script and unit differ`)
      assert.match(readFileSync(`/lib/systemd/system/${name}@.service`, 'utf8'), /--config \/etc\/troupe\/%i\//)
    }
    assert.equal(unitCommand(readFileSync('/lib/systemd/system/troupe-bootstrap.service', 'utf8')).user, 'troupe')
    // systemd is not running here, but it can still check the units (and an instance of each template).
    if (existsSync('/usr/bin/systemd-analyze')) execFileSync('systemd-analyze', ['verify', '--man=no', 'troupe-daemon.service', 'troupe-bootstrap.service', 'troupe-daemon@t.service', 'troupe-bootstrap@t.service'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
    // The shipped configs are valid as they are.
    loadConfig('/etc/troupe/daemon.yaml')
    loadConfig('/etc/troupe/bootstrap.yaml')
    const conffiles = execFileSync('dpkg-query', ['-W', '-f=${Conffiles}', 'troupe'], { encoding: 'utf8' })
    for (const file of ['/etc/troupe/daemon.yaml', '/etc/troupe/bootstrap.yaml', '/etc/logrotate.d/troupe', '/etc/init.d/troupe-daemon']) assert.ok(conffiles.includes(file), `${file} is a conffile`)
    assert.match(execFileSync('getent', ['passwd', 'troupe'], { encoding: 'utf8' }), /^troupe:x:\d+:\d+:.*:\/usr\/sbin\/nologin$/m)
    assert.equal(statSync('/var/lib/troupe/bootstrap').mode & 0o777, 0o700)
  })

  it('started by its init scripts, the bootstrap (as troupe) and the daemon (as root) answer troupe ping', async () => {
    const address = fleet.address('master')
    const bootstrapAddr = `/ip4/${address}/tcp/61613`
    // What an operator (or troupe::node) does after installing: point the node at the bootstrap, authorize a caller.
    writeFileSync('/etc/troupe/daemon.yaml', readFileSync('/etc/troupe/daemon.yaml', 'utf8').replace('# bootstrap:\n#   - /dns4/puppet.example.com/tcp/61613', `bootstrap:\n  - ${bootstrapAddr}`))
    execFileSync(TROUPE, ['keygen', '--out', join(scratch, 'caller.key'), '--name', 'operator'])
    writeFileSync('/etc/troupe/authorized_keys', readFileSync(join(scratch, 'caller.key.pub')))
    installSlowAgent('/etc/troupe/agents', marks)
    clientConfig = join(scratch, 'client.yaml')
    writeFileSync(clientConfig, toYaml({ bootstrap: [bootstrapAddr], caller_key: join(scratch, 'caller.key'), key: join(scratch, 'requester.key'), requester_socket: join(scratch, 'requester.sock') }))

    const startedAt = Date.now()
    assert.equal((await inNetns(ns(), '/etc/init.d/troupe-bootstrap', ['start'])).code, 0)
    assert.equal((await inNetns(ns(), '/etc/init.d/troupe-daemon', ['start'])).code, 0)
    const doc = await until(ping, d => d.replies.length === 1, 'the daemon to answer')
    console.log(`      dpkg -i to the node answering: ${Date.now() - installedAt} ms (init scripts run to the first reply: ${Date.now() - startedAt} ms)`)
    assert.deepEqual(doc.replies.map(reply => reply.identity), [identity])
    assert.deepEqual(auditOf('/var/log/troupe/audit.log', doc.request.id).map(line => line.decision), ['accepted'])

    const daemonPid = pidFromFile(DAEMON_PID)
    const bootstrapPid = pidFromFile(BOOTSTRAP_PID)
    assert.ok(daemonPid !== undefined && bootstrapPid !== undefined)
    assert.equal(processUser(daemonPid), 'root')
    assert.equal(processUser(bootstrapPid), 'troupe')
    assert.ok(existsSync('/var/lib/troupe/daemon.key'))
    assert.ok(existsSync('/var/lib/troupe/bootstrap/bootstrap.key'))
    assert.equal((await inNetns(ns(), '/etc/init.d/troupe-daemon', ['status'])).code, 0)
  })

  it('logrotate rotates the audit log; the next request is audited in a new file', async () => {
    execFileSync('logrotate', ['-f', '-s', join(scratch, 'logrotate.state'), '/etc/logrotate.d/troupe'])
    assert.ok(existsSync('/var/log/troupe/audit.log.1'))
    assert.ok(!existsSync('/var/log/troupe/audit.log'))
    const doc = await ping()
    assert.equal(doc.replies.length, 1)
    assert.deepEqual(auditOf('/var/log/troupe/audit.log', doc.request.id).map(line => line.decision), ['accepted'])
    assert.equal(statSync('/var/log/troupe/audit.log').mode & 0o777, 0o600)
  })

  it('upgrade (dpkg -i of a higher version) during a request: it finishes and replies; the daemon comes back on the new version with its key and config', async () => {
    const before = {
      daemonPid: pidFromFile(DAEMON_PID),
      bootstrapPid: pidFromFile(BOOTSTRAP_PID),
      key: readFileSync('/var/lib/troupe/daemon.key'),
      bootstrapKey: readFileSync('/var/lib/troupe/bootstrap/bootstrap.key'),
      config: readFileSync('/etc/troupe/daemon.yaml', 'utf8'),
      agentPid: requesterAgentPid(clientConfig)
    }
    assert.ok(before.agentPid !== undefined, 'a warm requester agent runs')
    const call = troupe(['rpc', 'slow', 'work', 'tag=upgrade', '--json', '--timeout', '30'])
    await until(() => existsSync(join(marks, 'upgrade.started')), ok => ok, 'the action to start')
    system.install(second)
    // The action is still running when postinst's restart stops the daemon: it is released only
    // once the daemon says it is finishing the requests in flight (or, were it killed, has gone).
    await until(() => readFileSync('/var/log/troupe/troupe-daemon.out', 'utf8').includes('finishing the requests in flight') || pidFromFile(DAEMON_PID) !== before.daemonPid,
      ok => ok, 'the upgrade to stop the daemon')
    writeFileSync(join(marks, 'upgrade.release'), '')

    const doc = parseJson<PingJson>(await call)
    assert.deepEqual(doc.missing, [])
    assert.equal(doc.replies[0]?.status, 0, JSON.stringify(doc.replies[0]))
    assert.deepEqual(doc.replies[0]?.data, { finished: 'upgrade' })
    assert.ok(existsSync(join(marks, 'upgrade.done')))
    // Acted on once, and completed. While the action runs the node has said nothing yet, and the
    // requester asks it again every few seconds (requester/reask.ts): a dpkg -i slower than that
    // (a loaded host) brings copies the node refuses as replays, and audits.
    const audited = auditOf('/var/log/troupe/audit.log', doc.request.id)
    assert.deepEqual(audited.filter(line => line.decision === 'accepted').map(line => line.status), [0])
    for (const other of audited.filter(line => line.decision !== 'accepted')) assert.match(`${other.decision} ${other.reason ?? ''}`, /^refused .*already seen \(replay\)/)

    // postinst restarted both services: new processes, the new version, the same keys and config.
    await until(() => pidFromFile(DAEMON_PID), pid => pid !== undefined && pid !== before.daemonPid, 'the daemon to be restarted')
    await until(() => pidFromFile(BOOTSTRAP_PID), pid => pid !== undefined && pid !== before.bootstrapPid, 'the bootstrap to be restarted')
    // (While the bootstrap restarts, a command may find no peer: exit 2, no JSON.)
    const inventory = await until(async () => (await troupe(['rpc', 'rpcutil', 'inventory', '--json', '--timeout', '3'])).stdout, out => out.includes('"version"'), 'the upgraded daemon to answer')
    assert.equal(parseJson<PingJson>({ code: 0, stdout: inventory, stderr: '' }).replies[0]?.data.version, nextVersion(VERSION))
    // The requester agent of the old version made way for one of the new.
    const agentPid = requesterAgentPid(clientConfig)
    assert.ok(agentPid !== undefined && agentPid !== before.agentPid, 'the requester agent was replaced')
    assert.deepEqual(readFileSync('/var/lib/troupe/daemon.key'), before.key)
    assert.deepEqual(readFileSync('/var/lib/troupe/bootstrap/bootstrap.key'), before.bootstrapKey)
    assert.equal(readFileSync('/etc/troupe/daemon.yaml', 'utf8'), before.config)
    assert.ok(existsSync('/etc/troupe/authorized_keys'))
  })

  it('removal stops the services and keeps config, keys and audit logs; purge removes keys and logs', async () => {
    const pids = [pidFromFile(DAEMON_PID), pidFromFile(BOOTSTRAP_PID)]
    system.remove()
    assert.ok(!existsSync(TROUPE))
    for (const pid of pids) assert.ok(pid !== undefined && !existsSync(`/proc/${pid}`), `process ${String(pid)} stopped`)
    for (const kept of ['/etc/troupe/daemon.yaml', '/etc/troupe/bootstrap.yaml', '/etc/troupe/authorized_keys', '/var/lib/troupe/daemon.key', '/var/lib/troupe/bootstrap/bootstrap.key', '/var/log/troupe/audit.log']) {
      assert.ok(existsSync(kept), `${kept} kept`)
    }
    system.remove(true)
    for (const gone of ['/etc/troupe/daemon.yaml', '/var/lib/troupe', '/var/log/troupe']) assert.ok(!existsSync(gone), `${gone} purged`)
    // What the operator made stays: authorized_keys and the agent in /etc/troupe.
    assert.deepEqual(readdirSync('/etc/troupe').sort(), ['agents', 'authorized_keys'])
  })
})
