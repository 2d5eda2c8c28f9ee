// Turns one benchmark run (bench/results/latest.json) into docs/performance.md and the chart
// docs/performance.png. Everything on the page is generated from that run's JSON: each section
// names the run (commit, time, machine), a failed or partial measurement is shown as such, and
// figures derived from the code's constants (not measured) say so and import those constants.
// `npm run bench:report` rebuilds the page from the committed JSON byte for byte
// (test/unit/bench-report.test.ts checks that the committed page is what the JSON gives).
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { CommandResult, RunOutcome, SystemResult } from './anchors/types.js'
import type { PingOutcome, ScaleResult } from './scale/fleet.js'
import type { TroupeResult } from './troupe-fleet.js'
import type { RelayCapacityResult } from './relay-capacity.js'
import type { SoakResult } from './hostile/soak.js'
import type { CliStartResult } from './cli-start.js'
import type { FloorResult } from './floor/fleet.js'
import { round, median, PING_WITHOUT_EXTRA_CA_CERTS } from './measure.js'
import { beatIntervalFor, FLEET_BEATS_PER_SECOND, FLEET_REGISTRATIONS_PER_SECOND, registrationRefreshFor } from '../src/discovery/membership.js'
import { MISSED_INTERVALS_BEFORE_EXPIRY } from '../src/discovery/directory.js'
import { configSchema } from '../src/config/schema.js'

/** Where a run came from: the code, the time, the machine, the settings. */
export interface RunInfo {
  commit: string
  /** uncommitted changes to tracked files when the run started: the commit alone does not describe the code */
  dirty: boolean
  started: string
  finished: string
  machine: { cpus: number, cpu_model: string, memory_gib: number, node: string, os: string }
  settings: { parts: string[], nodes: number[], scale: number[], runs: number, idle_seconds: number, scale_announce_interval: number }
}

export interface BenchReport {
  run: RunInfo
  bare_node_start_ms: number
  /** `troupe --version` against `node -e 0` (bench part `cli`) */
  cli_start?: CliStartResult
  systems: Array<SystemResult | TroupeResult>
  /** libp2p's own cost without troupe's code, at the side-by-side sizes (bench part `floor`; absent in older runs) */
  floor?: FloorResult[]
  scale: ScaleResult[]
  /** one bootstrap relaying for N peers that cannot be dialled (bench part `relay`) */
  relay?: RelayCapacityResult[]
  /** a fleet under every kind of junk peers can send (bench part `hostile`) */
  hostile?: SoakResult[]
  /** parts or sizes that could not be measured, with the reason */
  skipped: string[]
}

/** The announce interval a daemon gets when its config does not set one (the code's own default). */
export const DEFAULT_ANNOUNCE_INTERVAL: number = configSchema.shape.announce_interval.parse(undefined)

export async function writeReport (report: BenchReport, docsDir: string): Promise<void> {
  writeFileSync(join(docsDir, 'performance.md'), markdown(report))
  writeFileSync(join(docsDir, 'performance.png'), await chart(report))
}

function table (header: string[], rows: Array<Array<string | number>>): string {
  return [`| ${header.join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`, ...rows.map(row => `| ${row.join(' | ')} |`)].join('\n')
}

const ms = (value: number | null | undefined): string => value === undefined || value === null ? '' : value >= 1000 ? `${round(value / 1000, 2)} s` : `${round(value, 0)} ms`
/** A figure that could not be measured (e.g. a negative busy-less-idle CPU difference). */
const orNa = (value: number | null, unit: string): string => value === null ? 'n/a' : `${value} ${unit}`

/** The line under every section: which run its figures come from. */
export function runLine (run: RunInfo): string {
  const m = run.machine
  return `_Run: commit \`${run.commit.slice(0, 12)}\`${run.dirty ? ' with uncommitted changes' : ''}, ${run.started.replace('T', ' ').replace(/\.\d+Z$/, 'Z')} to ${run.finished.replace('T', ' ').replace(/\.\d+Z$/, 'Z')}, ` +
    `${m.cpus} × ${m.cpu_model}, ${m.memory_gib} GiB, ${m.os}, Node ${m.node}; ${run.settings.runs} runs of each command._`
}

/** How the runs of a command went: all complete, or how many were partial or failed. */
function runsText (command: CommandResult): string {
  const total = command.runs.length
  const parts = [`${command.complete}/${total} complete`]
  if (command.partial > 0) parts.push(`${command.partial} partial`)
  if (command.failed > 0) parts.push(`${command.failed} failed`)
  if (command.exit_codes.length > 0) parts.push(`exit ${command.exit_codes.join(', ')} in ${command.runs.filter(run => run.code !== 0).length}`)
  return parts.join(', ')
}

const wallText = (command: CommandResult): string => command.wall_ms === null ? '**failed** (no complete run)' : ms(command.wall_ms)

/** troupe ping's wall time at this node count: the yardstick for every ratio. */
function yardstick (report: BenchReport, nodes: number): number | null {
  return report.systems.find(s => s.system === 'troupe' && s.nodes === nodes)?.commands.find(c => c.name === 'ping')?.wall_ms ?? null
}

