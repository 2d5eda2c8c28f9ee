/** Reads a fact by name; dotted names reach into nested facts (`os.family`). */
export function factValue (facts: Record<string, unknown>, name: string): unknown {
  if (Object.hasOwn(facts, name)) return facts[name]
  let current: unknown = facts
  for (const part of name.split('.')) {
    if (current === null || typeof current !== 'object' || !Object.hasOwn(current, part)) return undefined
    current = (current as Record<string, unknown>)[part]
  }
  return current
}
