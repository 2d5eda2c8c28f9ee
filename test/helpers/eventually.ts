// Waits for something a real process does on its own time (a log line, an audit line, a
// connection): the condition is polled until it holds, and the wait fails naming what it waited for.
export async function eventually (condition: () => boolean | Promise<boolean>, what: string, maxMs = 20_000, everyMs = 100): Promise<void> {
  const deadline = Date.now() + maxMs
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, everyMs))
  }
}
