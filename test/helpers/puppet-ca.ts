// A stand-in for the Puppet CA, made with openssl: a Puppet-shaped ssl directory (certs/ca.pem,
// certs/NAME.pem, private_keys/NAME.pem, public_keys/NAME.pem) holding a CA and one certificate
// per certname, as `puppet ssl bootstrap` leaves on each agent (RSA keys, CN = certname, the
// certname as a DNS alt name, server and client auth).
import { execFileSync } from 'node:child_process'
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

function openssl (args: string[]): void {
  execFileSync('openssl', args, { stdio: ['ignore', 'pipe', 'pipe'] })
}

export function makePuppetSsldir (ssldir: string, certnames: string[]): string {
  for (const dir of ['certs', 'private_keys', 'public_keys', 'ca']) mkdirSync(join(ssldir, dir), { recursive: true, mode: 0o755 })
  chmodSync(join(ssldir, 'private_keys'), 0o750)
  const caKey = join(ssldir, 'ca', 'ca_key.pem')
  const caCert = join(ssldir, 'certs', 'ca.pem')
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', caKey, '-out', caCert, '-days', '30',
    '-subj', '/CN=Puppet CA: test stand-in', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'])
  for (const name of certnames) {
    const key = join(ssldir, 'private_keys', `${name}.pem`)
    const csr = join(ssldir, 'ca', `${name}.csr`)
    const ext = join(ssldir, 'ca', `${name}.ext`)
    openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', csr, '-subj', `/CN=${name}`])
    chmodSync(key, 0o640)
    writeFileSync(ext, `subjectAltName=DNS:${name}\nextendedKeyUsage=serverAuth,clientAuth\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n`)
    openssl(['x509', '-req', '-in', csr, '-CA', caCert, '-CAkey', caKey, '-CAcreateserial', '-out', join(ssldir, 'certs', `${name}.pem`), '-days', '30', '-extfile', ext])
    openssl(['pkey', '-in', key, '-pubout', '-out', join(ssldir, 'public_keys', `${name}.pem`)])
  }
  return ssldir
}
