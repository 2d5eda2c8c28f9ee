import type { Command } from 'commander'
import { existsSync, lstatSync, mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { generateRequesterKey, writeRequesterKey } from '../../security/keys.js'
import { EXIT_OK, UsageError } from '../errors.js'
import { userInfo, hostname } from 'node:os'

export function registerKeygen (program: Command, run: (action: () => Promise<number>) => Promise<void>): void {
  program.command('keygen')
    .description('create an ed25519 requester key (FILE, mode 0600) and FILE.pub, a line fit for authorized_keys')
    .requiredOption('--out <file>', 'where to write the private key')
    .option('--name <name>', 'caller name that policies and audit logs will see', `${userInfo().username}@${hostname()}`)
    .option('--swarm', 'write a private-network swarm key instead (for `swarm_key`)')
    .addHelpText('after', '\nExamples:\n  troupe keygen --out ~/.troupe/caller.key --name alice\n  cat ~/.troupe/caller.key.pub >> /etc/troupe/authorized_keys   # on every node\n  troupe keygen --swarm --out /etc/troupe/swarm.key')
    .action(async (flags: { out: string, name: string, swarm?: boolean }) => {
      await run(async () => {
        for (const path of flags.swarm === true ? [flags.out] : [flags.out, `${flags.out}.pub`]) {
          // lstat, not exists: a dangling symlink planted at the name counts as there.
          if (isThere(path)) throw new UsageError(`${path} already exists; remove it first or choose another --out`)
        }
        // A fresh account has no ~/.troupe yet: create it, private (0700).
        if (!existsSync(dirname(flags.out))) mkdirSync(dirname(flags.out), { recursive: true, mode: 0o700 })
        if (flags.swarm === true) {
          const { writeSwarmKey } = await import('../../security/swarm-key.js')
          writeSwarmKey(flags.out)
          process.stdout.write(`swarm key written to ${flags.out}; copy it to every peer and set swarm_key in their configs\n`)
          return EXIT_OK
        }
        if (/\s/.test(flags.name) || flags.name === '') throw new UsageError('--name must be one word without spaces')
        try {
          writeRequesterKey(flags.out, generateRequesterKey(), flags.name)
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new UsageError(`${flags.out} or ${flags.out}.pub appeared meanwhile; nothing written`)
          throw err
        }
        process.stdout.write(`private key: ${flags.out}\npublic key:  ${flags.out}.pub (append it to authorized_keys on the nodes)\n`)
        return EXIT_OK
      })
    })
}

function isThere (path: string): boolean {
  try {
    lstatSync(path)
    return true
  } catch {
    return false
  }
}
