import type { Command } from 'commander'
import { addRequesterOptions, REQUEST_GROUPS, type RequesterFlags } from '../requester-options.js'
import { executeRequest } from '../run-request.js'
import { pad } from '../output.js'

export function registerPing (program: Command, run: (action: () => Promise<number>) => Promise<void>): void {
  addRequesterOptions(program.command('ping'), REQUEST_GROUPS)
    .description('every matching node answers; prints its identity and round-trip time')
    .addHelpText('after', '\nExamples:\n  troupe ping\n  troupe ping -F role=web --json\n  troupe ping -I /^db/ --timeout 2')
    .action(async (flags: RequesterFlags) => { await run(async () => await ping(flags)) })
}

export async function ping (flags: RequesterFlags): Promise<number> {
  return await executeRequest(flags, {
    agent: 'rpcutil',
    action: 'ping',
    args: {},
    // A node that refused (a revoked key, a policy) is not a healthy node: its line says so.
    // -v: whether the reply came over a direct connection or through a relay (bootstrap).
    onReply: reply => process.stdout.write(reply.status === 0
      ? `${pad(reply.identity, 40)} time=${reply.ms} ms${flags.verbose === true && reply.via !== undefined ? ` ${reply.via}` : ''}\n`
      : `${pad(reply.identity, 40)} FAILED status=${reply.status} ${reply.statusmsg === '' ? '(no message)' : reply.statusmsg}\n`),
    render: result => {
      const times = result.replies.filter(reply => reply.status === 0).map(reply => reply.ms)
      if (times.length === 0) return
      const avg = times.reduce((a, b) => a + b, 0) / times.length
      process.stdout.write(`\n---- ping statistics ----\n${times.length} replies max: ${Math.max(...times)} ms min: ${Math.min(...times)} ms avg: ${avg.toFixed(1)} ms\n`)
    }
  })
}
