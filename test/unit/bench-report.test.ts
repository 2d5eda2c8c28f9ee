// The benchmark page tells the truth about its run: the committed page is exactly what the
// committed results JSON gives (npm run bench:report rebuilds it byte for byte), every section
// names the run, failed and partial measurements show as such, and derived figures say so.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { markdown, runLine, DEFAULT_ANNOUNCE_INTERVAL, type BenchReport } from '../../bench/report.js'
import { commandResult } from '../../bench/measure.js'
import type { ScaleResult } from '../../bench/scale/fleet.js'
import type { TroupeResult } from '../../bench/troupe-fleet.js'
import { beatIntervalFor } from '../../src/discovery/membership.js'
import { MISSED_INTERVALS_BEFORE_EXPIRY } from '../../src/discovery/directory.js'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..')

const run: BenchReport['run'] = {
  commit: '0123456789abcdef0123456789abcdef01234567',
  dirty: false,
  started: '2026-11-26T05:00:00.000Z',
  finished: '2026-11-26T05:10:00.000Z',
  machine: { cpus: 2, cpu_model: 'Test CPU', memory_gib: 24, node: 'v20.0.0', os: 'Linux 6' },
  settings: { parts: ['troupe', 'scale'], nodes: [10], scale: [100, 250], runs: 3, idle_seconds: 5, scale_announce_interval: 600 }
}

function troupe (): TroupeResult {
  return {
    system: 'troupe',
    nodes: 10,
    security: 'every request signed',
    commands: [
      commandResult('ping', 'troupe ping', 10, [{ ms: 200, code: 0, replies: 10, last_reply_ms: 30 }, { ms: 100, code: 0, replies: 10, last_reply_ms: 20 }, { ms: 5000, code: 1, replies: 7, last_reply_ms: 40 }]),
      commandResult('rpc ping', 'troupe rpc rpcutil ping', 10, [{ ms: 5000, code: 1, replies: 0 }, { ms: 5000, code: 1, replies: 0 }, { ms: 5000, code: null, replies: 0 }])
    ],
    daemon_rss_mib: 80,
    daemon_idle_cpu_percent: 0.5,
    daemon_cpu_ms_per_request: null,
    infrastructure_rss_mib: 90,
    first_call: { ms: 1234, code: 0, replies: 10, last_reply_ms: 400 },
    publish_to_last_reply_ms: 25
  }
}

function scaleRow (nodes: number, cpu: number | null, pingReplies: number[]): ScaleResult {
  const pings = pingReplies.map(replies => ({ expected: nodes, replies, reach_all_ms: replies > 0 ? 100 + replies : null, first_reply_ms: replies > 0 ? 10 : null, last_reply_ms: replies > 0 ? 200 + replies : null }))
  const complete = pings.filter(ping => ping.replies === nodes)
  return {
    nodes,
    workers: Math.ceil(nodes / 125),
    daemons_per_worker: 125,
    join_seconds: 10,
    pings,
    complete_pings: complete.length,
    reach_all_ms: complete.length > 0 ? 100 + nodes : null,
    first_reply_ms: complete.length > 0 ? 10 : null,
    last_reply_ms: complete.length > 0 ? 200 + nodes : null,
    replies_min: Math.min(...pingReplies),
    gossip_in_per_request: 1,
    gossip_out_per_request: 0,
    idle_gossip_per_second: 0.25,
    idle_cpu_ms_per_second: 1,
    cpu_ms_per_request: cpu,
    requester_cpu_us_per_node: 800,
    worker_rss_mib: [700, 900, 800],
    beat_interval_s: 600
  }
}

function report (): BenchReport {
  return { run, bare_node_start_ms: 40, systems: [troupe()], scale: [scaleRow(100, null, [100, 0, 100]), scaleRow(250, 3, [250, 250, 249])], skipped: [] }
}

