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

  constructor (private readonly path: string | undefined, private readonly warn: (msg: string) => void) {}

  start (): void {
    this.reload()
    if (this.path === undefined) return
    const file = basename(this.path)
    // Watch the directory: editors and config management replace the file by rename.
    this.watcher = watch(dirname(this.path), (_event, changed) => {
      if (changed !== null && changed !== file) return
      clearTimeout(this.reloadTimer)
      this.reloadTimer = setTimeout(() => this.reload(), 50)
    })
    this.watcher.on('error', err => this.warn(`cannot watch ${this.path}: ${err.message}`))
  }

  stop (): void {
    this.watcher?.close()
    clearTimeout(this.reloadTimer)
  }

  reload (): void {
    if (this.path === undefined) return
    try {
      this.current = parseAuthorizedKeys(readFileSync(this.path, 'utf8'), this.path)
      for (const problem of this.current.problems) this.warn(problem)
    } catch (err) {
      this.current = { byKey: new Map(), problems: [] }
      this.warn(`cannot read authorized_keys ${this.path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}; no caller is authorized until it is fixed`)
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
