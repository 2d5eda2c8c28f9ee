// The system troupe replaces, measured in the same run: Debian's MCollective 2.12 behind Debian's
// ActiveMQ (STOMP on 127.0.0.1:61613, as Puppet Enterprise's pe-activemq), with K mcollectived
// processes. Everything lives in a temporary directory and runs as plain processes.
import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync, rmSync, existsSync } from 'node:fs'
import { createConnection } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { SystemResult, MeasureOptions } from './types.js'
import { ensureDebianPackages } from './packages.js'
import { timeCommand, rssMiB, round, waitUntil, idleCpuPercent, sample, daemonFigures, commandResult, CPU_SAMPLE_RUNS } from '../measure.js'

const STOMP_PORT = 61613
const USER = 'mcollective'
const PASSWORD = 'bench-only-password'
const PSK = 'bench-only-psk'

export async function benchMcollective (nodes: number, options: MeasureOptions): Promise<SystemResult | { skipped: string }> {
  const missing = ensureDebianPackages(['mcollective', 'mcollective-client', 'ruby-stomp', 'activemq', 'default-jre-headless'])
  if (missing !== undefined) return { skipped: missing }
  const dir = mkdtempSync(join(tmpdir(), 'troupe-bench-mco-'))
  const pids: number[] = []
  try {
    const brokerPid = await startBroker(dir)
    pids.push(brokerPid)
    const clientConfig = writeConfigs(dir, nodes)
    const daemonPids: number[] = []
    for (let i = 1; i <= nodes; i++) {
      const node = join(dir, 'nodes', nodeName(i))
      spawnSync('/usr/sbin/mcollectived', ['--config', join(node, 'server.cfg'), '--pidfile', join(node, 'mcollectived.pid'), '--daemonize'], { stdio: 'ignore' })
    }
    await waitUntil('every mcollectived to write its pid file', 60_000, async () => {
      daemonPids.length = 0
      for (let i = 1; i <= nodes; i++) {
        const pidFile = join(dir, 'nodes', nodeName(i), 'mcollectived.pid')
        if (existsSync(pidFile)) daemonPids.push(Number(readFileSync(pidFile, 'utf8').trim()))
      }
      return daemonPids.length === nodes && daemonPids.every(pid => pid > 0)
    })
    pids.push(...daemonPids)
    const mco = (...args: string[]): [string, string[]] => ['/usr/bin/mco', [...args, '--config', clientConfig]]
    await waitUntil(`mco ping to see ${nodes} nodes`, 120_000, async () => countPingReplies((await timeCommand(...mco('ping', '-t', '2'))).stdout) >= nodes)
    const nodesFile = join(dir, 'nodes.txt')
    writeFileSync(nodesFile, Array.from({ length: nodes }, (_, i) => nodeName(i + 1)).join('\n') + '\n')

    // Every node answers the directly addressed rpc once: the request's own cost.
    const direct = { name: 'rpc ping, no discovery (--nodes FILE)', args: ['rpc', 'rpcutil', 'ping', '--nodes', nodesFile], replies: countRpcReplies }
    const commands = [
      { name: 'ping', args: ['ping'], replies: countPingReplies },
      { name: 'rpc ping', args: ['rpc', 'rpcutil', 'ping'], replies: countRpcReplies },
      direct
    ]
    const idle = await idleCpuPercent(daemonPids, options.idleSeconds)
    const results: SystemResult['commands'] = []
    for (const command of commands) {
      const { samples } = await sample(options.runs, daemonPids, idle, async () => await timeCommand(...mco(...command.args)))
      results.push(commandResult(command.name, `mco ${command.args.join(' ').replace(nodesFile, 'FILE')}`, nodes,
        samples.map(timed => ({ ms: timed.ms, code: timed.code, replies: command.replies(timed.stdout) }))))
    }
    const cpuPerRequest = (await sample(CPU_SAMPLE_RUNS, daemonPids, idle, async () => await timeCommand(...mco(...direct.args)))).cpuMsPerRun
    return {
      system: 'MCollective 2.12 + ActiveMQ',
      nodes,
      // As writeConfigs below sets it up: the psk provider hashes each message with a key every
      // node and client shares; nothing is signed per caller, so this costs less than troupe's signatures.
      security: 'securityprovider psk (a shared key, no signatures)',
      commands: results,
      ...daemonFigures(daemonPids, idle, cpuPerRequest, CPU_SAMPLE_RUNS),
      infrastructure_rss_mib: round(rssMiB(brokerPid))
    }
  } finally {
    for (const pid of pids) { try { process.kill(pid, 'SIGKILL') } catch { /* gone */ } }
    rmSync(dir, { recursive: true, force: true })
  }
}

function nodeName (i: number): string {
  return `node${String(i).padStart(2, '0')}`
}

function countPingReplies (stdout: string): number {
  return stdout.split('\n').filter(line => /time=/.test(line)).length
}

function countRpcReplies (stdout: string): number {
  return Number(/Finished processing (\d+) \/ \d+ hosts/.exec(stdout)?.[1] ?? 0)
}

