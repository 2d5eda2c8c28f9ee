// Where a requester agent listens: one agent per client config, in a private directory.
import { createHash } from 'node:crypto'
import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs'
import { homedir } from 'node:os'
import { dirname, join } from 'node:path'
import type { LoadedConfig } from '../config/load.js'
import { VERSION } from '../version.js'

/** This user's private directory for requester sockets, logs and the CLI's config cache. */
export function runtimeDir (): string {
  const runtime = process.env.XDG_RUNTIME_DIR
  return runtime !== undefined && runtime !== '' ? join(runtime, 'troupe') : join(homedir(), '.troupe', 'run')
}

export function requesterSocketPath (config: LoadedConfig): string {
  if (config.requester_socket !== undefined) return config.requester_socket
  const dir = runtimeDir()
  // Unix socket paths are limited to ~107 bytes: name it by a short hash of the config path.
  const tag = createHash('sha256').update(config.collectiveOverride === undefined ? config.file : `${config.file}\0${config.collectiveOverride}`).digest('hex').slice(0, 12)
  return join(dir, `requester-${tag}.sock`)
}

/** Changes whenever the config file does, so a stale agent can be told to make way. */
export function configStamp (config: LoadedConfig): string {
  // The version too: after a package upgrade, the first command replaces a warm agent of the old one.
  try {
    const stat = statSync(config.file)
    return `${VERSION}:${stat.mtimeMs}:${stat.size}:${stat.ino}`
  } catch {
    return `${VERSION}:none`
  }
}

/**
 * The config a requester uses for one collective (-T): the agent of another collective than the
 * file's own gets a socket of its own, so the two never answer for each other.
 */
export function forCollective<T extends LoadedConfig> (config: T, collective: string | undefined): T {
  if (collective === undefined || collective === config.collective) return config
  return { ...config, collective, requester_socket: config.requester_socket !== undefined ? `${config.requester_socket}.${collective}` : undefined, collectiveOverride: collective }
}

/**
 * The requester socket must be the user's own: its directory owned by this user and writable by
 * no one else (else another local user could put a socket of theirs there and read every reply),
 * and the socket, if present, a socket this user bound (the kernel gives a socket file the uid of
 * the process that bound it). Returns a reason, or undefined when all is well.
 */
export function socketHygiene (socketPath: string): string | undefined {
  const uid = process.getuid?.()
  if (uid === undefined) return undefined
  const dir = dirname(socketPath)
  let dirStat
  try {
    dirStat = lstatSync(dir)
  } catch {
    return undefined // not there yet: the agent creates it, 0700
  }
  if (!dirStat.isDirectory()) return `the requester socket's directory ${dir} is not a directory`
  if (dirStat.uid !== uid) return `the requester socket's directory ${dir} belongs to uid ${dirStat.uid}, not to you (uid ${uid}): set requester_socket to a path in a directory of your own`
  if ((dirStat.mode & 0o022) !== 0) return `the requester socket's directory ${dir} is writable by others (mode ${(dirStat.mode & 0o7777).toString(8)}): chmod go-w ${dir}, or set requester_socket to a path in a private directory`
  let sockStat
  try {
    sockStat = lstatSync(socketPath)
  } catch {
    return undefined
  }
  if (!sockStat.isSocket()) return `${socketPath} is not a socket: remove it, or set requester_socket elsewhere`
  if (sockStat.uid !== uid) return `the requester socket ${socketPath} belongs to uid ${sockStat.uid}, not to you (uid ${uid}): remove it`
  if ((sockStat.mode & 0o022) !== 0) return `the requester socket ${socketPath} is writable by others (mode ${(sockStat.mode & 0o777).toString(8)}): remove it`
  return undefined
}

/**
 * The peer's uid on the socket, as SO_PEERCRED would give it (Node has no getsockopt): on Linux,
 * the process the agent says it is must run as this user (/proc/PID belongs to the process's
 * uid) and hold the listening socket bound at this path (its inode, from /proc/net/unix, among
 * the process's open files; /proc/PID/fd is readable only by the same user or root). Returns a
 * reason, or undefined when the agent is this user's (or when /proc cannot tell, off Linux).
 */
export function agentPeerCheck (socketPath: string, pid: number | undefined): string | undefined {
  const uid = process.getuid?.()
  if (uid === undefined || !existsSync('/proc/net/unix')) return undefined
  if (pid === undefined || !Number.isInteger(pid) || pid <= 0) return 'the process on the requester socket did not say which process it is'
  let owner: number
  try {
    owner = statSync(`/proc/${pid}`).uid
  } catch {
    return `the process on the requester socket (pid ${pid}) is not running`
  }
  if (owner !== uid) return `the process on the requester socket runs as uid ${owner}, not as you (uid ${uid})`
  const inodes = new Set<string>()
  for (const line of readFileSync('/proc/net/unix', 'utf8').split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/)
    if (fields.length >= 8 && fields.slice(7).join(' ') === socketPath) inodes.add(fields[6] ?? '')
  }
  let fds: string[]
  try {
    fds = readdirSync(`/proc/${pid}/fd`)
  } catch {
    return `cannot see the open files of the process on the requester socket (pid ${pid})`
  }
  for (const fd of fds) {
    try {
      const target = readlinkSync(`/proc/${pid}/fd/${fd}`)
      const match = /^socket:\[(\d+)\]$/.exec(target)
      if (match !== null && inodes.has(match[1] ?? '')) return undefined
    } catch { /* closed meanwhile */ }
  }
  return `the process that says it is the requester agent (pid ${pid}) does not hold ${socketPath}`
}
