// What every system's benchmark reports, so troupe, MCollective and Serf line up in one table.

export interface MeasureOptions {
  /** runs of each command (the median is reported) */
  runs: number
  /** seconds of quiet over which idle CPU is measured */
  idleSeconds: number
}

export interface CommandResult {
  name: string
  command: string
  /** median wall time of the whole command, process start to exit */
  wall_ms: number
  /** fewest replies any run got */
  replies: number
  /** median time until the last reply arrived, where the command shows it */
  last_reply_ms?: number
}

export interface SystemResult {
  system: string
  nodes: number
  commands: CommandResult[]
  daemon_rss_mib: number
  daemon_idle_cpu_percent: number
  /** CPU the node daemons spend per request, per node */
  daemon_cpu_ms_per_request: number
  /** a broker's or bootstrap's memory */
  infrastructure_rss_mib?: number
  /** a broker's or bootstrap's CPU: idle (percent of a core), and per request (ms) */
  infrastructure_idle_cpu_percent?: number
  infrastructure_cpu_ms_per_request?: number
}
