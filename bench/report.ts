// Turns a benchmark run into docs/performance.md and the chart docs/performance.png. Everything
// in them comes from the run; the prose around the tables says how to read them.
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { SystemResult } from './anchors/types.js'
import type { ScaleResult } from './scale/fleet.js'
import type { RelayCapacityResult } from './relay-capacity.js'
import { round, median } from './measure.js'

export interface BenchReport {
  date: string
  machine: { cpus: number, cpu_model: string, memory_gib: number, node: string, os: string }
  runs: number
  bare_node_start_ms: number
  systems: SystemResult[]
  scale: ScaleResult[]
  /** one bootstrap relaying for N peers that cannot be dialled (bench part `relay`) */
  relay?: RelayCapacityResult[]
  skipped: string[]
  /** added by hand when a report combines runs or a run needs a caveat; printed under the header */
  notes?: string[]
}

export async function writeReport (report: BenchReport, docsDir: string): Promise<void> {
  writeFileSync(join(docsDir, 'performance.md'), markdown(report))
  writeFileSync(join(docsDir, 'performance.png'), await chart(report))
}

function table (header: string[], rows: Array<Array<string | number>>): string {
  return [`| ${header.join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`, ...rows.map(row => `| ${row.join(' | ')} |`)].join('\n')
}

const ms = (value: number | undefined): string => value === undefined ? '' : value >= 1000 ? `${round(value / 1000, 2)} s` : `${round(value, 0)} ms`