/** Least squares y = a + b·x. */
function fit (points: Array<[number, number]>): { a: number, b: number } {
  const n = points.length
  const mx = points.reduce((s, [x]) => s + x, 0) / n
  const my = points.reduce((s, [, y]) => s + y, 0) / n
  const sxx = points.reduce((s, [x]) => s + (x - mx) ** 2, 0)
  const b = sxx === 0 ? 0 : points.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0) / sxx
  return { a: my - b * mx, b }
}

function notMeasured (report: BenchReport, part: string): string {
  return `Not measured in this run: \`BENCH_PARTS=${report.run.settings.parts.join(',')}\` left out \`${part}\`.`
}

const isTroupe = (system: SystemResult | TroupeResult): system is TroupeResult => 'first_call' in system

function runText (run: RunOutcome, expected: number): string {
  const complete = run.code === 0 && run.replies >= expected
  return `${ms(run.ms)}, ${run.replies}/${expected} replies${run.code !== 0 ? `, exit ${run.code ?? 'signal'}` : ''}${complete ? '' : run.replies === 0 ? ' (**failed**)' : ' (**partial**)'}`
}

/** troupe's fleets as the side-by-side part starts them: every daemon at once. */
function joinText (report: BenchReport): string {
  const starts = report.systems.filter(isTroupe).flatMap(({ nodes, fleet_start: start }) => start !== undefined ? [{ nodes, start }] : [])
  if (starts.length === 0) return 'Joining: not measured in this run (its results have no `fleet_start`).'
  // Runs before the mesh keeper's first top-up waited (src/daemon/mesh-keeper.ts) have no settled figure.
  const settled = starts.some(({ start }) => start.daemon_settled_cpu_ms !== undefined)
  const header = ['nodes', 'started to all listed', 'CPU per daemon to join', ...(settled ? ['CPU per daemon, mesh peers dialled'] : [])]
  const rows = starts.map(({ nodes, start }) => [nodes, `${start.listed_s} s`, `${start.daemon_join_cpu_ms} ms`,
    ...(settled ? [start.daemon_settled_cpu_ms !== undefined ? `${start.daemon_settled_cpu_ms} ms (at ${start.settled_s ?? '?'} s)` : 'not measured'] : [])])
  return `Joining: troupe's bootstrap starts, then all the fleet's daemons at once, on this machine's two
cores; the time from the bootstrap's start until \`troupe find\` first lists every daemon, and each
daemon's CPU by then (median), which is what joining cost it.${settled
    ? ` Daemons dial their mesh peers (the
gossip paths that keep the mesh whole without the bootstrap) a while after they start, not during
the join (\`FIRST_TOP_UP_WINDOW_MS\` in src/daemon/mesh-keeper.ts): the last column is each
daemon's CPU (median) once all have, and the idle and per-request figures above are measured
after it.`
    : ''}

${table(header, rows)}`
}

export function markdown (report: BenchReport): string {
  const parts = new Set(report.run.settings.parts)
  const sizes = [...new Set(report.systems.map(s => s.nodes))].sort((a, b) => a - b)
  const commandRows = sizes.flatMap(nodes => report.systems.filter(s => s.nodes === nodes).flatMap(system => system.commands.map(command => {
    const base = yardstick(report, nodes)
    const ratio = base !== null && command.wall_ms !== null ? `${round(command.wall_ms / base, 1)}×` : ''
    return [nodes, system.system, `\`${command.command}\``, wallText(command), ratio, runsText(command), `${command.replies}/${command.expected}`, ms(command.last_reply_ms)]
  })))
  const resourceRows = sizes.flatMap(nodes => report.systems.filter(s => s.nodes === nodes).map(system => [
    nodes, system.system, `${system.daemon_rss_mib} MiB${system.daemon_private_mib !== undefined ? ` (${system.daemon_private_mib} private)` : ''}`, `${system.daemon_idle_cpu_percent} %`, `${orNa(system.daemon_cpu_ms_per_request, 'ms')}${system.daemon_cpu_runs !== undefined ? ` (${system.daemon_cpu_runs} runs)` : ''}`, system.infrastructure_rss_mib !== undefined ? `${system.infrastructure_rss_mib} MiB${system.infrastructure_cpu_ms_per_request !== undefined ? `, ${system.infrastructure_cpu_ms_per_request} ms/request` : ''}` : ''
  ]))
  const firstRows = report.systems.filter(isTroupe).map(system => [system.nodes, runText(system.first_call, system.nodes), ms(system.first_call.last_reply_ms), ms(system.commands.find(c => c.name === 'ping')?.wall_ms)])
  const security = [...new Map(report.systems.map(system => [system.system, system.security])).entries()].map(([name, how]) => `${name}: ${how}`)
  const sideBySide = parts.has('troupe') || parts.has('mcollective') || parts.has('serf')
  return `# Performance

Written by \`npm run bench\` (bench/run.ts) from one run, whose raw results are committed as
bench/results/latest.json; \`npm run bench:report\` rebuilds this page and its chart from that
file byte for byte. Each section names the run its figures come from. Tables give medians over
the complete runs of a command (exit 0, every expected reply); a partial or failed run is counted
and shown, never folded into a median.

${runLine(report.run)}

Settings: parts \`${report.run.settings.parts.join(',')}\`, side-by-side sizes ${report.run.settings.nodes.join(', ')}, scale sizes
${report.run.settings.scale.join(', ')}, idle windows ${report.run.settings.idle_seconds} s. A bare \`node -e 0\` starts in ${ms(report.bare_node_start_ms)} here.
All nodes of a fleet share this machine's cores, so these are the figures of a crowded fleet:
on real hosts each node has its own CPU, and per-node costs matter more than the sums.
${report.skipped.length > 0 ? `\nNot measured in this run: ${report.skipped.join('; ')}.\n` : ''}
![Whole-command times and the scale curve](performance.png)

## Whole commands, side by side

${runLine(report.run)}

${sideBySide ? `The wall time of the whole command, process start to exit, as an operator waits for it.
MCollective's \`mco ping\` and Serf's \`serf query\` cannot know how many nodes should answer,
so they wait out their timeout; \`mco rpc\` first runs a 2 s discovery; \`--nodes FILE\` skips
it. troupe knows the expected nodes from its directory and returns when the last has answered.
"Last reply" is when the last reply arrived, where the command shows it. "Runs" says how many
runs were complete; a command with no complete run is shown as failed.

How requests are authenticated, which the figures include: ${security.join('; ')}. In this
benchmark MCollective runs with the psk security provider (no signatures); troupe signs every
request and every node verifies the signature.

${table(['nodes', 'system', 'command', 'wall', 'ratio to troupe ping', 'runs', 'replies (fewest / expected)', 'last reply'], commandRows)}

### First call of a cold requester agent

The operator's first command on a fleet that was just started (\`troupe ping\`, no requester agent
running), as soon as \`troupe find\` lists every daemon: the daemons are still dialling their mesh
peers, so on this machine it competes with them for the two cores. It starts the agent, which
joins the mesh and learns the directory before sending. One run per size; the last column is the
same command once the agent runs on the settled fleet (the median above).

${table(['nodes', 'first call', 'publish to last reply', 'warm ping (median)'], firstRows)}` : notMeasured(report, 'troupe,mcollective,serf')}

