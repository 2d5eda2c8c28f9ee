// Where `troupe` starts: the launcher (bin/troupe.js) loads this module, from a bundle or the
// compiled tree, and calls main(). The everyday requester commands take the lean path (lean.ts);
// everything else, and anything the lean path is unsure of, the full CLI (main.ts). TROUPE_LEAN=0
// always takes the full CLI (to compare the two, or to rule the lean path out). The version the
// launcher prints itself; a version flag that reaches here goes to the full CLI (lean.ts leaves it
// there). An exported function, not top-level code: both bundles are CommonJS (packaging/bundles.ts),
// which has no top-level await.
export async function main (): Promise<void> {
  const args = process.argv.slice(2)
  const invocation = process.env.TROUPE_LEAN !== '0' ? await (await import('./lean.js')).leanInvocation(args) : undefined
  if (invocation === undefined) {
    await (await import('./main.js')).runCli()
  } else {
    const { runAction } = await import('./run.js')
    await runAction(invocation.run)
  }
}
