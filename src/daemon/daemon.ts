// The node daemon: a mesh member that serves its agents. For each request that passed the
// first-hop gate it evaluates the filter on its own facts, checks the caller, runs the action
// and replies directly to the requester.
import { hostname } from 'node:os'
import { peerIdFromString } from '@libp2p/peer-id'
import type { LoadedConfig } from '../config/load.js'
import type { Logger } from '../log.js'
import type { PeerId } from '@libp2p/interface'
import { MeshMember, stateDir } from '../mesh/member.js'
import { join } from 'node:path'
import { AgentRegistry } from '../agents/registry.js'
import { type ReplyBody, Status, type NodeInfo } from '../agents/types.js'
import { FactStore } from '../discovery/facts.js'
import { nodeDataLookup } from '../discovery/filter/index.js'
import type { NodeView } from '../discovery/filter/types.js'
import { AuthorizedKeyStore } from '../security/authorized-keys.js'
import { PolicyStore } from '../security/policy.js'
import { AuditLog } from '../security/audit.js'
import { RateLimiter } from '../security/rate-limit.js'
import { keyFingerprint } from '../security/keys.js'
import { ReplySender } from '../transport/reply-channel.js'
import { encodeReply } from '../wire/reply.js'
import { encodeNotice } from '../wire/undelivered.js'
import { undeliveredTopic } from '../transport/topics.js'
import type { RequestBody } from '../wire/request.js'
import { VERSION } from '../version.js'
import { NodeStats } from './node-stats.js'
import { MeshKeeper } from './mesh-keeper.js'
import { RequestHandler } from './request-handler.js'
import { existsSync, mkdirSync } from 'node:fs'
import { LogThrottle } from '../log-throttle.js'
import { loadCredentials, type MeshCredentials } from '../mesh/credentials.js'
import { coalesced } from '../coalesce.js'
import { jitMaxTier } from './jit-tier.js'
import { youngGenerationBytes } from '../young-generation.js'

const DEFAULT_LISTEN = ['/ip4/0.0.0.0/tcp/0']
/** Requester peer ids kept decoded (a fleet has a few requester agents; the oldest goes first). */
const MAX_REQUESTER_IDS = 64
/** A claim on this node's identity is reported within this long of the registration that makes it. */
const CONFLICT_CHECK_DELAY_MS = 1000
const DEFAULT_CLASSES_FILES = ['/opt/puppetlabs/puppet/cache/state/classes.txt', '/var/cache/puppet/state/classes.txt']

export class Daemon {
  readonly identity: string
  readonly stats = new NodeStats()
  private readonly startedAt = Date.now()
  private member!: MeshMember
  private replies!: ReplySender
  private keeper!: MeshKeeper
  private readonly authorizedKeys: AuthorizedKeyStore
  private readonly facts: FactStore
  private readonly policies: PolicyStore
  private readonly audit: AuditLog
  private readonly requesterIds = new Map<string, PeerId>()
  private readonly rateLimiter: RateLimiter
  private readonly strangerRefusals = new LogThrottle()
  private readonly handler: RequestHandler
  private registry!: AgentRegistry
  /** requests taken and not yet answered: stop() waits for them */
  private readonly inFlight = new Set<Promise<void>>()

