// The data sources of `-S` statements (MCollective's data plugins) on a node's own disk:
// fstat, resource and puppet read real files in a temporary Puppet state directory laid out
// as Puppet writes it (the contents below are what Puppet 7.23's `puppet agent --disable`
// and `puppet apply --write-catalog-summary` wrote). Each test asks what an operator asks:
// does this node match the filter, and what does a field read?
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, rmSync, truncateSync, utimesSync, writeFileSync, statSync, symlinkSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  buildFilter, matchesFilter, nodeDataLookup, registerDataSource, dataSourceNames, validateFilter,
  type DataLookup, type DataTest, type NodeView
} from '../../src/discovery/filter/index.js'

/** A node whose classes file (and so Puppet's state directory) is in `statedir`. */
function nodeWith (data: DataLookup | undefined): NodeView {
  return { identity: 'node01', facts: { os: { family: 'Debian' }, role: 'web' }, classes: ['settings'], agents: ['rpcutil', 'puppet'], ...(data !== undefined ? { data } : {}) }
}

function selects (select: string, node: NodeView): boolean {
  return matchesFilter(buildFilter({ select }), node)
}

/** The reason a node gives for refusing a filter (logged and counted by the daemon). */
function exhaustion (select: string, node: NodeView): string | undefined {
  let reason: string | undefined
  matchesFilter(buildFilter({ select }), node, { onExhausted: why => { reason = why } })
  return reason
}

/** A data statement as it arrives from the network (validated, not parsed from a flag). */
function networkSelects (test: DataTest, node: NodeView): boolean {
  const result = validateFilter({ facts: [], classes: [], identities: [], agents: [], compound: { kind: 'data', test } })
  assert.equal(result.ok, true)
  return result.ok && matchesFilter(result.filter, node)
}

const PUPPET_SUMMARY = `---
version:
  config: 1795697413
  puppet: 7.23.0
resources:
  changed: 1
  total: 9
time:
  catalog_application: 0.010246660000120755
  total: 0.012996797
  last_run: 1795697413
changes:
  total: 1
`