## Memory and CPU per daemon

${runLine(report.run)}

${sideBySide ? `RSS of each node daemon (median), its CPU while the fleet is idle, and the CPU each request
costs each node (its CPU while the requests ran, less its idle CPU over the same time; "n/a"
when that difference came out negative, the idle window having been the busier one): for
troupe \`troupe ping\`, for MCollective \`mco rpc rpcutil ping --nodes FILE\`, for Serf
\`serf query ping\`, one command after another, over the number of runs shown (where the run
recorded it). The last column is the broker's (ActiveMQ) or the bootstrap's RSS. Beside a
daemon's RSS, where the run measured it, is its private memory (USS): RSS also counts the pages of
its program's binary and libraries (Node's, Ruby's, Serf's), which every process of that program on
a host shares.

${table(['nodes', 'system', 'daemon RSS', 'idle CPU', 'CPU per request', 'broker / bootstrap RSS'], resourceRows)}

${floorText(report)}

${joinText(report)}` : notMeasured(report, 'troupe,mcollective,serf')}

${requesterSection(report)}## Scale

${runLine(report.run)}

${parts.has('scale') ? scaleSection(report) : notMeasured(report, 'scale')}
${parts.has('relay') ? relaySection(report) : ''}${parts.has('hostile') ? hostileSection(report) : ''}`
}

/** libp2p's own cost beside troupe's, at each side-by-side size both were measured at. */
/** How the floor's requests reached its nodes: older runs published them with gossipsub. */
function floorRequestPath (floor: FloorResult[]): string {
  return floor[0]?.request_path === 'stream'
    ? 'one 600-byte frame in on the requester\'s long-lived stream to the node (as troupe sends a request the mesh need not relay; gossipsub runs and keeps a mesh, but carries no request)'
    : 'one flood-published gossipsub message of 600 bytes in'
}

function floorText (report: BenchReport): string {
  if (report.floor === undefined) return '### The libp2p floor\n\nNot measured in this run (its results have no `floor`).'
  if (report.floor.length === 0) return `### The libp2p floor\n\n${notMeasured(report, 'floor')}`
  const rows = report.floor.map(floor => {
    const troupe = report.systems.filter(isTroupe).find(system => system.nodes === floor.nodes)
    const agent = troupe?.requester_agent
    const complete = floor.replies >= floor.expected_replies
    return [
      floor.nodes, `${floor.replies}/${floor.expected_replies}${complete ? '' : ' (**partial**)'}`,
      `${floor.node_rss_mib} MiB${floor.node_private_mib !== undefined ? ` (${floor.node_private_mib} private)` : ''}`,
      troupe !== undefined ? `${troupe.daemon_rss_mib} MiB` : 'not measured',
      `${floor.node_idle_cpu_percent} %`,
      orNa(floor.node_cpu_ms_per_request, 'ms'), troupe !== undefined ? orNa(troupe.daemon_cpu_ms_per_request, 'ms') : 'not measured',
      agent?.node_cpu_ms_per_request !== undefined ? orNa(agent.node_cpu_ms_per_request, 'ms') : 'not measured',
      floor.requester_cpu_ms_per_reply !== null ? `${floor.requester_cpu_ms_per_reply} ms` : 'n/a', agent !== undefined ? `${agent.agent_cpu_ms_per_reply} ms` : 'not measured'
    ]
  })
  return `### The libp2p floor

What the stack troupe is built on costs without any of troupe's code (bench/floor/peer.ts):
libp2p with TCP, noise, yamux and gossipsub set as troupe sets them, each node a process holding
connections to the requester and up to six other nodes, bundled into one minified file and run
with a troupe daemon's V8 settings. Per request, the least a troupe request takes: ${floorRequestPath(report.floor)}, a 300-byte reply out on a long-lived stream, the
requester's acknowledgement back. No signature, gate, filter, policy, agent or audit log, no
admission or directory. ${report.floor[0]?.requests ?? 0} requests, measured as troupe's daemons are
(memory after them; CPU less idle CPU). troupe's figures are from the table above, and its
requester's per reply from "The warm requester agent" below (that one also serves the CLI's
socket: hello, selection, each reply relayed). A daemon's CPU per request is given twice: over
whole \`troupe ping\` commands (as MCollective's and Serf's are measured above: a Node.js process
starts on the same two cores for each one), and over the warm agent's requests, sent one after
another with no process starting between them, as the floor's are: the figure to hold against
the floor's.

${table(['nodes', 'replies', 'floor node RSS', 'troupe daemon RSS', 'floor idle CPU', 'floor CPU per request', 'troupe CPU per request (whole commands)', 'troupe CPU per request (back to back)', 'floor requester CPU per reply', 'troupe agent CPU per reply'], rows)}`
}

