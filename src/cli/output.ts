// Human output shared by requester commands: the closing summary and the missing nodes.
import type { RequestResult } from '../requester/session.js'
import { EXIT_FAILED, EXIT_OK } from './errors.js'

export function summaryLines (result: RequestResult): string[] {
  if (result.stats.expected === 0) return ['No matching nodes: nothing was sent (check the filter, and `troupe find` for who is there)']
  const lines = [`Finished processing ${result.stats.responded} / ${result.stats.expected} hosts in ${result.stats.elapsed_ms} ms`]
  if (result.stats.failed > 0) lines.push(`Failed: ${result.stats.failed} (status other than OK)`)
  if (result.missing.length > 0) lines.push(`No response from: ${result.missing.join(' ')}`)
  return lines
}

export function exitCodeFor (result: RequestResult): number {
  const allAnswered = result.stats.expected > 0 && result.missing.length === 0 && result.stats.failed === 0
  return allAnswered ? EXIT_OK : EXIT_FAILED
}

export function jsonDocument (result: RequestResult): string {
  return JSON.stringify({ request: result.request, replies: result.replies, missing: result.missing, stats: result.stats })
}

export function pad (text: string, width: number): string {
  return text.length >= width ? text : text + ' '.repeat(width - text.length)
}