  private constructor (private readonly config: LoadedConfig, private readonly log: Logger, private readonly credentials: MeshCredentials) {
    // With a CA, a node is who its certificate says (loadCredentials checked identity against it).
    this.identity = credentials.certificate?.identity ?? config.identity ?? hostname()
    this.authorizedKeys = new AuthorizedKeyStore(config.authorized_keys, msg => log.warn(msg))
    this.policies = new PolicyStore(config.policy_dir, msg => log.warn(msg), { defaultPolicy: config.policy_default, unconfigured: config.policy_unconfigured })
    this.audit = new AuditLog(config.audit_log, msg => log.warn(msg))
    this.rateLimiter = new RateLimiter(config.caller_rate)
    this.facts = new FactStore({
      factsFile: config.facts,
      facter: config.facter,
      classesFile: config.classes ?? DEFAULT_CLASSES_FILES.find(path => existsSync(path)),
      onWarning: msg => log.warn(msg)
    })
    this.handler = new RequestHandler({
      identity: this.identity,
      callerRate: config.caller_rate,
      callerName: key => this.authorizedKeys.callerName(key),
      rateLimiter: this.rateLimiter,
      view: () => this.view(),
      policy: this.policies,
      agents: {
        secretInputs: (agent, action) => this.secretInputs(agent, action),
        prepare: (agent, action, args) => this.registry.prepare(agent, action, args),
        run: async (agent, action, input, ctx) => await this.registry.run(agent, action, input, { ...ctx, node: this.nodeInfo() })
      },
      audit: this.audit,
      stats: this.stats,
      // A filter over its whole-request budget is no match: counted, and logged once per request.
      onFilterExhausted: (id, reason) => {
        this.stats.filter_budget_exceeded += 1
        this.log.warn({ id, reason }, 'filter evaluation stopped: over budget, treated as no match')
      },
      log
    })
  }

  static async start (config: LoadedConfig, log: Logger): Promise<Daemon> {
    const credentials = loadCredentials(config, 'daemon', undefined, message => log.warn(message))
    if (credentials.verifier === undefined) log.warn('lab mode: no ca configured, so node identities are not checked (see docs/security.md)')
    const daemon = new Daemon(config, log, credentials)
    await daemon.startParts()
    return daemon
  }

  private async startParts (): Promise<void> {
    if (this.config.authorized_keys === undefined) this.log.warn('no authorized_keys configured: every request will be refused')
    this.authorizedKeys.start()
    this.policies.start()
    await this.facts.start()
    try {
      mkdirSync(stateDir(this.config, 'daemon'), { recursive: true, mode: 0o700 })
    } catch (err) {
      this.log.error(`cannot create state_dir ${stateDir(this.config, 'daemon')}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`)
    }
    this.registry = await AgentRegistry.load({
      agentsDir: this.config.agents_dir,
      maxConcurrent: this.config.max_concurrent_actions,
      puppet: { runCommand: this.config.puppet_command, extraArgs: this.config.puppet_args },
      warn: msg => this.log.warn(msg)
    })
    this.member = await MeshMember.start({
      role: 'daemon',
      config: this.config,
      log: this.log,
      credentials: this.credentials,
      replayJournal: join(stateDir(this.config, 'daemon'), 'replay.journal'),
      callerName: key => this.authorizedKeys.callerName(key),
      listen: this.config.listen ?? DEFAULT_LISTEN,
      self: () => ({
        v: 1,
        identity: this.identity,
        agents: this.registry.names(),
        classes: this.facts.classes(),
        facts: this.facts.registrationFacts(),
        version: VERSION,
        started: this.startedAt,
        interval: this.config.announce_interval
      }),
      onRequest: verdict => {
        if (verdict.verdict === 'stranger') this.refuseStranger(verdict.body)
        else this.track(this.handle(verdict.body))
      },
      onRefused: (verdict, from, suppressed) => {
        this.stats.unvalidated += 1
        const body = verdict.body
        this.audit.record({
          // The id the request claims, even when its signature failed (the reason says so).
          request_id: body?.id ?? verdict.id ?? '',
          caller: body !== undefined ? (this.authorizedKeys.callerName(body.caller) ?? '') : '',
          caller_key: body !== undefined ? keyFingerprint(body.caller) : '',
          agent: body?.agent ?? '',
          action: body?.action ?? '',
          decision: 'refused',
          reason: verdict.reason,
          peer: from,
          ...(suppressed > 0 ? { suppressed } : {})
        })
        if (verdict.kind === 'expired') this.stats.ttlexpired += 1
        if (verdict.kind === 'replay') this.stats.replayed += 1
      }
    })
    this.authorizedKeys.onReload(() => this.member.admission.recheck())
    this.replies = new ReplySender(this.member.node, this.log)
    for (const agent of this.registry.names()) this.member.serveAgentTopic(agent)
    await this.member.serveDirectRequests()
    this.facts.onChange(() => this.member.membership.refresh())
    // Another peer claiming this node's name is a copied certificate or an impostor: say so loudly.
    const claimsLog = new LogThrottle(1)
    // Checked once per burst of changes: a fleet starting together changes the directory
    // hundreds of times a second, and each check scans all of it.
    this.member.directory.onChange(coalesced(() => {
      const conflict = this.member.directory.conflicts().find(claim => claim.identity === this.identity)
      const others = conflict?.peers.filter(claim => claim.peer !== this.member.node.peerId.toString()) ?? []
      if (others.length > 0 && claimsLog.allow(this.identity)) this.log.error({ identity: this.identity, peers: others.map(claim => claim.peer) }, 'another peer claims this node\'s identity (a copied certificate, or this node restarted with a new peer key)')
    }, CONFLICT_CHECK_DELAY_MS))
    this.keeper = new MeshKeeper(this.member, this.log)
    this.keeper.start()
  }

