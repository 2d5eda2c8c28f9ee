// The Puppet module (puppet/troupe) with Debian's puppet: every manifest passes `puppet parser
// validate`; then, as a Puppet shop would run it, `puppet apply` with Hiera data applies
// troupe::bootstrap and troupe::client on a master namespace and troupe::node on two host
// namespaces, which install the package built here, write the configs, authorized_keys and
// policies, and start the services (by the package's init scripts: systemd is not PID 1 here).
// `troupe ping` from the master then gets both replies; a caller the policies restrict is
// refused. The namespaces share one filesystem, so each node is an instance (troupe-daemon@hostN,
// /etc/troupe/hostN) and each Puppet run has its own certname, ssldir and state: the Puppet CA is
// a stand-in made with openssl (test/helpers/puppet-ca.ts).
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parse as fromYaml, stringify as toYaml } from 'yaml'
import { NetnsFleet } from '../helpers/netns.js'
import { SystemInstall, cannotInstallHere, inNetns, pidFromFile, processUser } from '../helpers/deb.js'
import { makePuppetSsldir } from '../helpers/puppet-ca.js'
import { parseJson, type PingJson, type CliResult } from '../helpers/cli.js'
import { VERSION } from '../../src/version.js'

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..')
const MODULE_PATH = join(repo, 'puppet')
const HOSTS = ['host1', 'host2']

function manifests (dir: string): string[] {
  const found: string[] = []
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) found.push(...manifests(path))
    else if (entry.name.endsWith('.pp')) found.push(path)
  }
  return found
}

interface AuditLine { request_id: string, decision: string, caller: string, reason?: string }
const auditOf = (host: string, id: string): AuditLine[] => {
  const path = `/var/log/troupe/${host}/audit.log`
  return existsSync(path) ? readFileSync(path, 'utf8').trim().split('\n').map(line => JSON.parse(line) as AuditLine).filter(line => line.request_id === id) : []
}

