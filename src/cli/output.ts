// Human output shared by requester commands: the closing summary, the failed and missing nodes.
import type { RequestResult } from '../requester/session.js'
import type { Filter } from '../discovery/filter/types.js'
import { EXIT_FAILED, EXIT_OK } from './errors.js'

export function isEmptyFilter (filter: Filter): boolean {
  return filter.facts.length === 0 && filter.classes.length === 0 && filter.identities.length === 0 && filter.agents.length === 0 && filter.compound === undefined
}

/** "12 s", "3 min", "5 h", "2 days" ago. */
export function ago (ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000))
  if (seconds < 120) return `${seconds} s ago`
  if (seconds < 7200) return `${Math.round(seconds / 60)} min ago`
  if (seconds < 172_800) return `${Math.round(seconds / 3600)} h ago`
  return `${Math.round(seconds / 86400)} days ago`
}

/** The closing lines: the summary, then each failed node with its status and message, then each missing node. */
export function summaryLines (result: RequestResult, context: { filtered: boolean, now?: number }): string[] {
  if (result.stats.expected === 0) {
    return [context.filtered
      ? 'No matching nodes: nothing was sent (check the filter, and `troupe find` for who is there)'
      : `No matching nodes: no node in the directory serves agent ${result.request.agent} (\`troupe find -A ${result.request.agent}\`)`]
  }
  const lines = [`Finished processing ${result.stats.responded} / ${result.stats.expected} hosts in ${result.stats.elapsed_ms} ms`]
  const failed = result.replies.filter(reply => reply.status !== 0)
  if (failed.length > 0) {
    lines.push(`Failed: ${failed.length} (status other than OK)`)
    for (const reply of failed) lines.push(`   ${reply.identity}: status ${reply.status}, ${reply.statusmsg === '' ? '(no message)' : reply.statusmsg}`)
  }
  if (result.missing.length > 0) {
    lines.push(`No response from: ${result.missing.join(' ')}`)
    const now = context.now ?? Date.now()
    for (const identity of result.missing) {
      const seen = result.lastSeen[identity]
      if (seen !== undefined) lines.push(`   ${identity}: missing (last seen ${ago(now - seen)}; \`troupe directory purge ${identity}\` if it is gone for good)`)
      else if (result.unknown.includes(identity)) lines.push(`   ${identity}: not in the directory`)
    }
  }
  // The node acted: running the action again is not the fix (docs/configuration.md, "Firewall").
  const undelivered = result.undelivered ?? []
  if (undelivered.length > 0) lines.push(`Acted, but the reply could not reach this requester: ${undelivered.map(node => `${node.identity} (${node.statusmsg})`).join(' ')}`)
  return lines
}

export function exitCodeFor (result: RequestResult): number {
  const allAnswered = result.stats.expected > 0 && result.missing.length === 0 && (result.undelivered ?? []).length === 0 && result.stats.failed === 0
  return allAnswered ? EXIT_OK : EXIT_FAILED
}

export function jsonDocument (result: RequestResult): string {
  return JSON.stringify({ request: result.request, replies: result.replies, missing: result.missing, undelivered: result.undelivered ?? [], ...missingDetail(result), stats: result.stats })
}

/** For --json: when each missing node past expiry was last seen (ISO 8601), and which named nodes the directory lacks. */
export function missingDetail (result: RequestResult): { last_seen?: Record<string, string>, unknown?: string[] } {
  const detail: { last_seen?: Record<string, string>, unknown?: string[] } = {}
  if (Object.keys(result.lastSeen).length > 0) detail.last_seen = Object.fromEntries(Object.entries(result.lastSeen).map(([identity, at]) => [identity, new Date(at).toISOString()]))
  if (result.unknown.length > 0) detail.unknown = result.unknown
  return detail
}

export function pad (text: string, width: number): string {
  return text.length >= width ? text : text + ' '.repeat(width - text.length)
}
