// The audit log: one JSON line per request a daemon sees, with its decision. Inputs the DDL marks
// secret are redacted; writing never throws into request handling.
import { appendFileSync } from 'node:fs'

export interface AuditEntry {
  request_id: string
  caller: string
  caller_key: string
  agent: string
  action: string
  args?: Record<string, unknown>
  /** accepted: acted on; refused: not acted on (why in reason); filtered: not addressed to this node */
  decision: 'accepted' | 'refused' | 'filtered'
  reason?: string
  status?: number
  statusmsg?: string
  peer?: string
  /** how many like refusals from the same source were not written since the last one (they come at wire speed) */
  suppressed?: number
}

const MAX_LINE_BYTES = 16 * 1024

export function redactArgs (args: Record<string, unknown>, secretNames: string[]): Record<string, unknown> {
  return Object.fromEntries(Object.entries(args).map(([key, value]) => [key, secretNames.includes(key) ? '[redacted]' : value]))
}

export class AuditLog {
  private warned = false

  constructor (private readonly path: string | undefined, private readonly warn: (message: string) => void) {}

  record (entry: AuditEntry): void {
    if (this.path === undefined) return
    let line = JSON.stringify({ time: new Date().toISOString(), ...entry })
    if (line.length > MAX_LINE_BYTES) line = JSON.stringify({ time: new Date().toISOString(), ...entry, args: { truncated: true } })
    try {
      appendFileSync(this.path, line + '\n', { mode: 0o600 })
      this.warned = false
    } catch (err) {
      if (!this.warned) this.warn(`cannot write audit_log ${this.path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`)
      this.warned = true
    }
  }
}
