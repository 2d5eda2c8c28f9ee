// Validation of DDL files (external agents' NAME.json): a bad file is refused with one line.
import { z } from 'zod'
import type { AgentDDL } from './types.js'

function isValidRegex (source: string): boolean {
  try {
    RegExp(source)
    return true
  } catch {
    return false
  }
}

const inputSchema = z.object({
  description: z.string(),
  type: z.enum(['string', 'integer', 'number', 'boolean', 'list']),
  optional: z.boolean().optional(),
  default: z.union([z.string(), z.number(), z.boolean(), z.array(z.string())]).optional(),
  pattern: z.string().refine(isValidRegex, 'not a valid regex').optional(),
  shellsafe: z.boolean().optional(),
  enum: z.array(z.union([z.string(), z.number()])).optional(),
  minLength: z.number().int().nonnegative().optional(),
  maxLength: z.number().int().positive().optional(),
  minimum: z.number().optional(),
  maximum: z.number().optional(),
  secret: z.boolean().optional(),
  prompt: z.string().optional()
}).strict()

const actionSchema = z.object({
  description: z.string(),
  display: z.enum(['ok', 'failed', 'always']).optional(),
  inputs: z.record(inputSchema).default({}),
  outputs: z.record(z.object({ description: z.string(), display_as: z.string(), default: z.unknown().optional() }).strict()).default({}),
  summaries: z.array(z.object({ output: z.string(), kind: z.enum(['summary', 'sum', 'average']) }).strict()).optional(),
  timeout: z.number().positive().max(86400).optional()
}).strict()

export const agentDDLSchema = z.object({
  metadata: z.object({
    name: z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, 'lower-case letters, digits and _'),
    description: z.string(),
    author: z.string(),
    license: z.string(),
    version: z.string(),
    url: z.string().optional(),
    timeout: z.number().positive().max(86400)
  }).strict(),
  actions: z.record(actionSchema)
}).strict()

export function parseAgentDDL (raw: unknown): AgentDDL {
  return agentDDLSchema.parse(raw) as AgentDDL
}
