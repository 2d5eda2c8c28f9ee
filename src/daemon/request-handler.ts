// What a daemon decides about a request that passed the first-hop gate (size, format,
// signature, freshness, collective, caller, replay: src/security/request-gate.ts), in this order:
//
//   caller in authorized_keys → rate limit → filter → policy → input validation → act → audit
//
// The caller comes first: a key that is not authorized learns nothing about which nodes its
// filter selects, and costs no filter evaluation. The gate already turns such callers away; a
// key removed from authorized_keys between the gate and here is handed back as a stranger, whose
// refusal the daemon throttles and sends only over an existing connection (Daemon.refuseStranger).
// Every other outcome is audited one line per request, tied to the request id.
//
// The collaborators are passed in, so each refusal can be tested without a mesh
// (test/unit/request-handler.test.ts); the daemon wires the real ones.
import { type ReplyBody, Status } from '../agents/types.js'
import type { Prepared } from '../agents/registry.js'
import { matchesFilter } from '../discovery/filter/index.js'
import type { NodeView } from '../discovery/filter/types.js'
import { redactArgs, type AuditEntry } from '../security/audit.js'
import type { Decision } from '../security/policy.js'
import { keyFingerprint } from '../security/keys.js'
import type { RequestBody } from '../wire/request.js'
import type { Logger } from '../log.js'
import type { NodeStats } from './node-stats.js'

export interface RequestHandlerParts {
  identity: string
  /** requests per second per caller, for the refusal message */
  callerRate: number
  /** the caller name authorized_keys gives this key, or undefined */
  callerName: (publicKey: string) => string | undefined
  rateLimiter: { allow: (key: string) => boolean }
  /** this node as filters and policies see it */
  view: () => NodeView
  policy: { decide: (agent: string, caller: string, action: string, view: NodeView) => Decision }
  agents: {
    /** inputs the DDL marks secret (redacted in the audit log) */
    secretInputs: (agent: string, action: string) => string[]
    /** lookup and input validation */
    prepare: (agent: string, action: string, args: Record<string, unknown>) => Prepared
    run: (agent: string, action: string, input: Record<string, unknown>, ctx: { requestId: string, caller: string }) => Promise<ReplyBody>
  }
  audit: { record: (entry: AuditEntry) => void }
  /** told when a filter ran out of its evaluation budget (it then counts as no match) */
  onFilterExhausted?: (requestId: string, reason: string) => void
  stats: NodeStats
  log: Logger
}

export type Outcome =
  /** the caller is not in authorized_keys: nothing else was looked at (the daemon refuses it as a stranger) */
  | { kind: 'stranger' }
  /** not addressed to this node: no reply */
  | { kind: 'filtered' }
  /** handling failed inside the daemon: logged and audited, no reply */
  | { kind: 'failed' }
  /** a reply to send to the requester */
  | { kind: 'reply', decision: 'accepted' | 'refused', reply: ReplyBody }

export class RequestHandler {
  constructor (private readonly parts: RequestHandlerParts) {}

  /** Never throws: every failure becomes an outcome, an audit line and a log line. */
  async handle (body: RequestBody): Promise<Outcome> {
    const { parts } = this
    const caller = parts.callerName(body.caller)
    if (caller === undefined) return { kind: 'stranger' }
    parts.stats.total += 1
    parts.stats.validated += 1
    const entry = (fields: Pick<AuditEntry, 'decision'> & Partial<AuditEntry>): AuditEntry => ({
      request_id: body.id,
      caller,
      caller_key: keyFingerprint(body.caller),
      agent: body.agent,
      action: body.action,
      args: redactArgs(body.args, parts.agents.secretInputs(body.agent, body.action)),
      peer: body.requester.peer,
      ...fields
    })
    const refuse = (status: ReplyBody['status'], statusmsg: string): Outcome => {
      parts.stats.refused += 1
      parts.log.warn({ id: body.id, agent: body.agent, action: body.action, caller, reason: statusmsg }, 'request refused')
      parts.audit.record(entry({ decision: 'refused', reason: statusmsg, status, statusmsg }))
      return { kind: 'reply', decision: 'refused', reply: { status, statusmsg, data: {} } }
    }
    try {
      if (!parts.rateLimiter.allow(body.caller)) return refuse(Status.ABORTED, `refused: ${caller} sends more than ${parts.callerRate} requests a second to ${parts.identity}`)
      const view = parts.view()
      if (!matchesFilter(body.filter, view, { onExhausted: reason => parts.onFilterExhausted?.(body.id, reason) })) {
        parts.stats.filtered += 1
        parts.audit.record(entry({ decision: 'filtered' }))
        return { kind: 'filtered' }
      }
      parts.stats.passed += 1
      const decision = parts.policy.decide(body.agent, caller, body.action, view)
      if (!decision.allowed) return refuse(Status.ABORTED, `not authorized: ${caller} may not run ${body.agent} ${body.action} on ${parts.identity} (${decision.reason})`)
      const prepared = parts.agents.prepare(body.agent, body.action, body.args)
      if ('reply' in prepared) return refuse(prepared.reply.status, prepared.reply.statusmsg)
      const reply = await parts.agents.run(body.agent, body.action, prepared.input, { requestId: body.id, caller })
      parts.audit.record(entry({ decision: 'accepted', status: reply.status, statusmsg: reply.statusmsg }))
      // The audit log has every request; the daemon log has it only at debug (a line per request costs a write).
      parts.log.debug({ id: body.id, agent: body.agent, action: body.action, caller, status: reply.status }, 'request served')
      return { kind: 'reply', decision: 'accepted', reply }
    } catch (err) {
      parts.log.error({ id: body.id, err: String(err) }, 'request handling failed')
      try {
        parts.audit.record(entry({ decision: 'refused', reason: `request handling failed: ${String(err)}` }))
      } catch { /* the log line above says it */ }
      return { kind: 'failed' }
    }
  }
}
