// One requester command's work: pick the expected nodes from the directory, sign and send the
// request (in batches if asked), collect replies until every expected node answered or the
// timeout passed, and report who did not answer.
import type { Filter } from '../discovery/filter/types.js'
import type { NodeRef } from '../discovery/directory.js'
import { applyLimit, batchSizeFor, inBatches, type parseLimit } from '../discovery/select.js'
import { needsNodeData } from '../discovery/filter/node-data.js'
import type { RequesterKey } from '../security/keys.js'
import { agentTopic } from '../transport/topics.js'
import { signRequest } from '../wire/sign-request.js'
import type { MeshView, RequesterLink } from './link.js'
import { compareText } from '../text.js'

export interface RequestPlan {
  collective: string
  agent: string
  action: string
  args: Record<string, unknown>
  filter: Filter
  /** 'directory': expected nodes from the directory, finish when all answered; 'broadcast': wait the whole timeout */
  discovery: 'directory' | 'broadcast'
  timeoutMs: number
  ttlSeconds: number
  limit?: ReturnType<typeof parseLimit>
  limitSeed?: number
  batchSize?: number
  /** --batch N%: the batch size as a share of the selection (rounded up) */
  batchPercent?: number
  batchSleepMs?: number
  /** keep at most this many nodes working at once, starting the next as one answers (puppet runall) */
  rolling?: number
  /** identities named one by one (--nodes FILE): each is expected, and one the directory lacks is reported missing */
  named?: string[]
}

export interface ReplyRecord {
  identity: string
  status: number
  statusmsg: string
  data: Record<string, unknown>
  ms: number
  /** how the reply reached the requester: a direct connection, or through a relay (bootstrap) */
  via?: 'direct' | 'relayed'
}

/** A node that acted (and said so over the gossip mesh) but whose reply could not reach the requester. */
export interface UndeliveredRecord {
  identity: string
  status: number
  statusmsg: string
}

export interface RequestResult {
  request: { id: string, agent: string, action: string, filter: Filter }
  replies: ReplyRecord[]
  /** expected nodes that gave no sign at all */
  missing: string[]
  /** missing nodes the directory holds past their expiry: when each was last heard from (ms since epoch) */
  lastSeen: Record<string, number>
  /** named nodes (--nodes) the directory does not hold at all */
  unknown: string[]
  /** expected nodes that acted but whose reply never arrived (optional: results built elsewhere may omit it) */
  undelivered?: UndeliveredRecord[]
  stats: { expected: number, responded: number, ok: number, failed: number, elapsed_ms: number, publish_to_last_reply_ms: number }
}

export interface SessionHooks {
  onReply?: (reply: ReplyRecord) => void
  onBatch?: (done: number, total: number) => void
}

export async function runRequest (link: RequesterLink, key: RequesterKey, plan: RequestPlan, hooks: SessionHooks = {}): Promise<RequestResult> {
  const started = Date.now()
  const view = await link.hello()
  // A filter on a data source only the nodes can read (fstat, resource) is decided by the nodes.
  const broadcast = plan.discovery === 'broadcast' || needsNodeData(plan.filter)
  const selected = broadcast ? [] : await link.select(plan.filter, plan.agent)
  // Nodes past expiry are not sent to (they stopped beating long ago): they are reported missing
  // with the time they were last heard from, until purged or gone for good.
  // With --limit the operator asked for some of the live nodes, not for all of them.
  const gone = plan.limit !== undefined ? [] : selected.filter(node => node.gone === true)
  let targets = selected.filter(node => node.gone !== true)
  if (plan.limit !== undefined && !broadcast) targets = applyLimit(targets, plan.limit, plan.limitSeed)
  const batchSize = plan.batchPercent !== undefined ? batchSizeFor({ percent: plan.batchPercent }, targets.length) : plan.batchSize
  const narrowed = plan.limit !== undefined || batchSize !== undefined
  const batches = broadcast || batchSize === undefined ? [targets] : inBatches(targets, batchSize)

  const replies: ReplyRecord[] = []
  const answered = new Set<string>()
  const undelivered = new Map<string, UndeliveredRecord>()
  const noted = (record: UndeliveredRecord): void => { if (!answered.has(record.identity)) undelivered.set(record.identity, record) }
  let firstId = ''
  let publishToLast = 0
  const collect = (record: ReplyRecord): void => {
    if (answered.has(record.identity)) return
    answered.add(record.identity)
    publishToLast = Math.max(publishToLast, record.ms)
    replies.push(record)
    hooks.onReply?.(record)
  }
  if (plan.rolling !== undefined && !broadcast) {
    // A rolling window: each node gets its own pinned request; the next starts as one finishes.
    const queue = [...targets]
    let finished = 0
    const worker = async (): Promise<void> => {
      for (let node = queue.shift(); node !== undefined; node = queue.shift()) {
        const id = await sendAndCollect(link, key, view, plan, pinnedFilter(plan.filter, [node]), [node], collect, noted)
        if (firstId === '') firstId = id
        hooks.onBatch?.(++finished, targets.length)
      }
    }
    await Promise.all(Array.from({ length: Math.min(plan.rolling, targets.length) }, worker))
  }
  for (const [index, batch] of (plan.rolling !== undefined && !broadcast ? [] : batches).entries()) {
    if (index > 0 && plan.batchSleepMs !== undefined && plan.batchSleepMs > 0) await new Promise(resolve => setTimeout(resolve, plan.batchSleepMs))
    if (!broadcast && batch.length === 0) continue
    // A narrowed selection (limit, batch) is pinned by identity so no other node acts on it.
    const filter: Filter = narrowed && !broadcast ? pinnedFilter(plan.filter, batch) : plan.filter
    const id = await sendAndCollect(link, key, view, plan, filter, broadcast ? undefined : batch, collect, noted)
    if (firstId === '') firstId = id
    hooks.onBatch?.(index + 1, batches.length)
  }

  for (const identity of answered) undelivered.delete(identity)
  const lastSeen: Record<string, number> = {}
  for (const node of gone) lastSeen[node.identity] = node.lastSeen ?? 0
  const known = new Set(selected.map(node => node.identity))
  const unknown = broadcast ? [] : (plan.named ?? []).filter(identity => !known.has(identity)).sort(compareText)
  const missing = [...targets.map(node => node.identity).filter(identity => !answered.has(identity) && !undelivered.has(identity)), ...gone.map(node => node.identity), ...unknown].sort(compareText)
  const ok = replies.filter(reply => reply.status === 0).length
  replies.sort((a, b) => compareText(a.identity, b.identity))
  return {
    request: { id: firstId, agent: plan.agent, action: plan.action, filter: plan.filter },
    replies,
    missing,
    lastSeen,
    unknown,
    undelivered: [...undelivered.values()].sort((a, b) => compareText(a.identity, b.identity)),
    stats: {
      expected: broadcast ? replies.length : targets.length + gone.length + unknown.length,
      responded: replies.length,
      ok,
      failed: replies.length - ok,
      elapsed_ms: Date.now() - started,
      publish_to_last_reply_ms: publishToLast
    }
  }
}

