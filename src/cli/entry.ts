// Where `troupe` starts: the launcher (bin/troupe.js) loads this module, from a bundle or the
// compiled tree, and calls main(). The version and the everyday requester commands take the lean
// path (lean.ts); everything else, and anything the lean path is unsure of, the full CLI
// (main.ts). TROUPE_LEAN=0 always takes the full CLI (to compare the two, or to rule the lean path
// out). An exported function, not top-level code: the requester commands' bundle is CommonJS
// (packaging/bundles.ts), which has no top-level await.
import { VERSION } from '../version.js'

export async function main (): Promise<void> {
  const args = process.argv.slice(2)
  const lean = process.env.TROUPE_LEAN !== '0'
  if (lean && (args[0] === '--version' || args[0] === '-V')) {
    process.stdout.write(`${VERSION}\n`)
    return
  }
  const invocation = lean ? await (await import('./lean.js')).leanInvocation(args) : undefined
  if (invocation === undefined) {
    await import('./main.js')
  } else {
    const { runAction } = await import('./run.js')
    await runAction(invocation.run)
  }
}
