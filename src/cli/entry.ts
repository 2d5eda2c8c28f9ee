// Where `troupe` starts (bin/troupe.js). The version and the everyday requester commands take
// the lean path (lean.ts); everything else, and anything the lean path is unsure of, the full
// CLI (main.ts). TROUPE_LEAN=0 always takes the full CLI (to compare the two, or to rule the
// lean path out).
import { VERSION } from '../version.js'

const args = process.argv.slice(2)
const lean = process.env.TROUPE_LEAN !== '0'

if (lean && (args[0] === '--version' || args[0] === '-V')) {
  process.stdout.write(`${VERSION}\n`)
} else {
  const invocation = lean ? await (await import('./lean.js')).leanInvocation(args) : undefined
  if (invocation === undefined) {
    await import('./main.js')
  } else {
    const { runAction } = await import('./run.js')
    await runAction(invocation.run)
  }
}
