// `troupe doctor`: a client config checked end to end, each finding with what to fix. The local
// checks (files, keys, modes, the socket's directory, the bootstrap's TCP port) come first; then,
// through the requester agent, the mesh: the directory, a ping of every node (the replies prove
// the nodes reach this requester and authorize its key; their clocks give the skew), and which
// connections are direct and which go through a relay.
import type { Command } from 'commander'
import { addRequesterOptions, type RequesterFlags } from '../requester-options.js'
import { EXIT_FAILED, EXIT_OK } from '../errors.js'
import type { Check } from '../doctor/checks.js'
import { safeText } from '../escape.js'

/** Clocks further apart than this make requests look expired or from the future (wire/limits.ts CLOCK_SKEW_MS). */
const SKEW_FAIL_MS = 30_000
const SKEW_WARN_MS = 5_000

export function registerDoctor (program: Command, run: (action: () => Promise<number>) => Promise<void>): void {
  addRequesterOptions(program.command('doctor'), {})
    .description('check a client config end to end (files, keys, the bootstrap, the nodes, clocks, connections) and say what to fix')
    .addHelpText('after', '\nExamples:\n  troupe doctor\n  troupe doctor --config /etc/troupe/client.yaml --json')
    .action(async (flags: RequesterFlags) => {
      await run(async () => {
        const checks: Check[] = []
        const report = (check: Check): void => {
          checks.push(check)
          if (flags.json !== true) process.stdout.write(`${check.verdict.toUpperCase().padEnd(4)}  ${check.what}\n${check.fix !== undefined ? `      fix: ${check.fix}\n` : ''}`)
        }
        await diagnose(flags, report)
        if (flags.json === true) process.stdout.write(JSON.stringify({ checks }) + '\n')
        else {
          const failed = checks.filter(check => check.verdict === 'fail').length
          const warned = checks.filter(check => check.verdict === 'warn').length
          process.stdout.write(`\n${failed === 0 && warned === 0 ? 'All checks passed.' : `${failed} problem${failed === 1 ? '' : 's'}, ${warned} warning${warned === 1 ? '' : 's'}.`}\n`)
        }
        return checks.some(check => check.verdict === 'fail') ? EXIT_FAILED : EXIT_OK
      })
    })
}

async function diagnose (flags: RequesterFlags, report: (check: Check) => void): Promise<void> {
  const { locateClientConfig } = await import('../../config/locate.js')
  const { loadConfig } = await import('../../config/load.js')
  const checks = await import('../doctor/checks.js')
  let path: string
  let config
  try {
    path = locateClientConfig(flags.config)
    config = loadConfig(path, 'client')
  } catch (err) {
    report({ verdict: 'fail', what: (err as Error).message, fix: 'docs/configuration.md lists the keys of a client config' })
    return
  }
  report({ verdict: 'ok', what: `config ${config.file}: valid for a client (collective ${config.collective})` })

  const { defaultCallerKeyPath } = await import('../client-context.js')
  const keyChecks = await checks.callerKey(config.caller_key ?? defaultCallerKeyPath())
  for (const check of keyChecks) report(check)
  report(checks.privateFile('peer key', checks.peerKeyPath(config), { missingOk: 'created on first start, mode 600' }))
  if (config.swarm_key !== undefined) report(checks.privateFile('swarm key', config.swarm_key))
  const { requesterSocketPath, socketHygiene } = await import('../../requester/agent-paths.js')
  const unsafe = socketHygiene(requesterSocketPath(config))
  report(unsafe === undefined ? { verdict: 'ok', what: `requester socket ${requesterSocketPath(config)}: in a directory of yours that no one else can write to` } : { verdict: 'fail', what: unsafe, fix: 'set requester_socket to a path in a private directory, or leave it out' })
  if (config.ca === undefined) {
    report({ verdict: 'warn', what: 'no `ca` configured: lab mode, node identities are not verified against a certificate authority', fix: 'set ca (on Puppet Enterprise: /etc/puppetlabs/puppet/ssl/certs/ca.pem; else troupe ca init); see docs/security.md' })
  } else {
    try {
      const { EnrollmentVerifier } = await import('../../security/enrollment.js')
      const anchors = EnrollmentVerifier.fromFile(config.ca).anchors
      report({ verdict: 'ok', what: `ca ${config.ca}: a certificate authority (${anchors.map(anchor => anchor.subject).join('; ')})` })
    } catch (err) {
      report({ verdict: 'fail', what: `ca ${config.ca}: ${(err as Error).message}`, fix: 'point ca at the fleet CA\'s PEM certificate (on PE: /etc/puppetlabs/puppet/ssl/certs/ca.pem)' })
    }
  }
  for (const check of await checks.bootstrapPeers(config)) report(check)
  if (keyChecks.some(check => check.verdict === 'fail') || unsafe !== undefined) {
    report({ verdict: 'skip', what: 'the mesh checks: fix the problems above first' })
    return
  }
  await meshChecks(flags, report)
}

