// One requester command's work: pick the expected nodes from the directory, sign and send the
// request (in batches if asked), collect replies until every expected node answered or the
// timeout passed, and report who did not answer.
import { matchesFilter } from '../discovery/filter/index.js'
import type { Filter } from '../discovery/filter/types.js'
import { nodeView } from '../discovery/directory.js'
import { applyLimit, inBatches, type parseLimit } from '../discovery/select.js'
import type { RequesterKey } from '../security/keys.js'
import { agentTopic } from '../transport/topics.js'
import { signRequest } from '../wire/request.js'
import type { Registration } from '../wire/registration.js'
import type { MeshView, RequesterLink } from './link.js'

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
  batchSleepMs?: number
}

export interface ReplyRecord {
  identity: string
  status: number
  statusmsg: string
  data: Record<string, unknown>
  ms: number
}

export interface RequestResult {
  request: { id: string, agent: string, action: string, filter: Filter }
  replies: ReplyRecord[]
  missing: string[]
  stats: { expected: number, responded: number, ok: number, failed: number, elapsed_ms: number, publish_to_last_reply_ms: number }
}

export interface SessionHooks {
  onReply?: (reply: ReplyRecord) => void
  onBatch?: (done: number, total: number) => void
}

export function expectedNodes (view: MeshView, plan: Pick<RequestPlan, 'agent' | 'filter'>): Registration[] {
  return view.nodes.filter(node => node.agents.includes(plan.agent) && matchesFilter(plan.filter, nodeView(node)))
}

export async function runRequest (link: RequesterLink, key: RequesterKey, plan: RequestPlan, hooks: SessionHooks = {}): Promise<RequestResult> {
  const started = Date.now()
  const view = await link.hello()
  const broadcast = plan.discovery === 'broadcast'
  let targets = broadcast ? [] : expectedNodes(view, plan)
  if (plan.limit !== undefined && !broadcast) targets = applyLimit(targets, plan.limit, plan.limitSeed)
  const narrowed = plan.limit !== undefined || plan.batchSize !== undefined
  const batches = broadcast || plan.batchSize === undefined ? [targets] : inBatches(targets, plan.batchSize)

  const replies: ReplyRecord[] = []
  const answered = new Set<string>()
  let firstId = ''
  let publishToLast = 0
  for (const [index, batch] of batches.entries()) {
    if (index > 0 && plan.batchSleepMs !== undefined && plan.batchSleepMs > 0) await new Promise(resolve => setTimeout(resolve, plan.batchSleepMs))
    // A narrowed selection (limit, batch) is pinned by identity so no other node acts on it.
    const filter: Filter = narrowed && !broadcast ? { ...plan.filter, identities: batch.map(node => ({ exact: node.identity })) } : plan.filter
    if (!broadcast && batch.length === 0) continue
    const signed = signRequest({
      collective: plan.collective,
      agent: plan.agent,
      action: plan.action,
      args: plan.args,
      filter,
      requester: { peer: view.peer, addrs: view.addrs },
      ttl: plan.ttlSeconds
    }, key)
    if (firstId === '') firstId = signed.body.id
    const expectedPeers = new Map(batch.map(node => [node.peer, node.identity]))
    const sentAt = Date.now()
    await link.send({
      id: signed.body.id,
      topic: agentTopic(plan.collective, plan.agent),
      bytes: signed.bytes,
      expect: [...expectedPeers.keys()],
      timeoutMs: plan.timeoutMs
    }, (reply, peer) => {
      if (answered.has(reply.identity)) return
      if (!broadcast && !expectedPeers.has(peer)) return
      answered.add(reply.identity)
      const record: ReplyRecord = { identity: reply.identity, status: reply.status, statusmsg: reply.statusmsg, data: reply.data, ms: Date.now() - sentAt }
      publishToLast = Math.max(publishToLast, record.ms)
      replies.push(record)
      hooks.onReply?.(record)
    })
    hooks.onBatch?.(index + 1, batches.length)
  }

  const missing = targets.map(node => node.identity).filter(identity => !answered.has(identity)).sort()
  const ok = replies.filter(reply => reply.status === 0).length
  replies.sort((a, b) => a.identity.localeCompare(b.identity))
  return {
    request: { id: firstId, agent: plan.agent, action: plan.action, filter: plan.filter },
    replies,
    missing,
    stats: {
      expected: broadcast ? replies.length : targets.length,
      responded: replies.length,
      ok,
      failed: replies.length - ok,
      elapsed_ms: Date.now() - started,
      publish_to_last_reply_ms: publishToLast
    }
  }
}
