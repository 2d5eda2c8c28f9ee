// A whole fleet on this machine: a bootstrap and N daemons as separate processes on loopback,
// each with its own config, key, facts and classes in a temporary directory. `troupe demo`
// runs its tour on one, and the integration tests start the real thing the same way.
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, mkdirSync, writeFileSync, rmSync, readFileSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { stringify as toYaml } from 'yaml'
import { generateRequesterKey, writeRequesterKey } from '../security/keys.js'
import { TROUPE_BIN } from '../package-root.js'

export { TROUPE_BIN }

export interface ClusterNodeSpec {
  identity: string
  facts: Record<string, unknown>
  classes: string[]
  /** extra config keys for this daemon */
  config?: Record<string, unknown>
}

export interface ClusterOptions {
  nodes: number | ClusterNodeSpec[]
  dir?: string
  /** extra config keys for every daemon */
  daemonConfig?: Record<string, unknown>
  /** extra config keys for the client config */
  clientConfig?: Record<string, unknown>
  /** extra config keys for the bootstrap */
  bootstrapConfig?: Record<string, unknown>
  /** no CA: node identities unchecked (docs/security.md, "Lab mode"); by default the fleet is enrolled */
  labMode?: boolean
  /** how many bootstraps (named bootstrap, bootstrap2, ...); every config lists them all */
  bootstraps?: number
  /** host on which everything listens (loopback by default) */
  host?: string
  /**
   * Where each process runs and listens, for fleets spread over network namespaces: the address
   * a role listens on, and how to start it there. Defaults: everything on `host`, plain spawn.
   */
  placement?: {
    address: (name: 'bootstrap' | 'requester' | string) => string
    spawn: (name: 'bootstrap' | string, args: string[]) => ChildProcess
    bootstrapPort?: number
  }
}

export interface RunningNode {
  spec: ClusterNodeSpec
  configPath: string
  process: ChildProcess
  /** the daemon's listen addresses, with /p2p/ peer id */
  addrs: string[]
}

export function demoNodeSpecs (count: number): ClusterNodeSpec[] {
  return Array.from({ length: count }, (_, index) => {
    const n = index + 1
    const role = n % 2 === 1 ? 'web' : 'db'
    const env = n % 3 === 0 ? 'dev' : 'prod'
    const identity = `node${String(n).padStart(2, '0')}`
    return {
      identity,
      facts: { role, env, datacenter: n % 2 === 1 ? 'dc1' : 'dc2', node_index: n, os: { family: 'Debian', name: 'Debian' } },
      classes: ['settings', 'profile::base', `role::${role}`]
    }
  })
}

export class LocalCluster {
  readonly nodes = new Map<string, RunningNode>()
  bootstrapProcess: ChildProcess | undefined
  bootstrapAddr = ''
  private bootstrapConfigPath = ''
  /** bootstraps after the first: bootstrap2, bootstrap3, ... */
  readonly moreBootstraps: Array<{ name: string, configPath: string, addr: string, process?: ChildProcess }> = []
  readonly clientConfigPath: string
  readonly callerKeyPath: string
  readonly authorizedKeysPath: string
  /** the fleet's CA (its certificate is `ca` in every config), unless in lab mode */
  readonly caDir: string

  private constructor (readonly dir: string, private readonly options: ClusterOptions) {
    this.clientConfigPath = join(dir, 'client.yaml')
    this.callerKeyPath = join(dir, 'caller.key')
    this.authorizedKeysPath = join(dir, 'authorized_keys')
    this.caDir = join(dir, 'ca')
  }

  get caCertPath (): string {
    return join(this.caDir, 'ca.crt')
  }

  /** Issues a certificate from the fleet's CA (tests use it for impostors too); config keys to use it. */
  async enroll (identity: string, outDir = join(this.dir, 'certs')): Promise<Record<string, string>> {
    if (this.options.labMode === true) return {}
    const { issueCertificate } = await import('../security/ca.js')
    const files = existsSync(join(outDir, `${identity}.crt`)) ? { cert: join(outDir, `${identity}.crt`), key: join(outDir, `${identity}.key`) } : await issueCertificate(this.caDir, identity, outDir)
    return { ca: this.caCertPath, crl: join(this.caDir, 'crl.pem'), cert: files.cert, cert_key: files.key }
  }