/** The CLI's start, the whole ping against MCollective's best case, the warm agent's cost (issue 16); empty for a run without them. */
function requesterSection (report: BenchReport): string {
  const agents = report.systems.filter(isTroupe).flatMap(system => system.requester_agent !== undefined ? [system.requester_agent] : [])
  if (report.cli_start === undefined && agents.length === 0) return ''
  const start = report.cli_start
  const startText = start === undefined
    ? notMeasured(report, 'cli')
    : `\`troupe --version\` against a bare \`node -e 0\`, ${start.pairs.length} runs of each, alternating (medians; CPU is user +
system of the process, from bash's \`times\`). Target: at most 1.3× node.

${table(['command', 'wall', 'CPU'], [
    ['`node -e 0`', ms(start.node_ms), ms(start.node_cpu_ms)],
    ['`troupe --version`', ms(start.troupe_ms), ms(start.troupe_cpu_ms)],
    ['ratio', `${start.wall_ratio}×`, `${start.cpu_ratio}×`]
  ])}${start.without_extra_ca_certs === undefined ? '' : `

This machine sets \`NODE_EXTRA_CA_CERTS=${start.without_extra_ca_certs.file}\`, which every Node.js
process reads and parses as it starts, before any code of its own runs; MCollective (Ruby) and
Serf (Go) do not read it. Since commit 5d89a84, troupe's launcher (\`bin/troupe.js\`) starts Node
without it for every command but the services, none of which makes a TLS connection: in a run
of that commit or a later one, the table above holds a bare \`node -e 0\` that pays for the file
against a \`troupe --version\` that does not. The same pairs with it removed from both commands'
environment, wall time (medians), compare troupe's own start with Node's:

${table(['command', 'wall'], [
    ['`node -e 0`', ms(start.without_extra_ca_certs.node_ms)],
    ['`troupe --version`', ms(start.without_extra_ca_certs.troupe_ms)],
    ['ratio', `${start.without_extra_ca_certs.wall_ratio}×`]
  ])}`}`
  const withoutCaCerts = (nodes: number): CommandResult | undefined => report.systems.find(s => s.system === 'troupe' && s.nodes === nodes)?.commands.find(c => c.name === PING_WITHOUT_EXTRA_CA_CERTS)
  const bothWays = report.systems.some(system => withoutCaCerts(system.nodes) !== undefined)
  const faster = (mco: number | null, troupe: number | null): string => troupe !== null && mco !== null ? `${round(mco / troupe, 2)}×` : ''
  const mcoRows = [...new Set(report.systems.map(system => system.nodes))].sort((a, b) => a - b).flatMap(nodes => {
    const troupe = yardstick(report, nodes)
    const mco = report.systems.find(system => system.nodes === nodes && system.system.startsWith('MCollective'))?.commands.find(command => command.command.includes('--nodes'))?.wall_ms ?? null
    if (troupe === null && mco === null) return []
    const row = [nodes, ms(troupe) || '**failed**', mco === null ? 'not measured' : ms(mco), faster(mco, troupe)]
    if (!bothWays) return [row]
    const unset = withoutCaCerts(nodes)?.wall_ms ?? null
    return [[...row, ms(unset) || '**failed**', faster(mco, unset)]]
  })
  const mcoHeader = ['nodes', 'troupe ping', 'mco rpc rpcutil ping --nodes FILE', 'how many times faster', ...(bothWays ? ['troupe ping, NODE_EXTRA_CA_CERTS unset', 'how many times faster'] : [])]
  const agentRows = agents.map(agent => [
    agent.nodes, agent.batches.map(batch => batch.requests).join(' + '), `${Math.min(...agent.batches.map(batch => batch.replies_min))}/${agent.nodes}`,
    `${agent.agent_cpu_ms_per_request} ms`, `${agent.agent_cpu_ms_per_reply} ms`, agent.agent_replies_per_core_second.toLocaleString('en'),
    `${agent.agent_writes_per_request}`, `${agent.node_writes_per_request}`
  ])
  return `## The requester's own cost