/** ActiveMQ as MCollective's reference config has it: STOMP only, non-persistent, simple authentication. */
async function startBroker (dir: string): Promise<number> {
  const base = join(dir, 'activemq')
  mkdirSync(join(base, 'conf'), { recursive: true })
  mkdirSync(join(base, 'data'), { recursive: true })
  writeFileSync(join(base, 'conf', 'activemq.xml'), `<beans xmlns="http://www.springframework.org/schema/beans" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
  xsi:schemaLocation="http://www.springframework.org/schema/beans http://www.springframework.org/schema/beans/spring-beans-2.0.xsd
  http://activemq.apache.org/schema/core http://activemq.apache.org/schema/core/activemq-core.xsd">
  <broker xmlns="http://activemq.apache.org/schema/core" brokerName="troupe-bench" useJmx="false" persistent="false" schedulerSupport="false">
    <destinationPolicy><policyMap><policyEntries>
      <policyEntry topic=">" producerFlowControl="false"/>
      <policyEntry queue="*.reply.>" gcInactiveDestinations="true" inactiveTimoutBeforeGC="300000"/>
    </policyEntries></policyMap></destinationPolicy>
    <plugins><simpleAuthenticationPlugin><users>
      <authenticationUser username="${USER}" password="${PASSWORD}" groups="mcollective,everyone"/>
    </users></simpleAuthenticationPlugin></plugins>
    <transportConnectors>
      <transportConnector name="stomp+nio" uri="stomp+nio://127.0.0.1:${STOMP_PORT}?transport.closeAsync=false"/>
    </transportConnectors>
  </broker>
</beans>
`)
  writeFileSync(join(base, 'conf', 'log4j.properties'), 'log4j.rootLogger=WARN, file\nlog4j.appender.file=org.apache.log4j.FileAppender\n' +
    `log4j.appender.file.file=${join(base, 'data', 'activemq.log')}\nlog4j.appender.file.layout=org.apache.log4j.PatternLayout\nlog4j.appender.file.layout.ConversionPattern=%d %-5p %m%n\n`)
  // Java 17 needs these modules opened for ActiveMQ 5.17, as Debian's /usr/bin/activemq does.
  const opens = ['java.base/java.security', 'java.base/java.net', 'java.base/java.lang', 'java.base/java.util', 'java.naming/javax.naming.spi', 'java.rmi/sun.rmi.transport.tcp', 'java.base/java.util.concurrent', 'java.base/java.util.concurrent.atomic']
  const broker = spawn('java', [
    '-Xms128M', '-Xmx512M', '--add-reads=java.xml=java.logging', ...opens.flatMap(module => ['--add-opens', `${module}=ALL-UNNAMED`]),
    `-Dactivemq.classpath=${join(base, 'conf')}`, '-Dactivemq.home=/usr/share/activemq', `-Dactivemq.base=${base}`,
    `-Dactivemq.conf=${join(base, 'conf')}`, `-Dactivemq.data=${join(base, 'data')}`, `-Dlog4j.configuration=file:${join(base, 'conf', 'log4j.properties')}`,
    '-jar', '/usr/share/activemq/bin/activemq.jar', 'start', `xbean:file:${join(base, 'conf', 'activemq.xml')}`
  ], { stdio: 'ignore', detached: true })
  broker.unref()
  await waitUntil('ActiveMQ to listen on 61613', 120_000, async () => await portOpen(STOMP_PORT))
  return broker.pid ?? 0
}

async function portOpen (port: number): Promise<boolean> {
  return await new Promise(resolve => {
    const socket = createConnection({ host: '127.0.0.1', port }, () => { socket.destroy(); resolve(true) })
    socket.once('error', () => resolve(false))
  })
}

function writeConfigs (dir: string, nodes: number): string {
  const common = [
    'main_collective = mcollective', 'collectives = mcollective', 'libdir = /usr/share/mcollective/plugins',
    'securityprovider = psk', `plugin.psk = ${PSK}`, 'connector = activemq', 'plugin.activemq.pool.size = 1',
    'plugin.activemq.pool.1.host = 127.0.0.1', `plugin.activemq.pool.1.port = ${STOMP_PORT}`,
    `plugin.activemq.pool.1.user = ${USER}`, `plugin.activemq.pool.1.password = ${PASSWORD}`,
    'plugin.activemq.initial_reconnect_delay = 0.1'
  ]
  const client = join(dir, 'client.cfg')
  writeFileSync(client, [...common, 'logger_type = console', 'loglevel = error', 'color = 0'].join('\n') + '\n')
  for (let i = 1; i <= nodes; i++) {
    const node = join(dir, 'nodes', nodeName(i))
    mkdirSync(node, { recursive: true })
    writeFileSync(join(node, 'classes.txt'), `settings\nprofile::base\nrole::${i % 2 === 1 ? 'web' : 'db'}\n`)
    writeFileSync(join(node, 'server.cfg'), [...common, `identity = ${nodeName(i)}`, `logfile = ${join(node, 'mcollectived.log')}`,
      'loglevel = warn', 'daemonize = 1', `classesfile = ${join(node, 'classes.txt')}`, 'registerinterval = 0', 'rpcaudit = 0'].join('\n') + '\n')
  }
  return client
}