  /** Revokes a node's certificates: every peer reads the new CRL and cuts it off. */
  async revoke (identity: string): Promise<void> {
    const { revokeCertificates } = await import('../security/ca.js')
    await revokeCertificates(this.caDir, identity)
  }

  static async start (options: ClusterOptions): Promise<LocalCluster> {
    const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'troupe-cluster-'))
    const cluster = new LocalCluster(dir, options)
    try {
      await cluster.startAll()
    } catch (err) {
      await cluster.stop()
      throw err
    }
    return cluster
  }

  private address (name: string): string {
    return this.options.placement?.address(name) ?? this.options.host ?? '127.0.0.1'
  }

  private spawn (name: string, args: string[]): ChildProcess {
    return this.options.placement?.spawn(name, args) ?? spawnTroupe(args)
  }

  private async startAll (): Promise<void> {
    mkdirSync(this.dir, { recursive: true })
    writeRequesterKey(this.callerKeyPath, generateRequesterKey(), 'demo-operator')
    writeFileSync(this.authorizedKeysPath, readFileSync(`${this.callerKeyPath}.pub`))
    if (this.options.labMode !== true) {
      const { initCa } = await import('../security/ca.js')
      await initCa(this.caDir, 'troupe demo CA')
    }

    const bootstrapConfig = join(this.dir, 'bootstrap.yaml')
    writeFileSync(bootstrapConfig, toYaml({
      listen: [`/ip4/${this.address('bootstrap')}/tcp/${this.options.placement?.bootstrapPort ?? 0}`],
      key: join(this.dir, 'bootstrap.key'),
      log_file: join(this.dir, 'bootstrap.log'),
      authorized_keys: this.authorizedKeysPath,
      ...await this.enroll('bootstrap'),
      ...this.options.bootstrapConfig
    }))
    this.bootstrapConfigPath = bootstrapConfig
    await this.startBootstrap()
    for (let n = 2; n <= (this.options.bootstraps ?? 1); n++) {
      const name = `bootstrap${n}`
      const configPath = join(this.dir, `${name}.yaml`)
      writeFileSync(configPath, toYaml({
        listen: [`/ip4/${this.address(name)}/tcp/${this.options.placement?.bootstrapPort ?? 0}`],
        key: join(this.dir, `${name}.key`),
        log_file: join(this.dir, `${name}.log`),
        authorized_keys: this.authorizedKeysPath,
        ...await this.enroll(name),
        ...this.options.bootstrapConfig
      }))
      this.moreBootstraps.push({ name, configPath, addr: '' })
      await this.startBootstrap(n - 1)
    }

    writeFileSync(this.clientConfigPath, toYaml({
      bootstrap: this.bootstrapAddrs(),
      listen: [`/ip4/${this.address('requester')}/tcp/0`],
      key: join(this.dir, 'requester.key'),
      caller_key: this.callerKeyPath,
      requester_socket: join(this.dir, 'requester.sock'),
      requester_idle: 300,
      ...(this.options.labMode === true ? {} : { ca: this.caCertPath, crl: join(this.caDir, 'crl.pem') }),
      ...this.options.clientConfig
    }))

    const specs = typeof this.options.nodes === 'number' ? demoNodeSpecs(this.options.nodes) : this.options.nodes
    await Promise.all(specs.map(async spec => { await this.startNode(spec) }))
  }

  /** Starts (or restarts) one daemon; resolves when it says it is ready. */
  async startNode (spec: ClusterNodeSpec): Promise<RunningNode> {
    const nodeDir = join(this.dir, spec.identity)
    mkdirSync(nodeDir, { recursive: true })
    writeFileSync(join(nodeDir, 'facts.yaml'), toYaml(spec.facts))
    writeFileSync(join(nodeDir, 'classes.txt'), spec.classes.join('\n') + '\n')
    const configPath = join(nodeDir, 'daemon.yaml')
    writeFileSync(configPath, toYaml({
      identity: spec.identity,
      listen: [`/ip4/${this.address(spec.identity)}/tcp/0`],
      bootstrap: this.bootstrapAddrs(),
      key: join(nodeDir, 'peer.key'),
      authorized_keys: this.authorizedKeysPath,
      facts: join(nodeDir, 'facts.yaml'),
      classes: join(nodeDir, 'classes.txt'),
      log_file: join(nodeDir, 'daemon.log'),
      audit_log: join(nodeDir, 'audit.log'),
      ...await this.enroll(spec.identity),
      ...this.options.daemonConfig,
      ...spec.config
    }))
    const child = this.spawn(spec.identity, ['daemon', '--config', configPath])
    const ready = await firstLine(child, spec.identity)
    const node = { spec, configPath, process: child, addrs: ready.split(' ').filter(word => word.startsWith('/')) }
    this.nodes.set(spec.identity, node)
    return node
  }

  /** SIGKILL: the node vanishes without saying goodbye, as a crashed host would. */
  kill (identity: string): void {
    const node = this.nodes.get(identity)
    node?.process.kill('SIGKILL')
    this.nodes.delete(identity)
  }

  /** Every bootstrap's address, the first one first. */
  bootstrapAddrs (): string[] {
    return [this.bootstrapAddr, ...this.moreBootstraps.map(extra => extra.addr)]
  }

  killBootstrap (index = 0): void {
    if (index > 0) {
      const extra = this.moreBootstraps[index - 1]
      extra?.process?.kill('SIGKILL')
      if (extra !== undefined) extra.process = undefined
      return
    }
    this.bootstrapProcess?.kill('SIGKILL')
    this.bootstrapProcess = undefined
  }

  /** (Re)starts a bootstrap with its config and key (same peer id). */
  async startBootstrap (index = 0): Promise<void> {
    const extra = this.moreBootstraps[index - 1]
    if (index > 0 && extra !== undefined) {
      extra.process = this.spawn(extra.name, ['bootstrap', '--config', extra.configPath])
      extra.addr = await firstLine(extra.process, extra.name)
      return
    }
    this.bootstrapProcess = this.spawn('bootstrap', ['bootstrap', '--config', this.bootstrapConfigPath])
    this.bootstrapAddr = await firstLine(this.bootstrapProcess, 'bootstrap')
  }

  async stop (options: { keepFiles?: boolean } = {}): Promise<void> {
    const { loadConfig } = await import('../config/load.js')
    const { stopRequesterAgent } = await import('../requester/link.js')
    try { await stopRequesterAgent(loadConfig(this.clientConfigPath)) } catch { /* no agent */ }
    const children = [...this.nodes.values()].map(node => node.process)
    if (this.bootstrapProcess !== undefined) children.push(this.bootstrapProcess)
    for (const extra of this.moreBootstraps) if (extra.process !== undefined) children.push(extra.process)
    await Promise.all(children.map(async child => { await stopProcess(child) }))
    this.nodes.clear()
    if (options.keepFiles !== true && this.options.dir === undefined) rmSync(this.dir, { recursive: true, force: true, maxRetries: 5 })
  }
}

export function spawnTroupe (args: string[]): ChildProcess {
  return spawn(process.execPath, [TROUPE_BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
}

/** The first stdout line a service prints is its address (bootstrap) or its ready line (daemon). */
async function firstLine (child: ChildProcess, name: string): Promise<string> {
  return await new Promise((resolve, reject) => {
    let out = ''
    let err = ''
    const timer = setTimeout(() => reject(new Error(`${name} did not start within 30 s: ${err.trim().split('\n').pop() ?? ''}`)), 30_000)
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString()
      const newline = out.indexOf('\n')
      if (newline >= 0) {
        clearTimeout(timer)
        resolve(out.slice(0, newline).trim())
      }
    })
    child.stderr?.on('data', (chunk: Buffer) => { err += chunk.toString() })
    child.once('exit', code => {
      clearTimeout(timer)
      reject(new Error(`${name} exited with code ${code ?? 'signal'}: ${err.trim().split('\n').pop() ?? ''}`))
    })
  })
}

async function stopProcess (child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  await new Promise<void>(resolve => {
    const timer = setTimeout(() => { child.kill('SIGKILL') }, 3000)
    child.once('exit', () => { clearTimeout(timer); resolve() })
    child.kill('SIGTERM')
  })
}