  private track (handling: Promise<void>): void {
    this.inFlight.add(handling)
    void handling.finally(() => this.inFlight.delete(handling))
  }

  private view (): NodeView {
    return { identity: this.identity, facts: this.facts.facts(), classes: this.facts.classes(), agents: this.registry.names(), data: nodeDataLookup(this.config.classes) }
  }

  private nodeInfo (): NodeInfo {
    return {
      identity: this.identity,
      collective: this.config.collective,
      version: VERSION,
      startedAt: this.startedAt,
      configFile: this.config.file,
      facts: () => this.facts.facts(),
      classes: () => this.facts.classes(),
      agents: () => this.registry.names(),
      agentMetadata: () => this.registry.names().map(name => this.registry.get(name)?.ddl.metadata).filter(meta => meta !== undefined),
      stats: () => this.statsRecord()
    }
  }

  /** Everything after the gate (src/daemon/request-handler.ts decides). Never throws. */
  private async handle (body: RequestBody): Promise<void> {
    const outcome = await this.handler.handle(body)
    // The gate let the caller through, but authorized_keys no longer lists it: a stranger's refusal.
    if (outcome.kind === 'stranger') this.refuseStranger(body)
    if (outcome.kind === 'reply') await this.reply(body, outcome.reply)
  }

  private secretInputs (agent: string, action: string): string[] {
    const inputs = this.registry.get(agent)?.ddl.actions[action]?.inputs ?? {}
    return Object.entries(inputs).filter(([, input]) => input.secret === true).map(([name]) => name)
  }

  /**
   * A well-signed request from a caller this node does not authorize: refused before anything else
   * is looked at (its filter included). Its audit line and its refusal reply are limited to a few
   * a minute per caller key, and the reply only rides a connection the requester already has to
   * this node: a stranger cannot make the fleet write at wire speed or dial where it chooses.
   */
  private refuseStranger (body: RequestBody): void {
    this.stats.total += 1
    this.stats.refused += 1
    const suppressed = this.strangerRefusals.take(body.caller)
    if (suppressed === undefined) return
    const statusmsg = `not authorized: caller key ${keyFingerprint(body.caller)} is not in authorized_keys on ${this.identity}`
    this.audit.record({
      request_id: body.id,
      caller: '',
      caller_key: keyFingerprint(body.caller),
      agent: body.agent,
      action: body.action,
      decision: 'refused',
      reason: statusmsg,
      status: Status.ABORTED,
      peer: body.requester.peer,
      ...(suppressed > 0 ? { suppressed } : {})
    })
    const requester = this.member.node.getConnections().find(connection => connection.remotePeer.toString() === body.requester.peer)
    if (requester !== undefined) void this.reply(body, { status: Status.ABORTED, statusmsg, data: {} }, false)
  }