describe('filter data sources', () => {
  let root: string

  before(() => {
    root = mkdtempSync(join(tmpdir(), 'troupe-data-sources-'))
  })

  after(() => {
    rmSync(root, { recursive: true, force: true })
  })

  /** A fresh Puppet state directory (classes.txt in it) and the node reading it. */
  function stateDir (name: string): { dir: string, node: NodeView, lookup: DataLookup } {
    const dir = join(root, name, 'puppet', 'cache', 'state')
    mkdirSync(dir, { recursive: true })
    writeFileSync(join(dir, 'classes.txt'), 'settings\nmotd\n')
    const lookup = nodeDataLookup(join(dir, 'classes.txt'))
    return { dir, node: nodeWith(lookup), lookup }
  }

  describe('data sources: fstat reads a file on the node', () => {
    let dir: string
    let node: NodeView
    let lookup: DataLookup
    const when = new Date('2020-01-02T03:04:05.000Z')

    before(() => {
      ({ dir, node, lookup } = stateDir('fstat'))
      writeFileSync(join(dir, 'motd'), 'hello\n', { mode: 0o640 })
      utimesSync(join(dir, 'motd'), new Date('2021-06-07T08:09:10.000Z'), when)
    })

    it('a file: every field, as the statement reads it', () => {
      const path = join(dir, 'motd')
      const stat = statSync(path)
      const before = Date.now()
      const fields = lookup('fstat', path, 'present')
      const after = Date.now()
      assert.ok(fields !== undefined)
      const { mtime_age: mtimeAge, atime_age: atimeAge, ctime_age: ctimeAge, ...rest } = fields
      assert.deepEqual(rest, {
        name: path,
        output: 'present',
        present: 1,
        type: 'file',
        size: 6,
        mode: '100640',
        uid: stat.uid,
        gid: stat.gid,
        mtime: '2020-01-02T03:04:05.000Z',
        mtime_seconds: 1577934245,
        atime: '2021-06-07T08:09:10.000Z',
        atime_seconds: 1623053350,
        ctime: new Date(stat.ctimeMs).toISOString(),
        ctime_seconds: Math.floor(stat.ctimeMs / 1000)
      })
      for (const [age, time] of [[mtimeAge, when.getTime()], [atimeAge, Date.parse('2021-06-07T08:09:10.000Z')], [ctimeAge, stat.ctimeMs]] as const) {
        assert.ok(typeof age === 'number' && age >= Math.floor((before - time) / 1000) && age <= Math.floor((after - time) / 1000), `age ${String(age)} of ${time}`)
      }
      assert.ok(Number(ctimeAge) < 60, 'the file was just written')
    })

    it('statements on a file that exists and one that does not', () => {
      const path = join(dir, 'motd')
      assert.equal(selects(`fstat('${path}')`, node), true)
      assert.equal(selects(`fstat('${path}').size=6 and fstat('${path}').type=file`, node), true)
      assert.equal(selects(`fstat('${path}').size>6`, node), false)
      assert.equal(selects(`fstat('${path}').mode=100640`, node), true)
      assert.equal(selects(`fstat('${path}').mtime_seconds=1577934245`, node), true)
      assert.equal(selects(`fstat('${path}').mtime_age>86400`, node), true)
      const missing = join(dir, 'nosuch')
      assert.deepEqual(lookup('fstat', missing, 'present'), { name: missing, output: 'not present', present: 0 })
      assert.equal(selects(`fstat('${missing}')`, node), false)
      assert.equal(selects(`fstat('${missing}').present=0 and fstat('${missing}').output='not present'`, node), true)
      assert.equal(selects(`not fstat('${missing}')`, node), true)
      assert.equal(selects(`fstat('${missing}').size>=0`, node), false, 'a missing file has no size')
    })

    it('a relative path reads nothing (not even a file relative to the daemon\'s directory)', () => {
      assert.equal(existsSync('package.json'), true)
      assert.equal(lookup('fstat', 'package.json', 'present'), undefined)
      assert.equal(selects("fstat('package.json')", node), false)
      assert.equal(selects("fstat('package.json').present=0", node), false, 'not even "not present"')
    })

    it('types: directory, character and block device, socket, fifo; a symlink reads as its target', async () => {
      assert.equal(lookup('fstat', dir, 'type')?.type, 'directory')
      assert.equal(lookup('fstat', '/dev/null', 'type')?.type, 'chardev')
      if (existsSync('/dev/loop0')) assert.equal(lookup('fstat', '/dev/loop0', 'type')?.type, 'blockdev')
      const fifo = join(dir, 'fifo')
      execFileSync('mkfifo', [fifo])
      assert.equal(lookup('fstat', fifo, 'type')?.type, 'fifo')
      const link = join(dir, 'link')
      symlinkSync(join(dir, 'motd'), link)
      assert.equal(lookup('fstat', link, 'type')?.type, 'file')
      assert.equal(selects(`fstat('${link}').size=6`, node), true)
      const socket = join(dir, 'sock')
      const server: Server = createServer()
      await new Promise<void>(resolve => server.listen(socket, resolve))
      try {
        assert.equal(lookup('fstat', socket, 'type')?.type, 'socket')
        assert.equal(selects(`fstat('${socket}').type=socket`, node), true)
      } finally {
        await new Promise(resolve => server.close(resolve))
      }
    })

    it('md5 is read only when asked, of regular files up to 16 MiB', () => {
      const path = join(dir, 'motd')
      assert.equal(Object.hasOwn(lookup('fstat', path, 'size') ?? {}, 'md5'), false, 'no hashing unless md5 is asked for')
      assert.equal(lookup('fstat', path, 'md5')?.md5, 'b1946ac92492d2347c6235b4d2611184')
      assert.equal(selects(`fstat('${path}').md5=b1946ac92492d2347c6235b4d2611184`, node), true)
      assert.equal(selects(`fstat('${path}').md5=b1946ac92492d2347c6235b4d2611185`, node), false)
      // Longer than one 64 KiB read: every chunk is hashed, and only what was read.
      const long = join(dir, 'long')
      const content = Buffer.from('0123456789abcdef'.repeat(10_000) + 'tail')
      writeFileSync(long, content)
      assert.equal(lookup('fstat', long, 'md5')?.md5, createHash('md5').update(content).digest('hex'))
      // 16 MiB exactly is hashed; one byte more is not.
      const limit = join(dir, 'limit')
      writeFileSync(limit, '')
      truncateSync(limit, 16 * 1024 * 1024)
      assert.equal(lookup('fstat', limit, 'md5')?.md5, createHash('md5').update(Buffer.alloc(16 * 1024 * 1024)).digest('hex'))
      truncateSync(limit, 16 * 1024 * 1024 + 1)
      assert.equal(lookup('fstat', limit, 'md5')?.md5, undefined)
      assert.equal(selects(`fstat('${limit}').md5=~/./`, node), false)
      assert.equal(selects(`fstat('${limit}').size=16777217`, node), true)
      // A directory has no md5.
      assert.equal(Object.hasOwn(lookup('fstat', dir, 'md5') ?? {}, 'md5'), false)
      assert.equal(selects(`fstat('${dir}').md5=~/./`, node), false)
    })
  })

  describe('data sources: resource reads Puppet\'s resources.txt', () => {
    it('managed: the resource is listed; the type is case-insensitive as Puppet writes it', () => {
      const { dir, node } = stateDir('resource')
      // As Puppet 7.23 writes it (`resource.ref.downcase`), with a blank line and stray spaces.
      writeFileSync(join(dir, 'resources.txt'), 'file[/etc/motd]\nnotify[hi]\n\n  package[nginx]  \nclass[settings]\n')
      assert.equal(selects("resource('File[/etc/motd]')", node), true)
      assert.equal(selects("resource('file[/etc/motd]').managed=true", node), true)
      assert.equal(selects("resource('Package[nginx]')", node), true, 'spaces around a line do not count')
      assert.equal(selects("resource('Notify[hi]') and resource('Class[settings]')", node), true)
      assert.equal(selects("resource('File[/etc/issue]')", node), false)
      assert.equal(selects("resource('File[/etc/issue]').managed=false", node), true)
      assert.equal(selects("resource('Notify[hi ]')", node), false, 'the title is compared whole')
      assert.equal(selects("resource('NOTIFY[hi]')", node), true)
      assert.equal(selects("resource('CLASS[settings]')", node), true)
      assert.equal(selects("resource('')", node), false, 'a blank line is no resource')
    })

    it('managed: a title Puppet wrote in lower case (Puppet 7 lowercases the whole reference)', () => {
      const { dir, node } = stateDir('resource-case')
      writeFileSync(join(dir, 'resources.txt'), 'file[/srv/www/index.html]\nuser[deploy]\n')
      assert.equal(selects("resource('File[/srv/WWW/index.html]')", node), true, 'Puppet wrote File[/srv/WWW/index.html] as file[/srv/www/index.html]')
      assert.equal(selects("resource('User[Deploy]')", node), true)
      assert.equal(selects("resource('User[deployer]')", node), false)
    })

    it('count and age', () => {
      const { dir, node } = stateDir('resource-count')
      const path = join(dir, 'resources.txt')
      writeFileSync(path, 'file[/etc/motd]\nnotify[hi]\n\n  package[nginx]  \n')
      const written = Math.floor(Date.now() / 1000) - 100
      utimesSync(path, written, written)
      assert.equal(selects("resource('File[/etc/motd]').count=3", node), true)
      assert.equal(selects("resource('File[/x]').count=3", node), true, 'count does not depend on the resource')
      assert.equal(selects("resource('File[/etc/motd]').count>3", node), false)
      assert.equal(selects("resource('File[/etc/motd]').age>=100 and resource('File[/etc/motd]').age<=110", node), true)
      assert.equal(selects("resource('File[/etc/motd]').age<100", node), false)
    })

    it('no resources.txt, or one that cannot be read: no data, the statement is false either way', () => {
      // Guard: a resources.txt in the usual places would be read instead (none on a test machine).
      if (['/opt/puppetlabs/puppet/cache/state', '/var/cache/puppet/state', '/var/lib/puppet/state'].some(dir => existsSync(join(dir, 'resources.txt')))) return
      const empty = stateDir('resource-none')
      assert.equal(empty.lookup('resource', 'File[/etc/motd]', 'managed'), undefined)
      assert.equal(selects("resource('File[/etc/motd]')", empty.node), false)
      assert.equal(selects("resource('File[/etc/motd]').managed=false", empty.node), false, 'unknown is not "unmanaged"')
      assert.equal(selects("resource('File[/etc/motd]').count=0", empty.node), false)
      const broken = stateDir('resource-unreadable')
      mkdirSync(join(broken.dir, 'resources.txt'))
      assert.equal(broken.lookup('resource', 'File[/etc/motd]', 'managed'), undefined)
      assert.equal(selects("resource('File[/etc/motd]').managed=false", broken.node), false)
    })
  })

  describe('data sources: puppet() reads the agent\'s lock files and last run summary', () => {
    it('enabled and idle, never run', () => {
      const { lookup, node } = stateDir('puppet-idle')
      assert.deepEqual(lookup('puppet', '', 'enabled'), { enabled: true, applying: false, disable_message: '', lastrun: 0, since_lastrun: null })
      assert.equal(selects('puppet()', node), true)
      assert.equal(selects('puppet().enabled=true and puppet().applying=false', node), true)
      assert.equal(selects('puppet().lastrun=0', node), true)
      assert.equal(selects('puppet().since_lastrun>=0', node), false, 'never ran: no time since')
    })

    it('disabled with a message (the lock file `puppet agent --disable` writes)', () => {
      const { dir, node, lookup } = stateDir('puppet-disabled')
      writeFileSync(join(dir, 'agent_disabled.lock'), '{"disabled_message":"kernel upgrade, back at 15:00"}')
      assert.equal(lookup('puppet', '', 'enabled')?.disable_message, 'kernel upgrade, back at 15:00')
      assert.equal(selects('puppet()', node), false)
      assert.equal(selects('puppet().enabled=false', node), true)
      assert.equal(selects("puppet().disable_message='kernel upgrade, back at 15:00'", node), true)
      assert.equal(selects('puppet().disable_message=~/kernel/', node), true)
    })

    it('a lock file without a usable message still means disabled, with an empty message', () => {
      for (const [name, content] of [['none', '{}'], ['number', '{"disabled_message":42}'], ['garbage', 'not json {']] as const) {
        const { dir, lookup } = stateDir(`puppet-lock-${name}`)
        writeFileSync(join(dir, 'agent_disabled.lock'), content)
        const fields = lookup('puppet', '', 'enabled')
        assert.equal(fields?.enabled, false, name)
        assert.equal(fields?.disable_message, '', name)
      }
    })

    it('applying while the catalog run lock exists', () => {
      const { dir, node } = stateDir('puppet-applying')
      writeFileSync(join(dir, 'agent_catalog_run.lock'), '12345')
      assert.equal(selects('puppet().applying=true and puppet().enabled=true', node), true)
      assert.equal(selects('puppet().applying', node), true)
    })

    it('the last run from last_run_summary.yaml: in the state directory, else in Puppet\'s public directory', () => {
      const { dir, node, lookup } = stateDir('puppet-ran')
      writeFileSync(join(dir, 'last_run_summary.yaml'), PUPPET_SUMMARY)
      const before = Date.now()
      const fields = lookup('puppet', '', 'lastrun')
      const after = Date.now()
      assert.equal(fields?.lastrun, 1795697413)
      const since = fields?.since_lastrun
      assert.ok(typeof since === 'number' && since >= Math.round(before / 1000 - 1795697413) && since <= Math.round(after / 1000 - 1795697413), String(since))
      assert.equal(selects('puppet().lastrun=1795697413', node), true)
      assert.equal(selects('puppet().lastrun>1795697413', node), false)

      // Puppet's layout: .../puppet/cache/state and .../puppet/public/last_run_summary.yaml
      const other = stateDir('puppet-public')
      const publicDir = join(root, 'puppet-public', 'puppet', 'public')
      mkdirSync(publicDir, { recursive: true })
      writeFileSync(join(publicDir, 'last_run_summary.yaml'), PUPPET_SUMMARY.replace(/1795697413/g, '1700000000'))
      assert.equal(selects('puppet().lastrun=1700000000', other.node), true)
      // The state directory's own summary comes first.
      writeFileSync(join(other.dir, 'last_run_summary.yaml'), PUPPET_SUMMARY)
      assert.equal(selects('puppet().lastrun=1795697413', other.node), true)
    })

    it('a summary that cannot be read, or has no last run, counts as never run', () => {
      const cases = [['garbage', 'time: [unclosed\n  last_run: : :'], ['no-time', 'version:\n  puppet: 7.23.0\n'], ['not-a-number', 'time:\n  last_run: soon\n'], ['empty', '']]
      for (const [name, content] of cases) {
        const { dir, lookup } = stateDir(`puppet-summary-${name ?? ''}`)
        writeFileSync(join(dir, 'last_run_summary.yaml'), content ?? '')
        const fields = lookup('puppet', '', 'lastrun')
        assert.equal(fields?.lastrun, 0, name)
        assert.equal(fields?.since_lastrun, null, name)
        assert.equal(fields?.enabled, true, name)
      }
    })
  })

  describe('data sources: the node\'s lookup and the statement\'s value', () => {
    it('the lookup without a classes file reads the usual places, and still reads files', () => {
      const lookup = nodeDataLookup()
      assert.equal(lookup('fstat', '/', 'type')?.type, 'directory')
      assert.equal(lookup('nosuch', 'x', 'value'), undefined)
    })

    it('a source registered the documented way is read with its default field when none is named', () => {
      const asked: Array<string | undefined> = []
      registerDataSource({
        name: 'probe', description: 'test source', defaultField: 'level', takesParam: 'optional',
        fields: { level: 'a number', label: 'text', constructor: 'not in any result' },
        read: (param, _host, field) => {
          asked.push(field)
          if (param === 'throw') throw new Error('the source broke')
          if (param === 'none') return undefined
          return { level: param === 'high' ? 9 : 0, label: `for ${param}` }
        }
      })
      const { lookup, node } = stateDir('probe')
      assert.deepEqual(lookup('probe', 'high'), { level: 9, label: 'for high' })
      assert.deepEqual(asked, ['level'], 'the source is told its default field')
      assert.equal(selects("probe('high')", node), true)
      assert.equal(selects("probe('low')", node), false)
      assert.equal(selects("probe('low').label='for low'", node), true)
      assert.equal(selects("probe('high').level>8", node), true)
      assert.equal(selects("probe('none')", node), false, 'no data: false')
      assert.equal(selects("not probe('none')", node), true)
      assert.equal(selects("probe('throw')", node), false, 'a source that throws is no data, not a crash')
      assert.equal(selects("not probe('throw')", node), true)
      assert.equal(selects("probe('high').constructor", node), false, 'a field the result lacks (even one every object inherits) is no data')
      assert.ok(dataSourceNames().includes('probe'))
    })

    it('the names of the sources, sorted, for the error messages', () => {
      assert.deepEqual(dataSourceNames().filter(name => ['agent', 'fact', 'fstat', 'puppet', 'resource'].includes(name)), ['agent', 'fact', 'fstat', 'puppet', 'resource'])
      const names = dataSourceNames()
      assert.deepEqual(names, [...names].sort())
    })

    it('a source this node does not have stops the evaluation with a reason (a filter from a newer requester)', () => {
      const { node } = stateDir('unknown-source')
      const result = validateFilter({ facts: [], classes: [], identities: [], agents: [], compound: { kind: 'not', expr: { kind: 'data', test: { source: 'nosuch', param: 'x' } } } })
      assert.ok(result.ok)
      let reason: string | undefined
      assert.equal(matchesFilter(result.filter, node, { onExhausted: why => { reason = why } }), false, 'not even under `not`')
      assert.equal(reason, `unknown data source 'nosuch' (this node has ${dataSourceNames().join(', ')})`)
      // The built-in sources at least (other tests in the same process may have registered more).
      assert.match(reason ?? '', /^unknown data source 'nosuch' \(this node has agent, .*\bfact, .*\bfstat, .*\bpuppet, resource\b.*\)$/)
    })

    it('a request reads at most 16 data lookups on a node', () => {
      const { node } = stateDir('budget')
      const statements = (count: number): string => Array.from({ length: count }, () => "fstat('/')").join(' and ')
      assert.equal(selects(statements(16), node), true)
      assert.equal(exhaustion(statements(16), node), undefined)
      assert.equal(selects(statements(17), node), false)
      assert.equal(exhaustion(statements(17), node), 'more than 16 data-source lookups')
    })

    it('in the directory (no node data) a node source is unknown; fact and agent are decided there', () => {
      const directory = nodeWith(undefined)
      const fstat = buildFilter({ select: "fstat('/etc/hostname')" })
      assert.equal(matchesFilter(fstat, directory), false)
      assert.equal(matchesFilter(fstat, directory, { unknownMatches: true }), true)
      assert.equal(matchesFilter(buildFilter({ select: "not fstat('/etc/hostname')" }), directory, { unknownMatches: true }), true)
      for (const node of [directory, stateDir('view').node]) {
        assert.equal(selects("fact('os.family')=Debian", node), true)
        assert.equal(selects("fact('os.family').value=Debian", node), true)
        assert.equal(selects("fact('os.family')=RedHat", node), false)
        assert.equal(selects("fact('os.nosuch')", node), false)
        assert.equal(selects("agent('puppet')", node), true)
        assert.equal(selects("agent('puppet').present=true", node), true)
        assert.equal(selects("agent('package')", node), false)
        assert.equal(matchesFilter(buildFilter({ select: "fact('role')=web" }), node, { unknownMatches: false }), true, 'decided, not unknown')
      }
    })

    it('fact and agent have one field each: another field from the network reads nothing', () => {
      const { node } = stateDir('view-fields')
      assert.equal(networkSelects({ source: 'fact', param: 'role', field: 'value', op: '=', value: 'web' }, node), true)
      assert.equal(networkSelects({ source: 'fact', param: 'role', field: 'other', op: '=', value: 'web' }, node), false)
      assert.equal(networkSelects({ source: 'fact', param: 'role', field: 'present' }, node), false)
      assert.equal(networkSelects({ source: 'agent', param: 'puppet', field: 'present' }, node), true)
      assert.equal(networkSelects({ source: 'agent', param: 'puppet', field: 'value' }, node), false)
      assert.equal(networkSelects({ source: 'agent', param: 'puppet' }, node), true)
    })
  })
})