describe('benchmark report', () => {
  it('the committed docs/performance.md is exactly what the committed bench/results/latest.json gives', () => {
    const results = JSON.parse(readFileSync(join(root, 'bench', 'results', 'latest.json'), 'utf8')) as BenchReport
    assert.equal(markdown(results), readFileSync(join(root, 'docs', 'performance.md'), 'utf8'))
  })

  it('every section names the run: commit, time, machine', () => {
    const page = markdown(report())
    const sections = page.split(/^## /m).slice(1)
    assert.deepEqual(sections.map(section => section.split('\n')[0]), ['Whole commands, side by side', 'Memory and CPU per daemon', 'Scale'])
    for (const section of sections) assert.ok(section.includes(runLine(run)), section.split('\n')[0])
    assert.match(runLine(run), /commit `0123456789ab`, 2026-11-26 05:00:00Z to 2026-11-26 05:10:00Z, 2 × Test CPU, 24 GiB, Linux 6, Node v20\.0\.0; 3 runs/)
    assert.match(runLine({ ...run, dirty: true }), /with uncommitted changes/)
  })

  it('a failed or partial run is never a sample: medians over complete runs, counts and exits shown', () => {
    const [ping, rpc] = troupe().commands
    assert.equal(ping?.wall_ms, 150, 'the partial 5 s run is not in the median')
    assert.deepEqual([ping?.complete, ping?.partial, ping?.failed, ping?.exit_codes], [2, 1, 0, [1]])
    assert.equal(ping?.last_reply_ms, 25)
    assert.deepEqual([rpc?.wall_ms, rpc?.complete, rpc?.failed, rpc?.exit_codes], [null, 0, 3, [-1, 1]])
    const page = markdown(report())
    assert.match(page, /\| 10 \| troupe \| `troupe ping` \| 150 ms \| 1× \| 2\/3 complete, 1 partial, exit 1 in 1 \| 7\/10 \| 25 ms \|/)
    assert.match(page, /\| 10 \| troupe \| `troupe rpc rpcutil ping` \| \*\*failed\*\* \(no complete run\) \| {2}\| 0\/3 complete, 3 failed, exit -1, 1 in 3 \| 0\/10 \|/)
  })

  it('a ping with no replies is a failed ping, not the fastest; a negative CPU difference is n/a and feeds no estimate', () => {
    const page = markdown(report())
    assert.match(page, /\| 100 \| 2\/3 \| 200 ms \| 300 ms \| 0\/100 \|/)
    assert.match(page, /Pings that did not get every reply: 100 nodes: 0 of 100 replied; 250 nodes: 249 of 250 replied\./)
    assert.match(page, /\| 100 \| .* \| n\/a \| 800 µs \|/)
    assert.match(page, /\| 10 \| troupe \| 80 MiB \| 0\.5 % \| n\/a \| 90 MiB \|/)
    // A run that recorded how many commands the CPU per request was taken over says so in the cell.
    const counted = report()
    counted.systems = counted.systems.map(system => ({ ...system, daemon_cpu_ms_per_request: 1.5, daemon_cpu_runs: 30 }))
    assert.match(markdown(counted), /\| 10 \| troupe \| 80 MiB \| 0\.5 % \| 1\.5 ms \(30 runs\) \| 90 MiB \|/)
    // The estimate's CPU per request is the median of the measured rows only (3 ms), not of [0, 3].
    assert.match(page, /\| 10,000 \| [\d.]+ s \| 3 ms \|/)
    const allNa = report()
    allNa.scale = allNa.scale.map(row => ({ ...row, cpu_ms_per_request: null }))
    assert.match(markdown(allNa), /\| 10,000 \| [\d.]+ s \| n\/a \|/)
  })

  it('figures from constants are labelled derived and come from the code: beat interval and expiry', () => {
    const page = markdown(report())
    const interval = beatIntervalFor(10_000, DEFAULT_ANNOUNCE_INTERVAL)
    assert.equal(DEFAULT_ANNOUNCE_INTERVAL, 30)
    assert.ok(page.includes(`| ${Math.round(interval / 60)} min (derived) | ${Math.round(interval * MISSED_INTERVALS_BEFORE_EXPIRY / 360) / 10} h (derived) |`), page)
    assert.match(page, /\| 0\.029 \(derived\) \|/, 'membership msgs/s: its own beat every 600 s + 100 nodes registering every 3600 s x 1 copy')
    assert.match(page, /\| 0\.25 \| /, 'the measured idle gossip rate is shown')
  })

  it('says what it measured: worker RSS for what it is, MCollective without signatures, the cold first call', () => {
    const page = markdown(report())
    assert.match(page, /\| 800 MiB \/ 100 \|/)
    assert.match(page, /not a daemon's RSS/)
    assert.match(page, /benchmark MCollective runs with the psk security provider \(no signatures\); troupe signs every\s+request/)
    assert.match(page, /### First call of a cold requester agent/)
    assert.match(page, /\| 10 \| 1\.23 s, 10\/10 replies \| 400 ms \| 150 ms \|/)
  })

  it('a part left out of the run says so in its section; a part whose every size failed says why', () => {
    const page = markdown({ ...report(), run: { ...run, settings: { ...run.settings, parts: ['troupe'] } }, scale: [] })
    assert.match(page.split('## Scale')[1] ?? '', /Not measured in this run: `BENCH_PARTS=troupe` left out `scale`\./)
    const failed = markdown({ ...report(), scale: [], skipped: ['scale at 100 daemons: timed out'] })
    assert.match(failed.split('## Scale')[1] ?? '', /No fleet size was measured in this run: scale at 100 daemons: timed out\./)
  })

  it('a fleet size that failed keeps its row in the scale table, in order, marked failed with the reason', () => {
    const page = markdown({ ...report(), skipped: ['scale at 1000 daemons: the directory held 873 of 1000', 'scale at 150 daemons: timed out'] })
    const rows = (page.split('## Scale')[1]?.split('### What')[0] ?? '').split('\n').filter(line => /^\| \d/.test(line)).map(line => line.split(' | ')[0]?.slice(2))
    assert.deepEqual(rows, ['100', '150', '250', '1000'])
    assert.match(page, /^\| 1000 \| \*\*FAILED\*\* \|.*\*\*failed\*\*: the directory held 873 of 1000 \|$/m)
  })

  it('the requester\'s own cost (issue 16): the CLI\'s start, the whole ping against mco --nodes FILE, the agent per reply', () => {
    const withAgent = report()
    const system = withAgent.systems[0] as TroupeResult
    system.requester_agent = {
      nodes: 10,
      batches: [{ requests: 20, replies: 200, replies_min: 10, agent_cpu_ms: 100, agent_writes: 300, node_writes: [90, 100], last_reply_ms: 12 }],
      agent_idle_cpu_percent: 0.3,
      agent_cpu_ms_per_request: 5,
      agent_cpu_ms_per_reply: 0.5,
      agent_replies_per_core_second: 2000,
      agent_writes_per_request: 15,
      node_writes_per_request: 4.8
    }
    withAgent.systems.push({ system: 'MCollective 2.12 + ActiveMQ', nodes: 10, security: 'psk', commands: [commandResult('rpc ping, no discovery (--nodes FILE)', 'mco rpc rpcutil ping --nodes FILE', 10, [{ ms: 450, code: 0, replies: 10 }])], daemon_rss_mib: 24, daemon_idle_cpu_percent: 0.05, daemon_cpu_ms_per_request: 3 })
    withAgent.cli_start = { pairs: [{ node_ms: 50, troupe_ms: 60, node_cpu_ms: 40, troupe_cpu_ms: 44 }], node_ms: 50, troupe_ms: 60, node_cpu_ms: 40, troupe_cpu_ms: 44, wall_ratio: 1.2, cpu_ratio: 1.1 }
    const page = markdown(withAgent)
    const section = page.split('## The requester\'s own cost')[1]?.split('## Scale')[0] ?? ''
    assert.ok(section.includes(runLine(run)))
    assert.match(section, /\| `troupe --version` \| 60 ms \| 44 ms \|\n\| ratio \| 1\.2× \| 1\.1× \|/)
    assert.match(section, /\| 10 \| 150 ms \| 450 ms \| 3× \|/)
    assert.match(section, /\| 10 \| 20 \| 10\/10 \| 5 ms \| 0\.5 ms \| 2,000 \| 15 \| 4\.8 \|/)
    assert.equal(markdown(report()).includes('The requester\'s own cost'), false, 'a run without these parts has no such section')
  })

  it('a machine that sets NODE_EXTRA_CA_CERTS: --version and the whole ping are also shown without it, against the same baselines', () => {
    const both = report()
    const system = both.systems[0] as TroupeResult
    system.commands.push(commandResult('ping, NODE_EXTRA_CA_CERTS unset', 'env -u NODE_EXTRA_CA_CERTS troupe ping', 10, [{ ms: 90, code: 0, replies: 10, last_reply_ms: 20 }]))
    both.systems.push({ system: 'MCollective 2.12 + ActiveMQ', nodes: 10, security: 'psk', commands: [commandResult('rpc ping, no discovery (--nodes FILE)', 'mco rpc rpcutil ping --nodes FILE', 10, [{ ms: 450, code: 0, replies: 10 }])], daemon_rss_mib: 24, daemon_idle_cpu_percent: 0.05, daemon_cpu_ms_per_request: 3 })
    const start = { pairs: [{ node_ms: 50, troupe_ms: 60, node_cpu_ms: 40, troupe_cpu_ms: 44 }], node_ms: 50, troupe_ms: 60, node_cpu_ms: 40, troupe_cpu_ms: 44, wall_ratio: 1.2, cpu_ratio: 1.1 }
    both.cli_start = { ...start, without_extra_ca_certs: { file: '/etc/ssl/certs/ca-certificates.crt', node_ms: 20, troupe_ms: 30, wall_ratio: 1.5 } }
    const section = markdown(both).split('## The requester\'s own cost')[1]?.split('## Scale')[0] ?? ''
    assert.match(section, /sets `NODE_EXTRA_CA_CERTS=\/etc\/ssl\/certs\/ca-certificates\.crt`/)
    assert.match(section, /\| `node -e 0` \| 20 ms \|\n\| `troupe --version` \| 30 ms \|\n\| ratio \| 1\.5× \|/)
    assert.match(section, /\| 10 \| 150 ms \| 450 ms \| 3× \| 90 ms \| 5× \|/)
    // A run that did not measure them (no NODE_EXTRA_CA_CERTS, or an older run) shows neither.
    const older = report()
    older.systems.push(both.systems[1] as (typeof both.systems)[number])
    older.cli_start = start
    const olderSection = markdown(older).split('## The requester\'s own cost')[1] ?? ''
    assert.equal(olderSection.includes('NODE_EXTRA_CA_CERTS'), false)
    assert.match(olderSection, /\| 10 \| 150 ms \| 450 ms \| 3× \|\n/)
  })

  it('the libp2p floor stands beside troupe\'s own figures at its size; a floor with replies missing is partial; an older run says it has none', () => {
    const withFloor = report()
    const system = withFloor.systems[0] as TroupeResult
    system.daemon_cpu_ms_per_request = 1.8
    system.requester_agent = { nodes: 10, batches: [], agent_idle_cpu_percent: 0, agent_cpu_ms_per_request: 5, agent_cpu_ms_per_reply: 0.5, agent_replies_per_core_second: 2000, agent_writes_per_request: 15, node_writes_per_request: 4 }
    withFloor.floor = [{ nodes: 10, requests: 300, replies: 2999, expected_replies: 3000, node_rss_mib: 68.5, node_private_mib: 24.5, node_idle_cpu_percent: 0.05, node_cpu_ms_per_request: 1.2, requester_cpu_ms_per_reply: 0.3 }]
    const page = markdown(withFloor)
    const section = page.split('### The libp2p floor')[1]?.split('## ')[0] ?? ''
    // An older run's agent measured no node CPU: its back-to-back column says so.
    assert.match(section, /\| 10 \| 2999\/3000 \(\*\*partial\*\*\) \| 68\.5 MiB \(24\.5 private\) \| 80 MiB \| 0\.05 % \| 1\.2 ms \| 1\.8 ms \| not measured \| 0\.3 ms \| 0\.5 ms \|/)
    const backToBack = (figure: number | null): string => {
      system.requester_agent = { ...system.requester_agent!, node_cpu_ms_per_request: figure }
      return markdown(withFloor).split('### The libp2p floor')[1]?.split('## ')[0] ?? ''
    }
    assert.match(backToBack(1.5), /\| 1\.2 ms \| 1\.8 ms \| 1\.5 ms \| 0\.3 ms \|/)
    assert.match(backToBack(null), /\| 1\.2 ms \| 1\.8 ms \| n\/a \| 0\.3 ms \|/)
    // How its requests travelled: an older floor published them by gossip, a newer one sends each node a frame.
    assert.match(section, /one flood-published gossipsub message of 600 bytes in/)
    const streamed = markdown({ ...withFloor, floor: withFloor.floor.map(floor => ({ ...floor, request_path: 'stream' as const })) })
    assert.match(streamed, /one 600-byte frame in on the requester's long-lived stream to the node/)
    assert.match(markdown(report()), /### The libp2p floor\n\nNot measured in this run \(its results have no `floor`\)\./)
    assert.match(markdown({ ...report(), floor: [] }), /### The libp2p floor\n\nNot measured in this run: `BENCH_PARTS=troupe,scale` left out `floor`\./)
  })

  it('a ping some nodes missed names them, says how many were not connected, and when it was sent', () => {
    const withSilent = report()
    const row = withSilent.scale[1]
    const last = row?.pings[2]
    assert.ok(row !== undefined && last !== undefined)
    row.pings[2] = { ...last, replies: 247, silent: { identities: ['node0007', 'node0130'], unconnected: 1, sent_at: '2026-11-27T21:35:08.287Z' } }
    assert.match(markdown(withSilent), /250 nodes: 247 of 250 replied \(silent: node0007, node0130, …; 1 of the 3 not connected when it was sent at 2026-11-27T21:35:08\.287Z\)\./)
    // Older runs recorded no names: the line is as it was.
    assert.match(markdown(report()), /250 nodes: 249 of 250 replied\./)
  })

  it('a ping some nodes missed says which worker processes hosted them and how long those stalled; each size gives its workers\' longest stall', () => {
    const withStalls = report()
    const row = withStalls.scale[1]
    const last = row?.pings[2]
    assert.ok(row !== undefined && last !== undefined)
    for (const ping of row.pings) ping.worker_loop_max_ms = [40, 60]
    row.pings[2] = { ...last, replies: 247, silent: { identities: ['node0007', 'node0130'], unconnected: 0, sent_at: '2026-11-27T21:35:08.287Z', per_worker: [0, 3] }, worker_loop_max_ms: [900, 12_345] }
    const page = markdown(withStalls)
    assert.match(page, /0 of the 3 not connected when it was sent at 2026-11-27T21:35:08\.287Z; hosted by worker process 2 \(3\), whose event loop stalled up to 12\.35 s during the ping \(the other workers' up to 900 ms\)\)\./)
    assert.match(page, /A worker process's longest event-loop stall during a ping \(the most any worker stalled, median over the pings\): 250 nodes 60 ms \(longest 12\.35 s\)\./)
    // Runs before the workers recorded their stalls: neither is said.
    assert.doesNotMatch(markdown(report()), /stall/)
  })

  it('copies of a request per node: gossip and direct apart when the run counted direct ones; an older run\'s column as it was', () => {
    const withDirect = report()
    const row = withDirect.scale[1]
    assert.ok(row !== undefined)
    withDirect.scale[1] = { ...row, gossip_in_per_request: 0, gossip_out_per_request: 0, direct_in_per_request: 1 }
    const page = markdown(withDirect)
    assert.match(page, /\| 250 \| [^\n]*\| 0 \+ 1 direct \/ 0 \|/)
    // The derived membership rate still counts the one copy each node handles.
    assert.match(page, /\| 250 \| [^\n]*\| 0\.071 \(derived\) \|/)
    assert.match(markdown(report()), /\| 250 \| [^\n]*\| 1 \/ 0 \|/)
  })
})