  /**
   * Sends the reply over whatever connection to the requester exists (or can be made to what it
   * advertises), again until the request's time-to-live passes; if the first try fails, the
   * requester is told over the gossip mesh that this node acted (src/transport/reply-channel.ts).
   */
  private async reply (body: RequestBody, reply: ReplyBody, authorized = true): Promise<void> {
    const peer = this.requesterId(body.requester.peer)
    if (peer === undefined) return
    // A caller nobody authorized gets its refusal only over a connection that exists: it cannot
    // steer a dial, nor a notice to the whole mesh, nor hold a retry loop for its TTL.
    if (!authorized) {
      await this.replies.send({ peer, addrs: [], dial: false }, body.id, encodeReply({ v: 1, id: body.id, identity: this.identity, ...reply }), Date.now() + 5000)
      return
    }
    // What the request says of its requester's addresses decides which ones are ever dialled.
    this.member.dialPolicy.learn(body.requester.peer, body.requester.addrs)
    const deadline = Math.max(Date.now() + 5000, body.issued + body.ttl * 1000)
    const delivery = await this.replies.send({ peer, addrs: body.requester.addrs }, body.id, encodeReply({ v: 1, id: body.id, identity: this.identity, ...reply }), deadline, () => {
      const notice = encodeNotice({ v: 1, id: body.id, identity: this.identity, requester: body.requester.peer, status: reply.status, statusmsg: reply.statusmsg, peer: this.member.node.peerId.toString() }, this.member.sign)
      this.member.node.services.pubsub.publish(undeliveredTopic(this.config.collective), notice).catch(err => {
        this.log.debug({ id: body.id, err: String(err) }, 'undelivered notice not published')
      })
    })
    if (delivery.delivered) {
      this.stats.replies += 1
      if (delivery.attempts > 1) this.log.info({ id: body.id, requester: body.requester.peer, attempts: delivery.attempts, path: delivery.path }, 'reply delivered after retrying')
    } else if (delivery.waiting) {
      this.stats.replies_undelivered += 1
      this.log.warn({ id: body.id, requester: body.requester.peer, attempts: delivery.attempts, err: delivery.reason }, 'reply not delivered before the request expired')
    }
  }

  /**
   * A requester's peer id, decoded once: every request from the same requester agent names the
   * same one, and decoding it (base58, then the key) was part of every reply's cost.
   */
  private requesterId (text: string): PeerId | undefined {
    let peer = this.requesterIds.get(text)
    if (peer !== undefined) return peer
    try { peer = peerIdFromString(text) } catch { return undefined }
    if (this.requesterIds.size >= MAX_REQUESTER_IDS) this.requesterIds.delete(this.requesterIds.keys().next().value as string)
    this.requesterIds.set(text, peer)
    return peer
  }

  multiaddrs (): string[] {
    return this.member.multiaddrs()
  }

  /** Request counters, what the mesh costs this node, and its memory (rpcutil daemon_stats). */
  statsRecord (): Record<string, number> {
    return {
      ...this.stats.toRecord(),
      ...this.member.gossipCounters.snapshot(),
      direct_requests_in: this.member.directRequestsIn,
      directory_size: this.member.directory.size,
      connections: this.member.node.getConnections().length,
      replay_entries: this.member.gate.remembered,
      beat_interval: this.member.membership.beatInterval(),
      rss_bytes: process.memoryUsage.rss(),
      v8_max_opt: jitMaxTier(),
      v8_young_generation_bytes: youngGenerationBytes()
    }
  }

  /**
   * A clean stop (SIGTERM: systemd, the init script, a package upgrade) loses no request: the
   * node first stops taking requests, then lets every request it took finish, act and reply
   * (each action is bounded by its own time limit), waits for the replies to be written, and
   * only then leaves the mesh. A request sent while the node is down is not acted on and the
   * requester names the node missing; one acted on is never cut off half-done.
   */
  async stop (): Promise<void> {
    await this.member.stopServing()
    this.replies.stopping()
    if (this.inFlight.size > 0) this.log.info({ requests: this.inFlight.size }, 'stopping: finishing the requests in flight')
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight])
    this.keeper.stop()
    await this.replies.stop()
    await this.member.stop()
    this.authorizedKeys.stop()
    this.policies.stop()
    this.facts.stop()
    this.audit.close()
  }
}
