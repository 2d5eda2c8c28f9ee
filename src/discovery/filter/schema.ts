// Validates a filter read from the network (inside a signed request): bounded in size and depth.
import { z } from 'zod'
import type { Expr, Filter } from './types.js'

const text = z.string().max(1024)
const matcherSchema = z.union([z.object({ exact: text }).strict(), z.object({ regex: text }).strict()])
const factTestSchema = z.object({ fact: z.string().min(1).max(256), op: z.enum(['=', '!=', '<', '>', '<=', '>=', '=~']), value: text }).strict()

const MAX_DEPTH = 32

const exprSchema: z.ZodType<Expr> = z.lazy(() => z.union([
  z.object({ kind: z.literal('fact'), test: factTestSchema }).strict(),
  z.object({ kind: z.literal('class'), match: matcherSchema }).strict(),
  z.object({ kind: z.literal('and'), left: exprSchema, right: exprSchema }).strict(),
  z.object({ kind: z.literal('or'), left: exprSchema, right: exprSchema }).strict(),
  z.object({ kind: z.literal('not'), expr: exprSchema }).strict()
]))

function depth (expr: Expr): number {
  switch (expr.kind) {
    case 'fact':
    case 'class': return 1
    case 'not': return 1 + depth(expr.expr)
    default: return 1 + Math.max(depth(expr.left), depth(expr.right))
  }
}

/** Depth is checked on the raw JSON before zod recurses, so a hostile nesting cannot exhaust the stack. */
function rawDepth (value: unknown, limit: number): number {
  if (limit <= 0) return Infinity
  if (value === null || typeof value !== 'object') return 0
  let deepest = 0
  for (const child of Object.values(value)) deepest = Math.max(deepest, rawDepth(child, limit - 1))
  return 1 + deepest
}

export const filterSchema: z.ZodType<Filter> = z.custom<unknown>(value => rawDepth(value, MAX_DEPTH * 3 + 4) <= MAX_DEPTH * 3 + 3, 'filter nested too deeply')
  .pipe(z.object({
    facts: z.array(factTestSchema).max(64),
    classes: z.array(matcherSchema).max(64),
    identities: z.array(matcherSchema).max(64),
    agents: z.array(matcherSchema).max(64),
    compound: exprSchema.refine(expr => depth(expr) <= MAX_DEPTH, 'expression nested too deeply').optional()
  }).strict()) as unknown as z.ZodType<Filter>
