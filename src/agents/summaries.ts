// Aggregates printed after the replies, as the action's DDL asks (MCollective's summarize).
import type { ActionDDL } from './types.js'
import { compareText } from '../text.js'

export interface SummaryBlock {
  title: string
  /** value -> count, or a single number for sum/average */
  rows: Array<[string, number]>
}

export function summarize (action: ActionDDL, replies: Array<{ status: number, data: Record<string, unknown> }>): SummaryBlock[] {
  const ok = replies.filter(reply => reply.status === 0)
  return (action.summaries ?? []).map(summary => {
    const title = action.outputs[summary.output]?.display_as ?? summary.output
    const values = ok.map(reply => reply.data[summary.output]).filter(value => value !== undefined)
    if (summary.kind === 'summary') {
      const counts = new Map<string, number>()
      for (const value of values) {
        const key = typeof value === 'string' ? value : JSON.stringify(value)
        counts.set(key, (counts.get(key) ?? 0) + 1)
      }
      return { title, rows: [...counts].sort((a, b) => b[1] - a[1] || compareText(a[0], b[0])) }
    }
    const numbers = values.map(Number).filter(Number.isFinite)
    const sum = numbers.reduce((a, b) => a + b, 0)
    return { title, rows: [[summary.kind, summary.kind === 'sum' ? sum : (numbers.length > 0 ? sum / numbers.length : 0)]] }
  })
}

export function renderSummaries (blocks: SummaryBlock[]): string {
  return blocks.filter(block => block.rows.length > 0).map(block => {
    const width = Math.max(...block.rows.map(([key]) => key.length))
    return `Summary of ${block.title}:\n\n` + block.rows.map(([key, count]) => `   ${key.padStart(width)} = ${Number.isInteger(count) ? count : count.toFixed(2)}`).join('\n') + '\n'
  }).join('\n')
}