${runLine(report.run)}

### The CLI's start

${startText}

### The whole \`troupe ping\` against MCollective's best case

\`troupe ping\` (the warm agent, the directory's nodes) and \`mco rpc rpcutil ping --nodes FILE\`
(no discovery), whole commands, medians from the table above. Target: troupe at least 2× faster.

${table(mcoHeader, mcoRows)}${bothWays ? `

The last two columns: the same \`troupe ping\` with this machine's \`NODE_EXTRA_CA_CERTS\` removed from
its environment (see "The CLI's start"), against the same MCollective figure. Since commit 5d89a84
the launcher removes it itself, and in a run of that commit or a later one the two agree.` : ''}

### The warm requester agent

The requester agent's own CPU (user + system from /proc, less its idle CPU over the same time)
and write system calls (/proc/PID/io) while it serves \`rpcutil ping\` to every node, the CLI's
side played through its socket from the bench process, one connection per request as each
\`troupe ping\` opens: per request, and per reply. Each node's writes per request (median).
The requests run in batches; the figures are medians over the batches (every batch is in the
results JSON). Targets: at most 0.2 ms per reply at 10 nodes, 0.1 ms at 50 (10,000 replies a
second on one core).

${agentRows.length > 0 ? table(['nodes', 'requests', 'replies (fewest)', 'agent CPU per request', 'per reply', 'replies per core-second', 'agent writes per request', 'node writes per request'], agentRows) : notMeasured(report, 'troupe')}

`
}

const SCALE_COLUMNS = ['nodes', 'pings', 'reach all', 'last reply', 'replies (fewest)', 'copies in / out', 'idle gossip msgs/s', 'membership msgs/s', 'idle CPU per node', 'CPU per request per node', 'requester CPU per node', 'worker RSS / daemons', 'beat interval', 'join', 'join CPU']

/** Which nodes a ping missed, where the run recorded it: named up to the few the results keep. */
function silentNodes (ping: PingOutcome): string {
  if (ping.silent === undefined) return ''
  const silentCount = ping.expected - ping.replies
  const more = silentCount > ping.silent.identities.length ? ', …' : ''
  return ` (silent: ${ping.silent.identities.join(', ')}${more}; ${ping.silent.unconnected} of the ${silentCount} not connected when it was sent at ${ping.silent.sent_at}${silentWorkers(ping)})`
}

