// The lean path (src/cli/lean.ts) parses the everyday requester command lines without commander.
// Whatever it takes, it must read exactly as commander does (the same command, words and
// options); whatever it is unsure of, it leaves to the full CLI. Here both parse the same lines:
// a list of everyday ones (which the lean path must take) and many generated ones.
import assert from 'node:assert/strict'
import fc from 'fast-check'
import type { Command } from 'commander'
import { buildProgram } from '../../src/cli/program.js'
import { leanInvocation } from '../../src/cli/lean.js'

interface Reading { path: string[], positional: unknown[], flags: Record<string, unknown> }

/** commander's reading of a command line: what the action would get, or undefined for help, version or a usage error. */
async function commanderReading (argv: string[]): Promise<Reading | undefined> {
  const idle = async (): Promise<void> => {}
  const program = buildProgram(idle, idle, { writeOut: () => {}, writeErr: () => {}, outputError: () => {} })
  let reading: Reading | undefined
  program.hook('preAction', (_root: Command, command: Command) => {
    const path: string[] = []
    for (let at: Command | null = command; at !== null && at !== program; at = at.parent) path.unshift(at.name())
    reading = { path, positional: [...command.processedArgs], flags: { ...command.opts() } }
  })
  try {
    await program.parseAsync(['node', 'troupe', ...argv])
  } catch {
    return undefined
  }
  return reading
}

async function leanReading (argv: string[]): Promise<Reading | undefined> {
  const invocation = await leanInvocation(argv)
  return invocation === undefined ? undefined : { path: [...invocation.path], positional: invocation.positional, flags: { ...invocation.flags } }
}

const EVERYDAY: string[][] = [
  ['ping'],
  ['ping', '--json', '--config', '/etc/troupe/client.yaml'],
  ['ping', '-F', 'role=web', '-I', 'node01', '-I', 'node02', '--timeout', '2'],
  ['ping', '-T', 'main', '--dm', 'broadcast', '--ttl=30', '-v'],
  ['ping', '--nodes', '-', '--np', '--batch', '2', '--batch-sleep=0'],
  ['ping', '-1', '--limit-seed', '3', '--with-fact', 'env=prod', '--wc', 'role::web'],
  ['ping', '--limit', '50%', '-W', 'role::web env=prod', '-A', 'puppet'],
  ['rpc', 'rpcutil', 'ping'],
  ['rpc', 'package', 'status', 'package=openssl', '-C', 'role::web', '--display', 'all'],
  ['rpc', 'service', 'restart', 'service=nginx', '--batch', '5', '--batch-sleep', '2', '-j'],
  ['find', '-S', 'role=web and not env=dev', '--json'],
  ['find', '--dm', 'broadcast', '-F', 'uptime_seconds>3600', '-t', '3'],
  ['facts', 'role', '-v', '-C', 'profile::base'],
  ['inventory', 'node01', '--json'],
  ['puppet', 'status', '-F', 'role=web'],
  ['puppet', 'count'],
  ['puppet', 'summary', '--json'],
  ['puppet', 'enable', '-I', 'node03'],
  ['puppet', 'disable', 'deploy in progress', '-I', 'node01'],
  ['puppet', 'disable', '--json']
]

describe('the lean CLI path reads command lines as commander does', () => {
  for (const argv of EVERYDAY) {
    it(`takes: troupe ${argv.join(' ')}`, async () => {
      const lean = await leanReading(argv)
      assert.ok(lean !== undefined, 'the lean path takes this line')
      assert.deepEqual(lean, await commanderReading(argv))
    })
  }

  const LEFT_TO_COMMANDER: string[][] = [
    ['ping', '--help'], ['ping', '-h'], ['ping', '-V'], ['ping', '-S', '--version'], ['ping', 'junk'], ['rpc', 'rpcutil'],
    ['ping', '--dm', 'nearby'], ['ping', '-t'], ['ping', '--bogus'], ['ping', '-jv'], ['ping', '-Frole=web'], ['ping', '--', 'x'],
    ['ping', '--json=yes'], ['find', '--batch', '2'], ['inventory', 'node01', '--display', 'all'], ['puppet', 'runonce'],
    ['puppet', 'disable', 'deploy', 'running'], ['facts'], ['doctor'], ['help', 'ping'], []
  ]
  for (const argv of LEFT_TO_COMMANDER) {
    it(`leaves to the full CLI: troupe ${argv.join(' ')}`, async () => {
      assert.equal(await leanReading(argv), undefined)
    })
  }

  it('never reads a generated command line otherwise than commander', async function () {
    this.timeout(120_000)
    const commands = fc.constantFrom(['ping'], ['rpc'], ['rpc', 'rpcutil'], ['rpc', 'rpcutil', 'ping'], ['find'], ['facts'], ['inventory'], ['puppet', 'status'], ['puppet', 'count'], ['puppet', 'disable'], ['puppet', 'enable'])
    const token = fc.oneof(
      fc.constantFrom('--config', '-j', '--json', '-T', '--collective', '-v', '--verbose', '-t', '--timeout', '--ttl', '--dm', '-F', '--wf', '-C', '--wc', '-I',
        '--wi', '-A', '--wa', '-W', '--with', '-S', '--select', '--with-fact', '--with-class', '--with-identity', '--with-agent', '--nodes', '--limit', '-1',
        '--one', '--limit-seed', '--batch', '--batch-sleep', '--np', '--no-progress', '--display', '--progress', '--no-json'),
      fc.constantFrom('directory', 'broadcast', 'all', 'ok', 'failed', 'role=web', 'node01', 'x=1', '-', '', '5', '-5', '--', '-h', '--help', '-V', '-Vx', '--version',
        '-jv', '-vj', '-Frole=web', '-1j', '--dm=broadcast', '--dm=nearby', '--json=1', '--ttl=', '--bogus', '-Z', '--config=/x', '--np=1'),
      fc.string({ maxLength: 4 })
    )
    await fc.assert(fc.asyncProperty(commands, fc.array(token, { maxLength: 8 }), async (command, rest) => {
      const argv = [...command, ...rest]
      const lean = await leanReading(argv)
      if (lean !== undefined) assert.deepEqual(lean, await commanderReading(argv), `troupe ${JSON.stringify(argv)}`)
    }), { numRuns: 3000 })
  })
})
