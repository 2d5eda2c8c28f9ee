// The checks of `troupe doctor` that need no mesh: files, keys and their modes, the requester
// socket's directory, the bootstrap peers' TCP reachability. Each says what to fix.
import { existsSync, lstatSync, readFileSync, statSync } from 'node:fs'
import { connect } from 'node:net'
import { dirname, join } from 'node:path'
import type { LoadedConfig } from '../../config/load.js'

export type Verdict = 'ok' | 'warn' | 'fail' | 'skip'

export interface Check {
  verdict: Verdict
  what: string
  /** what to do about it (warn and fail) */
  fix?: string
}

const ok = (what: string): Check => ({ verdict: 'ok', what })
const fail = (what: string, fix: string): Check => ({ verdict: 'fail', what, fix })
const warn = (what: string, fix: string): Check => ({ verdict: 'warn', what, fix })

/** A private file: there, a regular file, this user's, readable by no one else. */
export function privateFile (label: string, path: string, options: { missingOk?: string } = {}): Check {
  let stat
  try {
    stat = lstatSync(path)
  } catch {
    return options.missingOk !== undefined ? ok(`${label} ${path}: not there yet (${options.missingOk})`) : fail(`${label} ${path} does not exist`, `create it (see docs/configuration.md)`)
  }
  if (stat.isSymbolicLink()) stat = statSync(path)
  if (!stat.isFile()) return fail(`${label} ${path} is not a regular file`, `replace it with the file itself`)
  const uid = process.getuid?.()
  if (uid !== undefined && stat.uid !== uid && uid !== 0) return fail(`${label} ${path} belongs to uid ${stat.uid}, not to you`, `chown it to yourself, or use a key of your own`)
  if ((stat.mode & 0o077) !== 0) return fail(`${label} ${path} is readable by others (mode ${(stat.mode & 0o777).toString(8)})`, `chmod 600 ${path}`)
  return ok(`${label} ${path} (mode 600)`)
}

/** The caller key: private, a valid ed25519 key, and its .pub beside it says the same key. */
export async function callerKey (path: string): Promise<Check[]> {
  const file = privateFile('caller key', path)
  if (file.verdict !== 'ok') {
    if (!existsSync(path)) return [fail(`caller key ${path} does not exist`, `troupe keygen --out ${path} --name YOU, then add ${path}.pub to authorized_keys on the nodes and the bootstrap`)]
    return [file]
  }
  const { readRequesterKey, keyFingerprint } = await import('../../security/keys.js')
  let publicKey: string
  try {
    publicKey = readRequesterKey(path).publicKey
  } catch (err) {
    return [fail((err as Error).message, `troupe keygen --out NEWFILE, and point caller_key at it`)]
  }
  const checks = [ok(`caller key ${path}: ed25519, fingerprint ${keyFingerprint(publicKey)} (mode 600)`)]
  const pub = `${path}.pub`
  if (!existsSync(pub)) checks.push(warn(`${pub} is missing`, `the nodes' authorized_keys need the line 'ed25519 ${publicKey} YOURNAME'`))
  else if (!readFileSync(pub, 'utf8').includes(publicKey)) checks.push(fail(`${pub} does not hold the key of ${path}`, `regenerate the pair with troupe keygen`))
  else checks.push(ok(`${pub} matches; its line goes into authorized_keys on the nodes and the bootstrap`))
  return checks
}

/** Where the peer key lives: `key`, else beside the config. */
export function peerKeyPath (config: LoadedConfig): string {
  return config.key ?? join(config.file === '' ? process.cwd() : dirname(config.file), 'requester.peer.key')
}

/** host and port of a bootstrap multiaddr such as /dns4/master/tcp/61613/p2p/ID */
export function hostPort (addr: string): { host: string, port: number } | undefined {
  const match = /^\/(ip4|ip6|dns4|dns6|dns)\/([^/]+)\/tcp\/(\d+)/.exec(addr)
  if (match === null) return undefined
  return { host: match[2] ?? '', port: Number(match[3]) }
}

export async function tcpReachable (host: string, port: number, timeoutMs = 3000): Promise<string | undefined> {
  return await new Promise(resolve => {
    const socket = connect({ host, port })
    const timer = setTimeout(() => { socket.destroy(); resolve(`no answer within ${timeoutMs / 1000} s`) }, timeoutMs)
    socket.once('connect', () => { clearTimeout(timer); socket.destroy(); resolve(undefined) })
    socket.once('error', err => { clearTimeout(timer); resolve((err as NodeJS.ErrnoException).code ?? err.message) })
  })
}

export async function bootstrapPeers (config: LoadedConfig): Promise<Check[]> {
  if (config.bootstrap.length === 0) return [fail('no bootstrap peers configured', 'add `bootstrap: [/dns4/MASTER/tcp/61613]` to the config')]
  const checks: Check[] = []
  for (const addr of config.bootstrap) {
    const target = hostPort(addr)
    if (target === undefined) {
      checks.push(warn(`bootstrap ${addr}: not a TCP address this check understands`, 'use /ip4/ADDR/tcp/PORT or /dns4/NAME/tcp/PORT'))
      continue
    }
    const problem = await tcpReachable(target.host, target.port)
    checks.push(problem === undefined
      ? ok(`bootstrap ${target.host}:${target.port} accepts TCP connections`)
      : fail(`bootstrap ${target.host}:${target.port} cannot be reached: ${problem}`, `is troupe bootstrap running there (systemctl status troupe-bootstrap)? does the firewall let TCP ${target.port} through to it?`))
  }
  return checks
}