/** The filter narrowed to exactly these nodes (by identity). */
export function pinnedFilter (filter: Filter, nodes: NodeRef[]): Filter {
  return { ...filter, identities: nodes.map(node => ({ exact: node.identity })) }
}

/**
 * Signs and sends one request; calls onReply for each reply from an expected node (or from any
 * node when expected is undefined, i.e. broadcast) until all expected answered or the timeout.
 * Returns the request id.
 */
export async function sendAndCollect (
  link: RequesterLink,
  key: RequesterKey,
  view: MeshView,
  plan: Pick<RequestPlan, 'collective' | 'agent' | 'action' | 'args' | 'ttlSeconds' | 'timeoutMs'>,
  filter: Filter,
  expected: NodeRef[] | undefined,
  onReply: (record: ReplyRecord) => void,
  onUndelivered?: (record: UndeliveredRecord) => void
): Promise<string> {
  const relay = expected === undefined || expected.some(node => node.deliverable !== true)
  const signed = signRequest({
    collective: plan.collective,
    agent: plan.agent,
    action: plan.action,
    args: plan.args,
    filter,
    requester: { peer: view.peer, addrs: view.addrs },
    ttl: plan.ttlSeconds,
    // When the requester delivers to every expected node itself, a node forwarding it too would
    // only send its mesh peers copies they already have (4 of every 5 a node got). Otherwise
    // (broadcast, or a node the requester has no path to) the mesh relays it.
    relay
  }, key)
  const expectedPeers = new Set((expected ?? []).map(node => node.peer))
  const sentAt = Date.now()
  await link.send({
    id: signed.body.id,
    topic: agentTopic(plan.collective, plan.agent),
    bytes: signed.bytes,
    expect: [...expectedPeers],
    timeoutMs: plan.timeoutMs,
    // A request the mesh need not relay goes to its expected nodes alone: published, it also
    // reached every other subscriber to the topic (each bootstrap), which checked its signature
    // only to drop it, ~1 ms of the master's CPU per request.
    direct: expected !== undefined && (!relay || isDirectSelection(filter, expected.length))
  }, (reply, peer, delivery) => {
    if (expected !== undefined && !expectedPeers.has(peer)) return
    if (delivery === 'undelivered') onUndelivered?.({ identity: reply.identity, status: reply.status, statusmsg: reply.statusmsg })
    else onReply({ identity: reply.identity, status: reply.status, statusmsg: reply.statusmsg, data: reply.data, ms: Date.now() - sentAt, via: delivery === 'direct' || delivery === 'relayed' ? delivery : undefined })
  })
  return signed.body.id
}

/** As MCollective's direct addressing: a handful of nodes named exactly are sent to directly, not gossiped. */
export const DIRECT_ADDRESSING_THRESHOLD = 10

function isDirectSelection (filter: Filter, count: number): boolean {
  const onlyExactIdentities = filter.facts.length === 0 && filter.classes.length === 0 && filter.agents.length === 0 &&
    filter.compound === undefined && filter.identities.length > 0 && filter.identities.every(matcher => 'exact' in matcher)
  return onlyExactIdentities && count > 0 && count <= DIRECT_ADDRESSING_THRESHOLD
}
