// The audit log: one JSON line per request a daemon sees, with its decision. Inputs the DDL marks
// secret are redacted; writing never throws into request handling.
//
// The file stays open between lines (it was opened, appended to and closed for every line: a
// twentieth of a request's CPU). Before each line the path is looked up: once logrotate has
// renamed the file (or it was removed), the line goes to a new file at the path, so the renamed
// file is never written again and no line is lost (packaging/etc/logrotate: no copytruncate).
import { closeSync, fstatSync, openSync, statSync, writeSync } from 'node:fs'

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
  private fd: number | undefined
  private dev = 0
  private ino = 0

  constructor (private readonly path: string | undefined, private readonly warn: (message: string) => void) {}

  record (entry: AuditEntry): void {
    if (this.path === undefined) return
    let line = JSON.stringify({ time: new Date().toISOString(), ...entry })
    if (line.length > MAX_LINE_BYTES) line = JSON.stringify({ time: new Date().toISOString(), ...entry, args: { truncated: true } })
    try {
      this.append(this.path, Buffer.from(line + '\n'))
      this.warned = false
    } catch (err) {
      this.close()
      if (!this.warned) this.warn(`cannot write audit_log ${this.path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`)
      this.warned = true
    }
  }

  /** Closes the file (a stopping daemon); a later line opens it again. */
  close (): void {
    if (this.fd === undefined) return
    try { closeSync(this.fd) } catch { /* closed is closed */ }
    this.fd = undefined
  }

  private append (path: string, bytes: Buffer): void {
    if (this.fd !== undefined) {
      // One stat instead of an open and a close: is the open file still the one at the path?
      const now = statSync(path, { throwIfNoEntry: false })
      if (now === undefined || now.ino !== this.ino || now.dev !== this.dev) this.close()
    }
    if (this.fd === undefined) {
      this.fd = openSync(path, 'a', 0o600)
      const opened = fstatSync(this.fd)
      this.dev = opened.dev
      this.ino = opened.ino
    }
    let written = 0
    while (written < bytes.length) written += writeSync(this.fd, bytes, written)
  }
}