/** troupe ping's wall time at this node count: the yardstick for every ratio. */
function yardstick (report: BenchReport, nodes: number): number | undefined {
  return report.systems.find(s => s.system === 'troupe' && s.nodes === nodes)?.commands.find(c => c.name === 'ping')?.wall_ms
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

function markdown (report: BenchReport): string {
  const sizes = [...new Set(report.systems.map(s => s.nodes))].sort((a, b) => a - b)
  const commandRows = sizes.flatMap(nodes => report.systems.filter(s => s.nodes === nodes).flatMap(system => system.commands.map(command => {
    const base = yardstick(report, nodes)
    return [nodes, system.system, `\`${command.command}\``, ms(command.wall_ms), base !== undefined ? `${round(command.wall_ms / base, 1)}×` : '', command.replies, ms(command.last_reply_ms)]
  })))
  const resourceRows = sizes.flatMap(nodes => report.systems.filter(s => s.nodes === nodes).map(system => [
    nodes, system.system, `${system.daemon_rss_mib} MiB`, `${system.daemon_idle_cpu_percent} %`, `${system.daemon_cpu_ms_per_request} ms`, system.infrastructure_rss_mib !== undefined ? `${system.infrastructure_rss_mib} MiB${system.infrastructure_cpu_ms_per_request !== undefined ? `, ${system.infrastructure_cpu_ms_per_request} ms/request` : ''}` : ''
  ]))
  const scaleRows = report.scale.map(row => [
    row.nodes, ms(row.reach_all_ms), ms(row.last_reply_ms), row.replies_min, `${row.gossip_in_per_request} / ${row.gossip_out_per_request}`,
    membershipRate(row), `${row.idle_cpu_ms_per_second} ms/s`, `${row.cpu_ms_per_request} ms`, `${row.requester_cpu_us_per_node} µs`, `${row.rss_mib_per_node} MiB`, `${row.beat_interval_s} s`, `${row.join_seconds} s`
  ])
  return `# Performance

Written by \`npm run bench\` (bench/run.ts) on ${report.date.slice(0, 10)}; every figure on this page
comes from that one run, on one machine: ${report.machine.cpus} × ${report.machine.cpu_model},
${report.machine.memory_gib} GiB, ${report.machine.os}, Node ${report.machine.node}. Each command ran
${report.runs} times; tables give the median. Ratios are against \`troupe ping\` at the same node
count in the same run. For scale: a bare \`node -e 0\` starts in ${ms(report.bare_node_start_ms)} here.

All nodes of a fleet share this machine's cores, so these are the figures of a crowded fleet:
on real hosts each node has its own CPU, and per-node costs matter more than the sums.
${report.skipped.length > 0 ? `\nNot measured in this run: ${report.skipped.join('; ')}.\n` : ''}${(report.notes ?? []).map(note => `\n**Note:** ${note}\n`).join('')}
![Whole-command times and the scale curve](performance.png)

## Whole commands, side by side

The wall time of the whole command, process start to exit, as an operator waits for it.
MCollective's \`mco ping\` and Serf's \`serf query\` cannot know how many nodes should answer,
so they wait out their timeout; \`mco rpc\` first runs a 2 s discovery; \`--nodes FILE\` skips
it. troupe knows the expected nodes from its directory and returns when the last has answered.
"Last reply" is when the last reply arrived, where the command shows it.

${table(['nodes', 'system', 'command', 'wall', 'ratio to troupe ping', 'replies', 'last reply'], commandRows)}

## Memory and CPU per daemon

RSS of each node daemon (median), its CPU while the fleet is idle, and the CPU each request
costs each node (its CPU while the requests ran, less its idle CPU over the same time): for
troupe \`troupe ping\`, for MCollective \`mco rpc rpcutil ping --nodes FILE\`, for Serf
\`serf query ping\`. The last column is the broker's (ActiveMQ) or the bootstrap's RSS.

${table(['nodes', 'system', 'daemon RSS', 'idle CPU', 'CPU per request', 'broker / bootstrap RSS'], resourceRows)}

## Scale

Real daemons, many to a process (bench/scale: 125 per worker process), a real bootstrap
process, and a requester, all on this machine. For each fleet size: a ping to every node,
${report.runs} times. "Reach all" is from publish to the moment the last node handled the
request (its reply's timestamp), "last reply" until the requester had every reply. Copies of a
request per node: received (the first plus duplicates from mesh peers) / forwarded. Membership:
beat messages per second each node receives and sends, from the fleet's beat rate (nodes / beat
interval) times the copies a node handles of each gossiped message (a beat travels as a request
does); the bench's daemons beat every ${report.scale[0]?.beat_interval_s ?? ''} s or more, too seldom for an idle window to
count them. Idle CPU per node is measured: the mesh's own upkeep between beats. CPU per request: the whole
machine's CPU for one request divided by the nodes (its CPU during the pings less its idle CPU
over the same time: on a crowded machine the idle share can swamp it, and a 0 means the idle
window was the busier one; the side-by-side table above, one process per daemon, is the surer
figure); requester CPU: the requester's CPU per node
addressed (sending the request, taking the reply). "Join" is how long until the requester's
directory held every node after the first daemon started.

Read "reach all" and "last reply" with the machine in mind: one request costs the whole fleet
its nodes × the CPU per request per node, and here ${report.machine.cpus} cores do all of it, so
these times are bounded below by that sum over the cores. On real hosts each node spends its own
few milliseconds in parallel, and what remains is hops × a link's latency.

${table(['nodes', 'reach all', 'last reply', 'replies', 'copies in / out', 'membership msgs/s', 'idle CPU per node', 'CPU per request per node', 'requester CPU per node', 'RSS per node', 'beat interval', 'join'], scaleRows)}

${estimates(report.scale, report.machine.cpus)}
${relaySection(report.relay ?? [])}`
}

function relaySection (rows: RelayCapacityResult[]): string {
  if (rows.length === 0) return ''
  return `## Relay capacity

Under Puppet Enterprise's rule (nodes accept no connection; docs/configuration.md, "Firewall")
every node holds a relay reservation on a bootstrap, the requester reaches each node through a
relayed connection, and every request and reply crosses the bootstrap. One real bootstrap
process, N peers that only dial out, each holding a reservation, then a requester holding a
relayed connection to each (a warm requester agent), then round trips of a 1.2 KB request and a
300 B reply over every relayed connection. The side-by-side table above has the whole
\`troupe ping\` on the namespace fleet, open and under the PE rule (the bootstrap's RSS and CPU
per request in its last column).

${table(['relayed nodes', 'bootstrap RSS alone / reserved / relaying', 'RSS per reservation', 'RSS per relayed connection', 'bootstrap CPU per relayed reply'], rows.map(row => [
    row.nodes, `${row.bootstrap_rss_mib.alone} / ${row.bootstrap_rss_mib.reserved} / ${row.bootstrap_rss_mib.relayed} MiB`, `${row.kib_per_reservation} KiB`, `${row.kib_per_relayed_connection} KiB`, `${row.bootstrap_cpu_us_per_relayed_reply} µs`
  ]))}
`
}

/** Beats each node handles per second: the fleet's beats per second times the copies of each. */
function membershipRate (row: ScaleResult): number {
  return round(row.nodes / row.beat_interval_s * (row.gossip_in_per_request + row.gossip_out_per_request), 2)
}

function estimates (scale: ScaleResult[], cpus: number): string {
  if (scale.length < 2) return ''
  const largest = scale[scale.length - 1] as ScaleResult
  const requester = fit(scale.map(row => [row.nodes, row.requester_cpu_us_per_node * row.nodes / 1000]))
  // Each node handles a handful of copies of a request whatever N (the table's copies column),
  // so its CPU per request does not grow with N: the median of the rows, not a line through them
  // (each row's figure is the machine's busy CPU less its idle CPU, noisy on a crowded machine).
  const perNodeCpu = median(scale.map(row => row.cpu_ms_per_request))
  const lines = [10_000, 50_000].map(nodes => {
    const requesterSeconds = (requester.a + requester.b * nodes) / 1000
    const beatInterval = Math.max(30, nodes / 2)
    return `| ${nodes.toLocaleString('en')} | ${round(requesterSeconds, 1)} s | ${round(perNodeCpu, 1)} ms | ${round(beatInterval / 60, 0)} min | ${round(beatInterval * 3 / 3600, 1)} h |`
  })
  return `### What 10,000 and 50,000 nodes would take

From the measured growth, for a fleet where every node has its own CPU: the requester's CPU
from a least-squares line through the rows above, a node's CPU per request as the median of
the rows (it handles about as many copies of a request at 1000 nodes as at 100), the beat
interval and expiry from the two-beats-a-second cap:

| nodes | requester CPU for one request to all | CPU per request per node | beat interval | a crashed node is marked gone after |
| --- | --- | --- | --- | --- |
${lines.join('\n')}

- **A request reaching every node** does not grow with N on a real fleet: the requester sends
  it straight to every node it holds a connection to (one hop), and the mesh carries it to the
  rest in a few hops (${largest.gossip_in_per_request} copies a node at ${largest.nodes} nodes). Here, where
  ${largest.nodes} nodes share ${cpus} cores, it took ${ms(largest.reach_all_ms)}.
- **The requester is what grows**: it sends N copies and takes N replies, so one request to
  everyone costs it the CPU in the table (about ${round(largest.requester_cpu_us_per_node, 0)} µs a node
  measured at ${largest.nodes}). At 50,000 nodes that is the whole-command time, and it holds
  50,000 connections; Choria's published figure for its Go client is 51,152 hosts in about 20 s.
- **Membership per node is flat**: beats are capped at two a second for the whole fleet, so each
  node handles about ${round(2 * (largest.gossip_in_per_request + largest.gossip_out_per_request), 0)} membership messages a second whatever N (two beats a second
  at most, fleet-wide, each handled as the table's copies of a request); what grows is
  the beat interval, hence how long before a crashed node is marked gone (it is reported
  missing throughout; a node that stops cleanly leaves at once).
- **Memory**: every peer keeps the directory, about one registration (a few hundred bytes plus
  its facts) per node: ${largest.nodes} nodes cost ${largest.rss_mib_per_node} MiB per node here, mostly libp2p itself.
  With facter's facts (tens of KiB per node) the directory, not the mesh, is what limits a daemon
  at 50,000 nodes; daemons do not need other nodes' facts, and keeping only requesters' and
  bootstraps' directories whole is the step that would remove it.
`
}

async function chart (report: BenchReport): Promise<Buffer> {
  const vega = await import('vega')
  const vegaLite = await import('vega-lite')
  const { Resvg } = await import('@resvg/resvg-js')
  const commands = report.systems.flatMap(system => system.commands.filter(c => c.name !== 'find -F role=web').map(command => ({
    label: `${system.system.split(' ')[0]}: ${command.command.replace(/ FILE$/, '')}`,
    nodes: `${system.nodes} nodes`,
    seconds: command.wall_ms / 1000
  })))
  const curve = report.scale.flatMap(row => [
    { nodes: row.nodes, what: 'request reaches every node', seconds: row.reach_all_ms / 1000 },
    { nodes: row.nodes, what: 'last reply back', seconds: row.last_reply_ms / 1000 }
  ])
  const spec = vegaLite.compile({
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    config: { font: 'sans-serif', view: { stroke: null }, axisY: { labelLimit: 320 } },
    // Each chart has its own colours: the bars need none in a legend, the curve does.
    resolve: { scale: { color: 'independent' }, legend: { color: 'independent' } },
    // A part the run left out (BENCH_PARTS) has no panel: an empty one cannot be drawn.
    hconcat: [
      {
        title: 'Whole command, wall time (s)',
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
    ].filter(panel => panel.data.values.length > 0)
  } as never).spec
  const svg = await new vega.View(vega.parse(spec), { renderer: 'none' }).toSVG()
  return new Resvg(svg, { background: 'white', fitTo: { mode: 'zoom', value: 1.5 } }).render().asPng()
}