describe('Puppet module: troupe::bootstrap, troupe::client, troupe::node with puppet apply', function () {
  this.timeout(600_000)
  let scratch: string
  let fleet: NetnsFleet
  let system: SystemInstall
  let deb: string
  let ssldir: string
  const clientConfig = (): string => join(scratch, 'client.yaml')

  it('puppet parser validate passes for every manifest of the module', () => {
    const files = manifests(join(MODULE_PATH, 'troupe'))
    assert.ok(files.length >= 7, files.join(' '))
    execFileSync('puppet', ['parser', 'validate', ...files], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
  })

  describe('applied on a master and two hosts', function () {
    before(function () {
      const reason = cannotInstallHere() ?? (NetnsFleet.available() ? undefined : 'network namespaces cannot be made here')
      if (reason !== undefined) {
        console.log(`      (skipped: ${reason})`)
        this.skip()
      }
      scratch = mkdtempSync(join(tmpdir(), 'troupe-puppet-'))
      deb = SystemInstall.build(VERSION, scratch)
      fleet = NetnsFleet.create(HOSTS.length)
      system = new SystemInstall(fleet.namespace('master'))
      ssldir = makePuppetSsldir(join(scratch, 'ssl'), ['master', ...HOSTS])
      for (const caller of ['operator', 'auditor']) execFileSync(process.execPath, [join(repo, 'bin', 'troupe.js'), 'keygen', '--out', join(scratch, `${caller}.key`), '--name', caller])
      writeHiera()
    })

    after(async () => {
      system?.cleanup()
      await fleet?.destroy()
      if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true })
    })

    /** Hiera data as a site keeps it: common settings, then one file per certname. */
    function writeHiera (): void {
      const data = join(scratch, 'hiera')
      mkdirSync(join(data, 'nodes'), { recursive: true })
      writeFileSync(join(scratch, 'hiera.yaml'), toYaml({
        version: 5,
        defaults: { datadir: data, data_hash: 'yaml_data' },
        hierarchy: [{ name: 'per node', path: 'nodes/%{trusted.certname}.yaml' }, { name: 'common', path: 'common.yaml' }]
      }))
      const bootstrap = [`/ip4/${fleet.address('master')}/tcp/61613`]
      const pub = (caller: string): string => readFileSync(join(scratch, `${caller}.key.pub`), 'utf8').trim()
      writeFileSync(join(data, 'common.yaml'), toYaml({
        'troupe::package_source': deb,
        'troupe::node::bootstrap': bootstrap,
        'troupe::node::callers': {
          operator: { key: pub('operator') },
          // The auditor may ping, nothing else.
          auditor: { key: pub('auditor'), agents: { rpcutil: ['ping'] } }
        },
        // Enrolled (the module's default): requesters enter through the bootstrap only with a key it admits.
        'troupe::bootstrap::callers': "%{alias('troupe::node::callers')}",
        'troupe::client::bootstrap': bootstrap,
        // Where this test's requester keeps its files (a real one uses ~/.troupe and /etc/troupe).
        'troupe::client::config_file': clientConfig(),
        'troupe::client::settings': { caller_key: join(scratch, 'operator.key'), key: join(scratch, 'requester.key'), requester_socket: join(scratch, 'requester.sock') }
      }))
      writeFileSync(join(data, 'nodes', 'master.yaml'), toYaml({ 'troupe::bootstrap::instance': 'master' }))
      for (const host of HOSTS) writeFileSync(join(data, 'nodes', `${host}.yaml`), toYaml({ 'troupe::node::instance': host }))
    }

    /** puppet apply as root on the host, with its own certname, ssldir and Puppet state. */
    async function apply (host: string, manifest: string): Promise<CliResult> {
      const state = join(scratch, 'puppet', host)
      mkdirSync(state, { recursive: true })
      return await inNetns(fleet.namespace(host), 'puppet', [
        'apply', '--detailed-exitcodes', '--color=false',
        '--certname', host, '--ssldir', ssldir,
        '--confdir', join(state, 'etc'), '--vardir', join(state, 'var'), '--codedir', join(state, 'code'),
        '--logdir', join(state, 'log'), '--rundir', join(state, 'run'),
        '--hiera_config', join(scratch, 'hiera.yaml'), '--modulepath', MODULE_PATH,
        '-e', manifest
      ], { timeoutMs: 300_000 })
    }

    const changed = (result: CliResult): void => {
      // --detailed-exitcodes: 2 = changes applied, no failures.
      assert.equal(result.code, 2, `puppet apply: exit ${String(result.code)}\n${result.stdout}\n${result.stderr}`)
    }

    it('troupe::bootstrap and troupe::client on the master: the package installed, the bootstrap running as troupe', async () => {
      changed(await apply('master', 'include troupe::bootstrap include troupe::client'))
      const pid = pidFromFile('/run/troupe/troupe-bootstrap@master.pid')
      assert.ok(pid !== undefined, 'troupe-bootstrap@master runs')
      assert.equal(processUser(pid), 'troupe')
      const bootstrapConfig = fromYaml(readFileSync('/etc/troupe/master/bootstrap.yaml', 'utf8')) as Record<string, unknown>
      assert.equal(bootstrapConfig.key, '/var/lib/troupe/bootstrap/master/bootstrap.key')
      assert.deepEqual((fromYaml(readFileSync(clientConfig(), 'utf8')) as Record<string, unknown>).bootstrap, [`/ip4/${fleet.address('master')}/tcp/61613`])
      // The bootstrap cannot read Puppet's key in place: it has a copy only it can read.
      assert.equal(bootstrapConfig.cert_key, '/var/lib/troupe/bootstrap/master/ssl/key.pem')
      assert.equal(execFileSync('stat', ['-c', '%U %a', '/var/lib/troupe/bootstrap/master/ssl/key.pem'], { encoding: 'utf8' }).trim(), 'troupe 400')
      assert.equal(readFileSync('/var/lib/troupe/bootstrap/master/ssl/key.pem', 'utf8'), readFileSync(join(ssldir, 'private_keys', 'master.pem'), 'utf8'))
      assert.equal(bootstrapConfig.ca, '/var/lib/troupe/bootstrap/master/ssl/ca.pem')
    })

    it('troupe::node on host1 and host2: config, authorized_keys and policies from Hiera, the daemons running', async () => {
      const results = await Promise.all(HOSTS.map(async host => await apply(host, 'include troupe::node')))
      results.forEach(changed)
      for (const host of HOSTS) {
        const pid = pidFromFile(`/run/troupe/troupe-daemon@${host}.pid`)
        assert.ok(pid !== undefined, `troupe-daemon@${host} runs`)
        assert.equal(processUser(pid), 'root')
        const config = fromYaml(readFileSync(`/etc/troupe/${host}/daemon.yaml`, 'utf8')) as Record<string, unknown>
        assert.equal(config.identity, host)
        assert.equal(config.audit_log, `/var/log/troupe/${host}/audit.log`)
        // The daemon (root) reads the node's Puppet certificate and key where Puppet keeps them.
        assert.deepEqual([config.ca, config.cert, config.cert_key], [`${ssldir}/certs/ca.pem`, `${ssldir}/certs/${host}.pem`, `${ssldir}/private_keys/${host}.pem`])
        assert.deepEqual(readFileSync(`/etc/troupe/${host}/authorized_keys`, 'utf8').split('\n').filter(line => line.startsWith('ed25519')).map(line => line.split(' ')[2]), ['auditor', 'operator'])
        assert.equal(readFileSync(`/etc/troupe/${host}/policy/rpcutil.policy`, 'utf8').split('\n').filter(line => line !== '' && !line.startsWith('#')).join('|'),
          'policy default deny|allow\tauditor\tping\t*\t*|allow\toperator\t*\t*\t*')
      }
    })

    it('troupe ping from the master, configured by troupe::client, gets both replies; each node audits it', async () => {
      let doc: PingJson | undefined
      let stderr = ''
      for (let attempt = 0; attempt < 60 && doc?.replies.length !== HOSTS.length; attempt++) {
        const result = await inNetns(fleet.namespace('master'), '/usr/bin/troupe', ['ping', '--json', '--timeout', '3', '--config', clientConfig()])
        doc = result.stdout.startsWith('{') ? parseJson<PingJson>(result) : undefined
        stderr = result.stderr
        if (doc?.replies.length !== HOSTS.length) await new Promise(resolve => setTimeout(resolve, 500))
      }
      assert.deepEqual(doc?.replies.map(reply => reply.identity), HOSTS, stderr)
      // Enrolled with the (stand-in) Puppet CA: identities are checked, no lab-mode warning.
      assert.doesNotMatch(stderr, /lab mode/)
      assert.deepEqual(doc?.missing, [])
      // Acted on once. A node that answered after 2 s was asked again (src/requester/reask.ts), and
      // its replay cache refused that copy: a line the slow first ping of a fresh agent can add.
      for (const host of HOSTS) {
        const lines = auditOf(host, doc?.request.id ?? '')
        assert.deepEqual(lines.filter(line => line.decision === 'accepted').map(line => line.caller), ['operator'], JSON.stringify(lines))
        for (const line of lines.filter(line => line.decision !== 'accepted')) assert.match(`${line.decision}: ${line.reason ?? ''}`, /^refused: .*already seen \(replay\)$/)
      }
      // Each peer made its key where the module put it, in its own state directory.
      for (const key of ['/var/lib/troupe/bootstrap/master/bootstrap.key', ...HOSTS.map(host => `/var/lib/troupe/${host}/daemon.key`)]) assert.ok(existsSync(key), key)
    })

    it('the caller the policies restrict may ping but not run inventory nor another agent; the refusals are audited', async () => {
      const auditorConfig = join(scratch, 'auditor.yaml')
      writeFileSync(auditorConfig, readFileSync(clientConfig(), 'utf8')
        .replace(/^caller_key: .*$/m, `caller_key: ${join(scratch, 'auditor.key')}`)
        .replace(/^requester_socket: .*$/m, `requester_socket: ${join(scratch, 'auditor.sock')}`)
        .replace(/^key: .*$/m, `key: ${join(scratch, 'auditor.peer.key')}`))
      const troupe = async (args: string[]): Promise<PingJson> => parseJson<PingJson>(await inNetns(fleet.namespace('master'), '/usr/bin/troupe', [...args, '--json', '--timeout', '5', '--config', auditorConfig]))
      const ping = await troupe(['ping'])
      assert.deepEqual(ping.replies.map(reply => [reply.identity, reply.status]), HOSTS.map(host => [host, 0]))
      const inventory = await troupe(['rpc', 'rpcutil', 'inventory'])
      assert.deepEqual(inventory.replies.map(reply => [reply.identity, reply.status]), HOSTS.map(host => [host, 1]))
      for (const host of HOSTS) {
        const [line] = auditOf(host, inventory.request.id)
        assert.equal(line?.decision, 'refused')
        assert.match(line?.reason ?? '', /not authorized: auditor may not run rpcutil inventory/)
      }
      // An agent no caller's list names falls to troupe_default.policy: open to the operator
      // (no `agents`), closed to the auditor.
      const byAuditor = await troupe(['rpc', 'package', 'status', 'package=bash'])
      assert.deepEqual(byAuditor.replies.map(reply => [reply.identity, reply.status]), HOSTS.map(host => [host, 1]))
      assert.deepEqual(HOSTS.map(host => auditOf(host, byAuditor.request.id)[0]?.decision), HOSTS.map(() => 'refused'))
      const byOperator = parseJson<PingJson>(await inNetns(fleet.namespace('master'), '/usr/bin/troupe', ['rpc', 'package', 'status', 'package=bash', '--json', '--timeout', '10', '--config', clientConfig()]))
      assert.deepEqual(byOperator.replies.map(reply => [reply.identity, reply.status]), HOSTS.map(host => [host, 0]))
    })

    it('a second puppet apply changes nothing (the configuration has converged)', async () => {
      for (const [host, manifest] of [['host1', 'include troupe::node'], ['master', 'include troupe::bootstrap include troupe::client']] as const) {
        const result = await apply(host, manifest)
        assert.equal(result.code, 0, `${host}: second puppet apply changed something or failed\n${result.stdout}\n${result.stderr}`)
      }
    })
  })
})
