// What every system's benchmark reports, so troupe, MCollective and Serf line up in one table.
// Every run of every command is kept as measured (RunOutcome), so a failed or partial run is
// visible in the results and on the page, never folded into a median.

export interface MeasureOptions {
  /** runs of each command (the median of the complete runs is reported) */
  runs: number
  /** seconds of quiet over which idle CPU is measured */
  idleSeconds: number
}

/** One run of a command, as measured. */
export interface RunOutcome {
  /** wall time of the whole command, process start to exit */
  ms: number
  /** exit code (null: killed by a signal) */
  code: number | null
  /** replies the command reported (nodes listed, for find) */
  replies: number
  /** time until the last reply arrived, where the command shows it */
  last_reply_ms?: number
}

export interface CommandResult {
  name: string
  command: string
  /** replies a complete run gets */
  expected: number
  /** every run as measured */
  runs: RunOutcome[]
  /** runs that exited 0 with every expected reply */
  complete: number
  /** runs with some replies but not all, or a non-zero exit */
  partial: number
  /** runs with no reply at all */
  failed: number
  /** median wall time of the complete runs; null when no run was complete */
  wall_ms: number | null
  /** median time to the last reply over the complete runs that show it */
  last_reply_ms?: number | null
  /** fewest replies any run got */
  replies: number
  /** the non-zero exit codes seen, each once */
  exit_codes: number[]
}

export interface SystemResult {
  system: string
  nodes: number
  /** how requests are authenticated, said on the page next to the figures */
  security: string
  commands: CommandResult[]
  daemon_rss_mib: number
  /**
   * what only this daemon holds (median): its private pages (USS). RSS also counts the pages of the
   * interpreter's binary and libraries, which every process of that runtime on a host shares.
   */
  daemon_private_mib?: number
  daemon_idle_cpu_percent: number
  /** CPU the node daemons spend per request, per node; null when the measurement came out negative (n/a) */
  daemon_cpu_ms_per_request: number | null
  /** how many commands daemon_cpu_ms_per_request was taken over (absent in older runs: the command's runs) */
  daemon_cpu_runs?: number
  /** a broker's or bootstrap's memory */
  infrastructure_rss_mib?: number
  /** a broker's or bootstrap's CPU: idle (percent of a core), and per request (ms) */
  infrastructure_idle_cpu_percent?: number
  infrastructure_cpu_ms_per_request?: number
}
