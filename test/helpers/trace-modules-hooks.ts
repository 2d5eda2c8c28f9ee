// Module hooks of trace-modules.ts (they run on Node's loader thread): each resolved URL, a line.
import { appendFileSync } from 'node:fs'

type NextResolve = (specifier: string, context: unknown) => Promise<{ url: string }>

export async function resolve (specifier: string, context: unknown, nextResolve: NextResolve): Promise<{ url: string }> {
  const result = await nextResolve(specifier, context)
  appendFileSync(process.env.TROUPE_TRACE_MODULES ?? '/dev/null', `${result.url}\n`)
  return result
}
