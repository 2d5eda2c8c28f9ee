// One schema for every role (bootstrap, daemon, client). Unknown keys are an error so that a
// typo never silently falls back to a default.
import { isIP } from 'node:net'
import { z } from 'zod'

const multiaddrText = z.string().min(1).refine(s => s.startsWith('/'), 'must be a multiaddr such as /ip4/10.0.0.1/tcp/61613')
const nameText = z.string().min(1).max(128).regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'letters, digits, dot, dash and underscore only')

export const configSchema = z.object({
  identity: nameText.optional(),
  collective: nameText.default('main'),
  listen: z.array(multiaddrText).optional(),
  // Not in SPEC.md's table (docs/configuration.md): Puppet's `sourceaddress`, for troupe's connections.
  source_address: z.string().refine(text => isIP(text) !== 0, 'must be an IP address of this host, such as 10.0.0.5').optional(),
  bootstrap: z.array(multiaddrText).default([]),
  key: z.string().min(1).optional(),
  swarm_key: z.string().min(1).optional(),
  authorized_keys: z.string().min(1).optional(),
  policy_dir: z.string().min(1).optional(),
  // actionpolicy's enable_default/default_name and allow_unconfigured (docs/security.md).
  policy_default: nameText.optional(),
  policy_unconfigured: z.enum(['deny', 'allow']).default('deny'),
  facts: z.string().min(1).optional(),
  facter: z.boolean().default(false),
  classes: z.string().min(1).optional(),
  agents_dir: z.string().min(1).optional(),
  audit_log: z.string().min(1).optional(),
  ca: z.string().min(1).optional(),
  cert: z.string().min(1).optional(),
  cert_key: z.string().min(1).optional(),
  // Not in SPEC.md's table: the CA's revocation list (Puppet's ssl/crl.pem); see docs/security.md.
  crl: z.string().min(1).optional(),
  // Not in SPEC.md's table; see docs/configuration.md.
  state_dir: z.string().min(1).optional(),
  // Not in SPEC.md's table; see docs/configuration.md.
  log_level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  log_file: z.string().min(1).optional(),
  announce_interval: z.number().positive().max(3600).default(30),
  allowed_peers: z.array(z.string().min(1)).optional(),
  caller_key: z.string().min(1).optional(),
  // Other collectives this requester may address with -T (its own is `collective`).
  collectives: z.array(nameText).max(64).optional(),
  requester_socket: z.string().min(1).optional(),
  requester_idle: z.number().min(0).max(86400).default(600),
  puppet_command: z.array(z.string().min(1)).min(1).optional(),
  puppet_args: z.array(z.string().min(1)).optional(),
  caller_rate: z.number().positive().max(100_000).default(50),
  max_concurrent_actions: z.number().int().positive().max(256).default(4),
  // Issue 12 (docs/configuration.md, "Firewall"): whether others can open connections to this
  // peer ('auto': the bootstrap tries), and whether a bootstrap relays for peers that cannot.
  reachability: z.enum(['auto', 'public', 'private']).default('auto'),
  relay: z.boolean().default(true)
}).strict()

export type Config = z.infer<typeof configSchema>

export type Role = 'bootstrap' | 'daemon' | 'client'

const ALL: Role[] = ['bootstrap', 'daemon', 'client']
/**
 * Which roles use each key (SPEC.md's table, docs/configuration.md). A key in a config of a role
 * that does not use it is an error: it would otherwise be silently ignored (a daemon key in a
 * client config, a misplaced line).
 */
export const KEY_ROLES: Record<string, Role[]> = {
  identity: ['daemon'],
  collective: ALL,
  collectives: ['client'],
  listen: ALL,
  source_address: ALL,
  bootstrap: ALL,
  key: ALL,
  swarm_key: ALL,
  authorized_keys: ['daemon', 'bootstrap'],
  policy_dir: ['daemon'],
  policy_default: ['daemon'],
  policy_unconfigured: ['daemon'],
  facts: ['daemon'],
  facter: ['daemon'],
  classes: ['daemon'],
  agents_dir: ['daemon'],
  audit_log: ['daemon'],
  log_level: ALL,
  log_file: ALL,
  announce_interval: ['daemon'],
  allowed_peers: ALL,
  caller_key: ['client'],
  requester_socket: ['client'],
  requester_idle: ['client'],
  puppet_command: ['daemon'],
  puppet_args: ['daemon'],
  caller_rate: ['daemon'],
  max_concurrent_actions: ['daemon'],
  ca: ALL,
  crl: ALL,
  cert: ['daemon', 'bootstrap'],
  cert_key: ['daemon', 'bootstrap'],
  state_dir: ['daemon'],
  reachability: ['daemon', 'client'],
  relay: ['bootstrap']
}
