// `troupe demo`: a local fleet (bootstrap + daemons as real processes on loopback) and a short
// tour of the real commands against it. Needs nothing but Node and `npm ci`.
import type { Command } from 'commander'
import { spawnSync } from 'node:child_process'
import { EXIT_FAILED, EXIT_OK, UsageError } from '../errors.js'
import { positiveInteger } from '../requester-options.js'

interface TourStep {
  title: string
  args: string[]
}

export function registerDemo (program: Command, run: (action: () => Promise<number>) => Promise<void>): void {
  program.command('demo')
    .description('start a local fleet (bootstrap + daemons on loopback) and run a short tour; no config needed')
    .option('--keep', 'leave the fleet running and print the --config to use with other commands')
    .option('--nodes <N>', 'number of daemons', '5')
    .option('--stop', 'stop the fleet that `troupe demo --keep` left running')
    .action(async (flags: { keep?: boolean, nodes: string, stop?: boolean }) => {
      await run(async () => {
        if (flags.stop === true) {
          if (flags.keep === true) throw new UsageError('--stop and --keep: give one of them')
          const { stopKeptDemo } = await import('../../demo/kept.js')
          process.stdout.write(await stopKeptDemo() + '\n')
          return EXIT_OK
        }
        const count = positiveInteger(flags.nodes, '--nodes') ?? 5
        if (count > 100) throw new UsageError('--nodes: at most 100 on one machine')
        const { LocalCluster, TROUPE_BIN } = await import('../../demo/local-cluster.js')
        process.stdout.write(`Starting a bootstrap and ${count} daemons on 127.0.0.1 ...\n`)
        const started = Date.now()
        const cluster = await LocalCluster.start({ nodes: count })
        process.stdout.write(`Fleet up in ${Date.now() - started} ms (files in ${cluster.dir})\n`)
        const config = cluster.clientConfigPath
        const tour: TourStep[] = [
          { title: 'Who is there (stops as soon as every node has answered)', args: ['ping'] },
          { title: 'Select by fact, from the node directory (no discovery wait)', args: ['find', '-F', 'role=web'] },
          { title: 'Compound filter over facts and classes', args: ['find', '-S', 'role::db or env=dev'] },
          { title: 'An action with its output, as JSON for scripts', args: ['rpc', 'rpcutil', 'ping', '-I', 'node01', '--json'] },
          { title: "The Puppet agent's status (reports what it finds on this machine)", args: ['puppet', 'status', '-F', 'role=web'] }
        ]
        let failures = 0
        for (const step of tour) {
          process.stdout.write(`\n== ${step.title}\n$ troupe ${step.args.join(' ')}\n`)
          const result = spawnSync(process.execPath, [TROUPE_BIN, ...step.args, '--config', config], { encoding: 'utf8', timeout: 60_000 })
          process.stdout.write(result.stdout)
          if (result.stderr !== '') process.stdout.write(result.stderr)
          if (result.status === 2) failures += 1
        }
        if (flags.keep === true) {
          const { recordKeptDemo } = await import('../../demo/kept.js')
          const children = [cluster.bootstrapProcess, ...[...cluster.nodes.values()].map(node => node.process)]
          recordKeptDemo(cluster.dir, config, children.map(child => child?.pid).filter((pid): pid is number => pid !== undefined))
          process.stdout.write(`\nThe fleet keeps running. Use it with:\n  npx troupe ping --config ${config}\nStop it with:\n  npx troupe demo --stop\n`)
          for (const child of children) child?.unref()
          return failures === 0 ? EXIT_OK : EXIT_FAILED
        }
        await cluster.stop()
        process.stdout.write('\nFleet stopped. Run `troupe demo --keep` to keep it and try your own commands.\n')
        return failures === 0 ? EXIT_OK : EXIT_FAILED
      })
    })
}
