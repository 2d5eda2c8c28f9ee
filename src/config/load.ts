// Reading a config file: YAML -> schema -> paths resolved against the file's directory.
import { readFileSync } from 'node:fs'
import { dirname, resolve, isAbsolute } from 'node:path'
import { parse as parseYaml } from 'yaml'
import { ZodError } from 'zod'
import { configSchema, KEY_ROLES, type Config, type Role } from './schema.js'
import { ConfigError } from './errors.js'

export { ConfigError }

export interface LoadedConfig extends Config {
  /** absolute path of the file this came from ('' for built-in defaults) */
  file: string
  /** set when a requester addresses another collective than the file's (-T) */
  collectiveOverride?: string
}

const PATH_KEYS = ['key', 'swarm_key', 'authorized_keys', 'policy_dir', 'facts', 'classes', 'agents_dir', 'audit_log', 'log_file', 'caller_key', 'requester_socket', 'ca', 'cert', 'cert_key', 'crl', 'state_dir'] as const

/** Reads a config; with a role, a key that role does not use is an error. */
export function loadConfig (file: string, role?: Role): LoadedConfig {
  const path = resolve(file)
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    throw new ConfigError(`cannot read config ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`)
  }
  return parseConfig(text, path, role)
}

export function parseConfig (text: string, path: string, role?: Role): LoadedConfig {
  let raw: unknown
  try {
    raw = parseYaml(text, { maxAliasCount: 100, logLevel: 'error' }) ?? {}
  } catch (err) {
    const firstLine = (err as Error).message.split('\n')[0]
    throw new ConfigError(`${path}: not valid YAML: ${firstLine}`)
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ConfigError(`${path}: must be a YAML mapping of keys to values`)
  }
  if (role !== undefined) {
    for (const key of Object.keys(raw)) {
      const roles = KEY_ROLES[key]
      if (roles !== undefined && !roles.includes(role)) {
        throw new ConfigError(`${path}: key '${key}' is not used by a ${role} config (it is for ${roles.join(' and ')}); remove it, or use the ${roles[0] ?? ''} config`)
      }
    }
  }
  let parsed: Config
  try {
    parsed = configSchema.parse(raw)
  } catch (err) {
    throw new ConfigError(`${path}: ${describeZodError(err as ZodError)}`)
  }
  const base = path === '' ? process.cwd() : dirname(path)
  const config: LoadedConfig = { ...parsed, file: path }
  for (const key of PATH_KEYS) {
    const value = config[key]
    if (typeof value === 'string') config[key] = expandPath(value, base)
  }
  return config
}

function expandPath (value: string, base: string): string {
  const home = process.env.HOME ?? '/root'
  const expanded = value.startsWith('~/') ? home + value.slice(1) : value
  return isAbsolute(expanded) ? expanded : resolve(base, expanded)
}

/** One line naming the key and what is wrong with it. */
export function describeZodError (err: ZodError): string {
  const issue = err.issues[0]
  if (issue === undefined) return 'invalid'
  if (issue.code === 'unrecognized_keys') return `unknown key '${issue.keys.join("', '")}'${issue.path.length > 0 ? ` in '${issue.path.join('.')}'` : ''}`
  const where = issue.path.length > 0 ? `key '${issue.path.join('.')}'` : 'value'
  return `${where}: ${issue.message}`
}