async function meshChecks (flags: RequesterFlags, report: (check: Check) => void): Promise<void> {
  const { openClient } = await import('../client-context.js')
  let client
  try {
    client = await openClient(flags.config, true, flags.collective)
  } catch (err) {
    report({ verdict: 'fail', what: (err as Error).message, fix: 'see the bootstrap checks above; `TROUPE_DEBUG=1 troupe ping` for the details' })
    return
  }
  try {
    report({ verdict: 'ok', what: `mesh reached: the directory holds ${client.view.size} node${client.view.size === 1 ? '' : 's'} (requester peer ${client.view.peer})` })
    // What the requester agent noticed: peers that refused to admit it, identities claimed twice.
    const refusedBy = client.view.warnings.filter(warning => warning.includes('refused this requester'))
    const claimedTwice = client.view.warnings.filter(warning => warning.startsWith('identity '))
    for (const warning of refusedBy) report({ verdict: 'fail', what: safeText(warning), fix: 'add your caller key\'s .pub line to authorized_keys there (a bootstrap or node refuses requesters whose key it does not list); check ca and collective match' })
    for (const warning of claimedTwice) report({ verdict: 'fail', what: safeText(warning), fix: 'find the second host using that identity\'s certificate and stop it, or wait for a restarted node\'s old claim to expire' })
    if (client.config.ca !== undefined && claimedTwice.length === 0) report({ verdict: 'ok', what: 'enrollment: every node in the directory is vouched for by the ca; no identity claimed twice' })
    if (client.view.addrs.length > 0 && client.view.addrs.every(addr => /\/ip4\/127\.|\/ip6\/::1\//.test(addr)) && client.config.bootstrap.some(addr => !/\/ip4\/127\.|\/ip6\/::1\//.test(addr))) {
      report({ verdict: 'warn', what: `the requester listens on loopback only (${client.view.addrs.join(' ')}) while the fleet is elsewhere`, fix: 'set listen to an address the nodes can reach, e.g. /ip4/0.0.0.0/tcp/0' })
    }
    const { emptyFilter } = await import('../../discovery/filter/index.js')
    const nodes = await client.link.select(emptyFilter())
    const live = nodes.filter(node => node.gone !== true)
    const gone = nodes.filter(node => node.gone === true)
    if (gone.length > 0) report({ verdict: 'warn', what: `past expiry (not announcing themselves): ${gone.map(node => safeText(node.identity)).join(' ')}`, fix: 'bring them back, or `troupe directory purge NODE` for a host gone for good' })
    if (live.length === 0) {
      report({ verdict: 'warn', what: 'no live node in the directory', fix: 'start troupe daemon on the nodes, with `bootstrap:` the same as here' })
      return
    }
    const { runRequest } = await import('../../requester/session.js')
    const skews = new Map<string, number>()
    const result = await runRequest(client.link, client.key, {
      collective: client.config.collective, agent: 'rpcutil', action: 'ping', args: {}, filter: emptyFilter(), discovery: 'directory', timeoutMs: 10_000, ttlSeconds: 60
    }, {
      onReply: reply => {
        // The node's clock when it answered against ours halfway through the round trip.
        if (reply.status === 0 && typeof reply.data.pong === 'number') skews.set(reply.identity, reply.data.pong - (Date.now() - reply.ms / 2))
      }
    })
    const refused = result.replies.filter(reply => reply.status !== 0)
    const answered = result.replies.length
    if (answered === 0 && refusedBy.length === 0) {
      report({ verdict: 'fail', what: `none of the ${live.length} live nodes replied: they cannot reach this requester (replies come straight back to ${client.view.addrs.join(' ')})`, fix: 'let the nodes connect to the requester (listen address, firewall), or run it where they can' })
    } else {
      report({ verdict: 'ok', what: `${answered} of ${live.length} live nodes replied to a ping: they reach this requester` })
    }
    const unauthorized = refused.filter(reply => /is not in authorized_keys/.test(reply.statusmsg))
    if (unauthorized.length > 0) report({ verdict: 'fail', what: `your caller key is not authorized on ${unauthorized.map(reply => safeText(reply.identity)).join(' ')}`, fix: 'append your caller key\'s .pub line to authorized_keys on those nodes (and the bootstrap)' })
    // A policy that refuses rpcutil ping is the operator's choice: said, not failed.
    for (const reply of refused.filter(reply => /^not authorized: .* may not run/.test(reply.statusmsg))) {
      report({ verdict: 'warn', what: `${safeText(reply.identity)} refused the ping: ${safeText(reply.statusmsg)}`, fix: 'if you should reach that node, see the policy file named' })
    }
    const otherFailures = refused.filter(reply => !/not authorized/.test(reply.statusmsg))
    if (otherFailures.length > 0) report({ verdict: 'fail', what: `ping failed on ${otherFailures.map(reply => `${safeText(reply.identity)} (${safeText(reply.statusmsg)})`).join(', ')}`, fix: 'see those nodes\' daemon logs' })
    const silent = result.missing.filter(identity => !gone.some(node => node.identity === identity))
    if (silent.length > 0 && answered > 0) report({ verdict: 'warn', what: `no reply from ${silent.map(safeText).join(' ')}`, fix: 'are their daemons running? can they connect to this requester?' })
    if (skews.size > 0) {
      const [worstNode, worst] = [...skews].sort((a, b) => Math.abs(b[1]) - Math.abs(a[1]))[0] ?? ['', 0]
      const text = `clock skew against the nodes: at most ${(Math.abs(worst) / 1000).toFixed(1)} s (${safeText(worstNode)})`
      report(Math.abs(worst) > SKEW_FAIL_MS
        ? { verdict: 'fail', what: text, fix: 'requests are refused as expired or from the future beyond 30 s: run NTP (chrony, systemd-timesyncd) here and on the nodes' }
        : Math.abs(worst) > SKEW_WARN_MS ? { verdict: 'warn', what: text, fix: 'run NTP here and on the nodes; beyond 30 s requests are refused' } : { verdict: 'ok', what: text })
    }
    const connections = await client.link.connections()
    const byPeer = new Map(connections.map(connection => [connection.peer, connection]))
    const direct = live.filter(node => byPeer.get(node.peer)?.relayed === false).length
    const relayed = live.filter(node => byPeer.get(node.peer)?.relayed === true)
    const none = live.filter(node => !byPeer.has(node.peer))
    report({ verdict: 'ok', what: `connections to the nodes: ${direct} direct, ${relayed.length} relayed${relayed.length > 0 ? ` (${relayed.map(node => safeText(node.identity)).join(' ')})` : ''}, ${none.length} not connected${none.length > 0 ? ` (${none.map(node => safeText(node.identity)).join(' ')})` : ''}` })
  } finally {
    await client.link.close()
  }
}
