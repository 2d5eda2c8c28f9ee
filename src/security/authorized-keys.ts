// authorized_keys: which requester keys a daemon acts on, and the caller name each carries.
// Format, one key a line: `ed25519 <base64 raw public key> <name>`; '#' comments and blank lines ignored.
import { readFileSync, watch, type FSWatcher } from 'node:fs'
import { basename, dirname } from 'node:path'
import { publicKeyObject } from './keys.js'

export interface AuthorizedKeys {
  /** public key (base64) -> caller name */
  byKey: Map<string, string>
  /** one line per malformed line, for the log */
  problems: string[]
}

export function parseAuthorizedKeys (text: string, fileName: string): AuthorizedKeys {
  const byKey = new Map<string, string>()
  const problems: string[] = []
  text.split('\n').forEach((line, index) => {
    const trimmed = line.trim()
    if (trimmed === '' || trimmed.startsWith('#')) return
    const [type, key, ...nameParts] = trimmed.split(/\s+/)
    const name = nameParts.join(' ')
    if (type !== 'ed25519') problems.push(`${fileName}:${index + 1}: key type '${type}' is not supported (use ed25519)`)
    else if (key === undefined || publicKeyObject(key) === null) problems.push(`${fileName}:${index + 1}: not a base64 ed25519 public key`)
    else if (name === '') problems.push(`${fileName}:${index + 1}: the key has no caller name (add one after the key)`)
    else byKey.set(key, name)
  })
  return { byKey, problems }
}

const RETRY_WATCH_MS = 2000

/**
 * The daemon's live view of authorized_keys: re-read when the file changes, so keys can be
 * added or revoked without a restart. If the file disappears or cannot be read, nobody is
 * authorized (fail closed).
 */
export class AuthorizedKeyStore {
  private current: AuthorizedKeys = { byKey: new Map(), problems: [] }
  private watcher: FSWatcher | undefined
  private reloadTimer: NodeJS.Timeout | undefined
  private readonly reloadListeners: Array<() => void> = []
  private retryTimer: NodeJS.Timeout | undefined
  private stopped = false
  /** the last read error reported (reported once, not at every retry) */
  private readFailure: string | undefined

  constructor (private readonly path: string | undefined, private readonly warn: (msg: string) => void) {}

  start (): void {
    this.reload()
    this.watchOrRetry()
  }

  /**
   * Watches the file's directory; when the directory does not exist yet (a fresh host whose
   * config management has not written it), warns and tries again every few seconds: the daemon
   * runs, refusing every request, until the file appears.
   */
  private watchOrRetry (): void {
    if (this.path === undefined || this.stopped) return
    const path = this.path
    const file = basename(path)
    try {
      // Watch the directory: editors and config management replace the file by rename.
      this.watcher = watch(dirname(path), (_event, changed) => {
        if (changed !== null && changed !== file) return
        clearTimeout(this.reloadTimer)
        this.reloadTimer = setTimeout(() => this.reload(), 50)
      })
      this.watcher.on('error', err => this.warn(`cannot watch ${path}: ${err.message}`))
      if (this.retryTimer !== undefined) this.reload()
      this.retryTimer = undefined
    } catch (err) {
      if (this.retryTimer === undefined) this.warn(`cannot watch the directory of authorized_keys ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}; every request is refused until the file exists (checked every ${RETRY_WATCH_MS / 1000} s)`)
      this.retryTimer = setTimeout(() => this.watchOrRetry(), RETRY_WATCH_MS)
      this.retryTimer.unref()
    }
  }

  stop (): void {
    this.stopped = true
    this.watcher?.close()
    clearTimeout(this.reloadTimer)
    clearTimeout(this.retryTimer)
  }

  reload (): void {
    if (this.path === undefined) return
    try {
      this.current = parseAuthorizedKeys(readFileSync(this.path, 'utf8'), this.path)
      for (const problem of this.current.problems) this.warn(problem)
      this.readFailure = undefined
    } catch (err) {
      this.current = { byKey: new Map(), problems: [] }
      const code = (err as NodeJS.ErrnoException).code ?? String(err)
      if (this.readFailure !== code) this.warn(`cannot read authorized_keys ${this.path}: ${code}; no caller is authorized until it is fixed`)
      this.readFailure = code
    }
    for (const listener of this.reloadListeners) listener()
  }

  /** Called after every reload (keys added or revoked): admitted requesters are checked again. */
  onReload (listener: () => void): void {
    this.reloadListeners.push(listener)
  }

  /** The caller's name, or undefined when the key is not authorized. */
  callerName (publicKey: string): string | undefined {
    return this.current.byKey.get(publicKey)
  }

  get size (): number {
    return this.current.byKey.size
  }
}