/** Which worker processes hosted a ping's silent nodes, and how long their event loops stalled, where the run recorded it. */
function silentWorkers (ping: PingOutcome): string {
  const perWorker = ping.silent?.per_worker
  const loop = ping.worker_loop_max_ms
  if (perWorker === undefined || loop === undefined) return ''
  const hosting = perWorker.flatMap((count, worker) => count > 0 ? [worker] : [])
  const others = loop.filter((_, worker) => !hosting.includes(worker))
  const longest = (stalls: number[]): string => ms(Math.max(...stalls))
  return `; hosted by worker process${hosting.length === 1 ? '' : 'es'} ${hosting.map(worker => `${worker + 1} (${perWorker[worker] ?? 0})`).join(', ')}, whose event loop${hosting.length === 1 ? '' : 's'} stalled up to ${longest(hosting.map(worker => loop[worker] ?? 0))} during the ping${others.length > 0 ? ` (the other workers' up to ${longest(others)})` : ''}`
}

/** Per fleet size where the run recorded it: the workers' longest event-loop stall during a ping, median over the pings and the longest. */
function workerStalls (rows: ScaleResult[]): string {
  const measured = rows.flatMap(row => {
    const perPing = row.pings.flatMap(ping => ping.worker_loop_max_ms !== undefined && ping.worker_loop_max_ms.length > 0 ? [Math.max(...ping.worker_loop_max_ms)] : [])
    return perPing.length > 0 ? [`${row.nodes} nodes ${ms(median(perPing))} (longest ${ms(Math.max(...perPing))})`] : []
  })
  if (measured.length === 0) return ''
  return `\nA worker process's longest event-loop stall during a ping (the most any worker stalled, median over the pings): ${measured.join(', ')}. A worker's daemons share one event loop and one heap: while it collects garbage or waits for a core, all of them are silent at once, as no real fleet's hosts are.\n`
}

function scaleSection (report: BenchReport): string {
  if (report.scale.length === 0) {
    return `No fleet size was measured in this run: ${report.skipped.filter(line => line.startsWith('scale')).join('; ') || 'none was asked for'}.\n`
  }
  const rows = report.scale.map(row => [
    row.nodes, `${row.complete_pings}/${row.pings.length}`, ms(row.reach_all_ms) || '**failed**', ms(row.last_reply_ms) || '**failed**', `${row.replies_min}/${row.nodes}`,
    row.direct_in_per_request === undefined ? `${row.gossip_in_per_request} / ${row.gossip_out_per_request}` : `${row.gossip_in_per_request} + ${row.direct_in_per_request} direct / ${row.gossip_out_per_request}`, `${row.idle_gossip_per_second}`, `${derivedMembershipRate(row)} (derived)`,
    `${row.idle_cpu_ms_per_second} ms/s`, orNa(row.cpu_ms_per_request, 'ms'), `${row.requester_cpu_us_per_node} µs`,
    `${round(median(row.worker_rss_mib))} MiB / ${Math.min(row.daemons_per_worker, row.nodes)}`, `${row.beat_interval_s} s`, `${row.join_seconds} s`, row.join_cpu_s !== undefined ? `${row.join_cpu_s} s` : 'not measured'
  ])
  // A size that could not be measured stays in the table, in its place, as failed.
  rows.push(...report.skipped.flatMap(line => {
    const failed = /^scale at (\d+) daemons: (.*)$/.exec(line)
    return failed === null ? [] : [[failed[1], '**FAILED**', ...Array<string>(SCALE_COLUMNS.length - 3).fill('—'), `**failed**: ${failed[2]}`]]
  }))
  rows.sort((a, b) => Number(a[0]) - Number(b[0]))
  const failedPings = report.scale.flatMap(row => row.pings.filter(ping => ping.replies < ping.expected || ping.expected < row.nodes).map(ping => `${row.nodes} nodes: ${ping.replies} of ${row.nodes} replied${ping.expected < row.nodes ? ` (the directory held ${ping.expected} when selecting)` : ''}${silentNodes(ping)}`))
  return `Real daemons, many to a process (bench/scale: up to ${report.scale[0]?.daemons_per_worker ?? ''} per worker process), a real bootstrap
process, and a requester, all on this machine. Each worker process's daemons listen on and
connect from a loopback address of their own (127.0.1.W), as a site of hosts behind one address
would; the bootstrap and the requester are on 127.0.0.1. Once the directory is complete, the
pings wait until no daemon has opened or closed a connection for 10 s (each daemon dials its
mesh peers 15-60 s after its start). For each fleet size: a ping to every node,
${report.run.settings.runs} times. "Pings" counts the pings every node answered; the times are medians over those.
"Reach all" is from publish to the moment the last node handled the request (its reply's
timestamp), "last reply" until the requester had every reply. Copies of a request per node:
received by gossip (the first plus duplicates from mesh peers), plus those the requester sent the
node itself ("direct": a request the mesh need not relay goes only that way) / forwarded. Idle gossip is measured:
membership messages each node received and sent per second while idle (the bench's daemons beat
every ${report.scale[0]?.beat_interval_s ?? ''} s or more, so an idle window may count few or none).
Membership msgs/s is **derived**, not measured: a daemon's own beat (one per beat interval; beats
reach only requesters and bootstraps) plus the fleet's repeated registrations (nodes ÷ the
refresh period, an hour below 1800 nodes) times the copies a node handles of each gossiped message. Idle CPU per node: the whole machine's
CPU while idle over the nodes. CPU per request: the whole machine's CPU for one request divided by
the nodes (its CPU during the pings less its idle CPU over the same time; "n/a" when that came out
negative; the side-by-side table, one process per daemon, is the surer figure). Requester CPU:
the requester's CPU per node addressed (sending the request, taking the reply). Worker RSS: the
RSS of one worker process (median over the workers) and the daemons it hosts; one process
hosting that many daemons shares its code and heap among them, so this is not a daemon's RSS
(the side-by-side table has that). "Join" is how long until the requester's directory held
every node after the first daemon started; "join CPU" is the CPU the worker processes and the
bootstrap used until then, all daemons together (divide by the nodes for one daemon's share).
${failedPings.length > 0 ? `\nPings that did not get every reply: ${failedPings.join('; ')}.\n` : ''}${workerStalls(report.scale)}
Read "reach all" and "last reply" with the machine in mind: one request costs the whole fleet
its nodes × the CPU per request per node, and here ${report.run.machine.cpus} cores do all of it, so
these times are bounded below by that sum over the cores. On real hosts each node spends its own
few milliseconds in parallel, and what remains is hops × a link's latency.

${table(SCALE_COLUMNS, rows)}

${estimates(report)}`
}

/**
 * Membership messages a daemon handles per second, derived: its own beat (beats reach only
 * requesters and bootstraps) and the fleet's repeated registrations times the copies of each.
 */
function derivedMembershipRate (row: ScaleResult): number {
  return round(1 / row.beat_interval_s + row.nodes / registrationRefreshFor(row.nodes) * copiesPerRequest(row), 3)
}

/** Copies of one request a node received: by gossip and directly. */
function copiesInPerRequest (row: ScaleResult): number {
  return row.gossip_in_per_request + (row.direct_in_per_request ?? 0)
}

/** Copies of one request a node handled: received, and forwarded. */
function copiesPerRequest (row: ScaleResult): number {
  return copiesInPerRequest(row) + row.gossip_out_per_request
}

function estimates (report: BenchReport): string {
  const scale = report.scale.filter(row => row.complete_pings > 0)
  if (scale.length < 2) return `### What 10,000 and 50,000 nodes would take\n\nNot estimated: fewer than two fleet sizes with a complete ping in this run.\n`
  const largest = scale[scale.length - 1] as ScaleResult
  const requester = fit(scale.map(row => [row.nodes, row.requester_cpu_us_per_node * row.nodes / 1000]))
  // Each node handles a handful of copies of a request whatever N (the table's copies column),
  // so its CPU per request does not grow with N: the median of the rows, not a line through them.
  // Rows whose figure is n/a (negative) do not feed it.
  const measuredCpu = scale.flatMap(row => row.cpu_ms_per_request === null ? [] : [row.cpu_ms_per_request])
  const perNodeCpu = measuredCpu.length > 0 ? `${round(median(measuredCpu), 1)} ms` : 'n/a'
  const copies = copiesPerRequest(largest)
  const lines = [10_000, 50_000].map(nodes => {
    const requesterSeconds = (requester.a + requester.b * nodes) / 1000
    const beatInterval = beatIntervalFor(nodes, DEFAULT_ANNOUNCE_INTERVAL)
    return `| ${nodes.toLocaleString('en')} | ${round(requesterSeconds, 1)} s | ${perNodeCpu} | ${round(beatInterval / 60, 0)} min (derived) | ${round(beatInterval * MISSED_INTERVALS_BEFORE_EXPIRY / 3600, 1)} h (derived) |`
  })
  return `### What 10,000 and 50,000 nodes would take

Estimates for a fleet where every node has its own CPU. Measured in this run: the requester's CPU
(a least-squares line through the rows with a complete ping) and a node's CPU per request (the
median of the rows that have one; it handles about as many copies of a request at ${largest.nodes} nodes as at
${scale[0]?.nodes ?? ''}). **Derived** from the code's constants, not measured: the beat interval (the default
announce interval, ${DEFAULT_ANNOUNCE_INTERVAL} s, stretched so the fleet sends at most ${FLEET_BEATS_PER_SECOND} beats a second) and how
long before a crashed node is marked gone (${MISSED_INTERVALS_BEFORE_EXPIRY} missed beat intervals).

| nodes | requester CPU for one request to all | CPU per request per node | beat interval | a crashed node is marked gone after |
| --- | --- | --- | --- | --- |
${lines.join('\n')}

- **A request reaching every node** does not grow with N on a real fleet: the requester sends
  it straight to every node it holds a connection to (one hop), and the mesh carries it to the
  rest in a few hops (${round(copiesInPerRequest(largest), 2)} copies a node at ${largest.nodes} nodes). Here, where
  ${largest.nodes} nodes share ${report.run.machine.cpus} cores, it took ${ms(largest.reach_all_ms)}.
- **The requester is what grows**: it sends N copies and takes N replies, so one request to
  everyone costs it the CPU in the table (about ${round(largest.requester_cpu_us_per_node, 0)} µs a node
  measured at ${largest.nodes}). At 50,000 nodes that is the whole-command time, and it holds
  50,000 connections; Choria's published figure for its Go client is 51,152 hosts in about 20 s.
- **Membership per node is flat** (derived): beats are capped at ${FLEET_BEATS_PER_SECOND} a second for the whole
  fleet and reach only requesters and bootstraps; a daemon handles its own beat and the fleet's
  repeated registrations, capped at ${FLEET_REGISTRATIONS_PER_SECOND} a second for the whole fleet: at most about
  ${round(FLEET_REGISTRATIONS_PER_SECOND * copies, 2)} membership messages a second whatever N (× the ${round(copies, 2)} copies a node handled of each
  gossiped message at ${largest.nodes} nodes). What grows is the beat interval, hence how long before a
  crashed node is marked gone (it is reported missing throughout; a node that stops cleanly
  leaves at once).
- **Memory**: every peer keeps the directory, about one registration (a few hundred bytes plus
  its facts) per node. A worker process hosting ${Math.min(largest.daemons_per_worker, largest.nodes)} of the ${largest.nodes} daemons held
  ${round(median(largest.worker_rss_mib))} MiB, each of its daemons with a directory of ${largest.nodes} nodes.
  With facter's facts (tens of KiB per node) the directory, not the mesh, is what limits a daemon
  at 50,000 nodes; daemons do not need other nodes' facts, and keeping only requesters' and
  bootstraps' directories whole is the step that would remove it.
`
}

async function chart (report: BenchReport): Promise<Buffer> {
  const vega = await import('vega')
  const vegaLite = await import('vega-lite')
  const { Resvg } = await import('@resvg/resvg-js')
  // A command with no complete run has no time to draw (the table says it failed).
  const commands = report.systems.flatMap(system => system.commands.filter(c => c.name !== 'find -F role=web' && c.wall_ms !== null).map(command => ({
    label: `${system.system.split(' ')[0]}: ${command.command.replace(/ FILE$/, '')}`,
    nodes: `${system.nodes} nodes`,
    seconds: (command.wall_ms ?? 0) / 1000
  })))
  const curve = report.scale.flatMap(row => row.reach_all_ms === null || row.last_reply_ms === null ? [] : [
    { nodes: row.nodes, what: 'request reaches every node', seconds: row.reach_all_ms / 1000 },
    { nodes: row.nodes, what: 'last reply back', seconds: row.last_reply_ms / 1000 }
  ])
  const panels = [
      {
        title: `Whole command, wall time (s), run ${report.run.commit.slice(0, 12)}`,
        data: { values: commands },
        mark: 'bar',
        encoding: {
          y: { field: 'label', type: 'nominal', title: null, sort: null },
          x: { field: 'seconds', type: 'quantitative', title: 'seconds' },
          color: { field: 'label', type: 'nominal', legend: null },
          row: { field: 'nodes', type: 'nominal', title: null }
        }
      },
      {
        title: 'troupe at scale (all nodes on this machine)',
        data: { values: curve },
        mark: { type: 'line', point: true },
        width: 280,
        height: 220,
        encoding: {
          x: { field: 'nodes', type: 'quantitative', title: 'nodes' },
          y: { field: 'seconds', type: 'quantitative', title: 'seconds' },
          color: { field: 'what', type: 'nominal', title: null, legend: { orient: 'bottom' } }
        }
      }
    // A part the run left out (BENCH_PARTS) has no panel: an empty one cannot be drawn.
  ].filter(panel => panel.data.values.length > 0)
  const spec = vegaLite.compile({
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    config: { font: 'sans-serif', view: { stroke: null }, axisY: { labelLimit: 320 } },
    // Each chart has its own colours: the bars need none in a legend, the curve does.
    resolve: { scale: { color: 'independent' }, legend: { color: 'independent' } },
    hconcat: panels.length > 0 ? panels : [{ title: 'No complete measurement in this run', data: { values: [{ text: 'see docs/performance.md' }] }, mark: 'text', encoding: { text: { field: 'text', type: 'nominal' } } }]
  } as never).spec
  const svg = await new vega.View(vega.parse(spec), { renderer: 'none' }).toSVG()
  return new Resvg(svg, { background: 'white', fitTo: { mode: 'zoom', value: 1.5 } }).render().asPng()
}

function relaySection (report: BenchReport): string {
  const rows = report.relay ?? []
  return `## Relay capacity

${runLine(report.run)}

Under Puppet Enterprise's rule (nodes accept no connection; docs/configuration.md, "Firewall")
every node holds a relay reservation on a bootstrap, the requester reaches each node through a
relayed connection, and every request and reply crosses the bootstrap. One real bootstrap
process, N peers that only dial out, each holding a reservation, then a requester holding a
relayed connection to each (a warm requester agent), then round trips of a 1.2 KB request and a
300 B reply over every relayed connection. The side-by-side table above has the whole
\`troupe ping\` on the namespace fleet, open and under the PE rule (the bootstrap's RSS and CPU
per request in its last column).

${rows.length === 0 ? notMeasured(report, 'relay') : table(['relayed nodes', 'bootstrap RSS alone / reserved / relaying', 'RSS per reservation', 'RSS per relayed connection', 'bootstrap CPU per relayed reply'], rows.map(row => [
    row.nodes, `${row.bootstrap_rss_mib.alone} / ${row.bootstrap_rss_mib.reserved} / ${row.bootstrap_rss_mib.relayed} MiB`, `${row.kib_per_reservation} KiB`, `${row.kib_per_relayed_connection} KiB`, `${row.bootstrap_cpu_us_per_relayed_reply} µs`
  ]))}
`
}

function hostileSection (report: BenchReport): string {
  const rows = report.hostile ?? []
  const pings = (runs: { runs: number, complete: number, median_ms: number | null }): string =>
    `${runs.complete}/${runs.runs} complete${runs.median_ms === null ? ' (**failed**)' : `, median ${ms(runs.median_ms)}`}`
  return `## Under attack

${runLine(report.run)}

A real enrolled fleet while peers send, each as fast as it can, every kind of junk the mesh must
shrug off (docs/security.md, "What untrusted input may cost"): requests with a bad signature,
signed by a key nobody authorizes or dated an hour ahead, registrations nested 20,000 deep,
frames of garbage, peers without a certificate, idle sockets (the table below: what each sent).
\`troupe ping\` runs every second meanwhile; a complete ping is exit 0 with every node's reply.
CPU is per daemon (median), in % of one core.

${rows.length === 0 ? notMeasured(report, 'hostile') : table(['nodes', 'seconds', 'pings before', 'pings during', 'daemon CPU idle / attacked', 'bootstrap CPU attacked', 'daemon RSS before / after', 'bootstrap RSS before / after'], rows.map(row => [
    row.nodes, row.seconds, pings(row.pings_before), `${pings(row.pings_during)}${row.pings_during.max_ms === null ? '' : `, max ${ms(row.pings_during.max_ms)}`}`,
    `${row.daemon_cpu_percent_idle} / ${row.daemon_cpu_percent_under_attack} %`, `${row.bootstrap_cpu_percent_under_attack} %`,
    `${row.daemon_rss_mib_before} / ${row.daemon_rss_mib_after} MiB`, `${row.bootstrap_rss_mib_before} / ${row.bootstrap_rss_mib_after} MiB`
  ]))}
${rows.flatMap(row => row.attackers).length === 0 ? '' : `
${table(['attacker', 'sent', 'cut off'], rows.flatMap(row => row.attackers).map(attacker => [attacker.kind, attacker.sent, attacker.cut_off ? 'yes' : 'no']))}
`}`
}
