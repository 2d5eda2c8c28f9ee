// `troupe ca`: a certificate authority for fleets without Puppet's (SPEC.md, "Node identity").
import type { Command } from 'commander'
import { EXIT_OK, UsageError } from '../errors.js'

export function registerCa (program: Command, run: (action: () => Promise<number>) => Promise<void>): void {
  const ca = program.command('ca')
    .description('a certificate authority for node identities, for fleets without Puppet\'s CA')
    .addHelpText('after', `
On Puppet Enterprise, use Puppet's CA instead: ca: /etc/puppetlabs/puppet/ssl/certs/ca.pem,
and each node's own certname certificate and key as cert and cert_key.

Examples:
  troupe ca init --dir /root/troupe-ca
  troupe ca issue --dir /root/troupe-ca --identity web01 --out /tmp/web01   # then copy to web01
  troupe ca issue --dir /root/troupe-ca --identity master --out /etc/troupe  # the bootstrap's`)

  ca.command('init')
    .description('create a CA: DIR/ca.crt (give it to every peer as `ca`) and DIR/ca.key (keep it here, 0600)')
    .requiredOption('--dir <dir>', 'where the CA lives')
    .option('--name <name>', 'the CA certificate\'s common name', 'troupe CA')
    .action(async (flags: { dir: string, name: string }) => {
      await run(async () => {
        const { initCa } = await import('../../security/ca.js')
        const cert = await initCa(flags.dir, flags.name)
        process.stdout.write(`CA certificate: ${cert} (set ca: to a copy of it on every peer)\n`)
        return EXIT_OK
      })
    })

  ca.command('revoke')
    .description('revoke every certificate issued to a node and write DIR/crl.pem (give it to every peer as `crl`)')
    .requiredOption('--dir <dir>', 'the CA directory (from ca init)')
    .requiredOption('--identity <name>', 'the node whose certificates to revoke')
    .action(async (flags: { dir: string, identity: string }) => {
      await run(async () => {
        const { revokeCertificates } = await import('../../security/ca.js')
        const result = await revokeCertificates(flags.dir, flags.identity)
        process.stdout.write(`${flags.identity} revoked; ${result.crl} now lists ${result.revoked} certificate(s): copy it to every peer's crl path (peers re-read it and cut the node off)\n`)
        return EXIT_OK
      })
    })

  ca.command('issue')
    .description('issue a node\'s certificate: OUT/NAME.crt and OUT/NAME.key (cert and cert_key in its config)')
    .requiredOption('--dir <dir>', 'the CA directory (from ca init)')
    .requiredOption('--identity <name>', 'the node\'s identity: its certificate\'s common name')
    .requiredOption('--out <dir>', 'where to write the certificate and its key')
    .option('--days <days>', 'how long the certificate is valid', '1825')
    .action(async (flags: { dir: string, identity: string, out: string, days: string }) => {
      await run(async () => {
        const { issueCertificate } = await import('../../security/ca.js')
        const days = Number(flags.days)
        if (!Number.isInteger(days) || days <= 0) throw new UsageError(`--days must be a whole number above 0, got '${flags.days}'`)
        const files = await issueCertificate(flags.dir, flags.identity, flags.out, days)
        process.stdout.write(`certificate: ${files.cert}\nkey:         ${files.key}\nset cert: and cert_key: to them in ${flags.identity}'s config\n`)
        return EXIT_OK
      })
    })
}
