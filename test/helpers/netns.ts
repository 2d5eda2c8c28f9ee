// A fleet of hosts on one machine: Linux network namespaces joined by veth pairs to a bridge
// that lives in its own "switch" namespace, so every connection crosses a real network stack
// and the root namespace is left alone. Everything it makes is named with one prefix and is
// removed by destroy(), by process exit handlers, and by the next create() if a run crashed.
//
// Firewalls are nftables rulesets inside a host's namespace (firewall()): Puppet Enterprise's
// rule for orchestration is that nodes only ever dial the master's TCP 61613, so a PE host
// accepts no inbound connection and the master accepts only 61613. A host can also sit behind a
// masquerading NAT router namespace (its own private subnet, the router on the bridge).
import { execFileSync, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process'

function ip (...args: string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
}

function nft (ns: string, ruleset: string): void {
  execFileSync('ip', ['netns', 'exec', ns, 'nft', '-f', '-'], { input: ruleset, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] })
}

/** True when nftables can be driven here (Debian's `nftables` package, root). */
export function nftAvailable (): boolean {
  try {
    execFileSync('nft', ['--version'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

export interface FleetOptions {
  /** more hosts on the bridge, by name (a second master, say); addresses follow host N's */
  extraHosts?: string[]
  /** hosts placed behind a masquerading NAT router instead of on the bridge */
  natted?: string[]
}

export class NetnsFleet {
  private readonly children = new Set<ChildProcess>()
  private readonly onExit = (): void => this.destroySync()
  readonly switchNs: string
  readonly hosts: string[]

  private readonly natted: Set<string>

  private constructor (readonly prefix: string, hostNames: string[], private readonly subnet: string, natted: string[] = []) {
    this.switchNs = `${prefix}sw`
    this.hosts = hostNames
    this.natted = new Set(natted)
  }

  /** True when namespaces, veth pairs and bridges can be made here (root on Linux). */
  static available (): boolean {
    const probe = `trpprobe${process.pid % 100000}`
    try {
      ip('netns', 'add', probe)
      ip('-n', probe, 'link', 'add', 'br0', 'type', 'bridge')
      ip('-n', probe, 'link', 'add', 'va', 'type', 'veth', 'peer', 'name', 'vb')
      return true
    } catch {
      return false
    } finally {
      try { ip('netns', 'del', probe) } catch { /* was not made */ }
    }
  }

  /** Hosts are `master` and `host1..hostN`; addresses 10.213.S.1 (master) and 10.213.S.(10+i). */
  static create (hostCount: number, options: FleetOptions = {}): NetnsFleet {
    const tag = process.pid % 10000
    const prefix = `trp${tag}`
    NetnsFleet.removeLeftovers(prefix)
    const fleet = new NetnsFleet(prefix, ['master', ...Array.from({ length: hostCount }, (_, i) => `host${i + 1}`), ...(options.extraHosts ?? [])], `10.213.${tag % 250}`, options.natted)
    process.once('exit', fleet.onExit)
    try {
      fleet.build()
    } catch (err) {
      fleet.destroySync()
      throw err
    }
    return fleet
  }

  private static removeLeftovers (prefix: string): void {
    for (const line of ip('netns', 'list').split('\n')) {
      const name = line.split(' ')[0] ?? ''
      if (name.startsWith(prefix)) try { ip('netns', 'del', name) } catch { /* gone */ }
    }
  }

  private build (): void {
    ip('netns', 'add', this.switchNs)
    ip('-n', this.switchNs, 'link', 'add', 'br0', 'type', 'bridge')
    ip('-n', this.switchNs, 'link', 'add', 'br1', 'type', 'bridge')
    ip('-n', this.switchNs, 'link', 'set', 'br0', 'up')
    ip('-n', this.switchNs, 'link', 'set', 'br1', 'up')
    this.hosts.forEach((host, index) => {
      const ns = this.namespace(host)
      ip('netns', 'add', ns)
      ip('-n', ns, 'link', 'set', 'lo', 'up')
      if (this.natted.has(host)) {
        this.buildNat(host, index)
        return
      }
      ip('-n', this.switchNs, 'link', 'add', `p${index}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns)
      ip('-n', this.switchNs, 'link', 'set', `p${index}`, 'master', 'br0', 'up')
      ip('-n', ns, 'addr', 'add', `${this.address(host)}/24`, 'dev', 'eth0')
      ip('-n', ns, 'link', 'set', 'eth0', 'up')
    })
  }

  /**
   * The host gets 192.168.(100 + N).2 on a link to its own router namespace, which sits on the bridge at
   * the address the host would have had and masquerades everything the host sends out: the
   * host reaches everyone, nobody can open a connection to it.
   */
  private buildNat (host: string, index: number): void {
    const ns = this.namespace(host)
    const router = this.routerNamespace(host)
    ip('netns', 'add', router)
    ip('-n', router, 'link', 'set', 'lo', 'up')
    ip('-n', this.switchNs, 'link', 'add', `p${index}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', router)
    ip('-n', this.switchNs, 'link', 'set', `p${index}`, 'master', 'br0', 'up')
    ip('-n', router, 'addr', 'add', `${this.subnet}.${10 + index}/24`, 'dev', 'eth0')
    ip('-n', router, 'link', 'set', 'eth0', 'up')
    ip('-n', router, 'link', 'add', 'in0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns)
    ip('-n', router, 'addr', 'add', `192.168.${100 + index}.1/24`, 'dev', 'in0')
    ip('-n', router, 'link', 'set', 'in0', 'up')
    ip('-n', ns, 'addr', 'add', `192.168.${100 + index}.2/24`, 'dev', 'eth0')
    ip('-n', ns, 'link', 'set', 'eth0', 'up')
    ip('-n', ns, 'route', 'add', 'default', 'via', `192.168.${100 + index}.1`)
    execFileSync('ip', ['netns', 'exec', router, 'sysctl', '-qw', 'net.ipv4.ip_forward=1'])
    nft(router, [
      'table ip troupe_nat {',
      '  chain postrouting { type nat hook postrouting priority srcnat; policy accept; oifname "eth0" masquerade; }',
      '  chain forward { type filter hook forward priority filter; policy drop;',
      '    iifname "in0" accept',
      '    ct state established,related accept',
      '  }',
      '}'
    ].join('\n'))
  }

  private routerNamespace (host: string): string {
    return `${this.prefix}${host}nat`
  }

  /**
   * Puppet Enterprise's rule in a host's namespace: no inbound connection at all, or only to
   * these TCP ports (the master's 61613). Replies to the host's own connections pass.
   */
  firewall (host: string, openPorts: number[] = []): void {
    nft(this.namespace(host), [
      'table inet troupe_pe {',
      '  chain input { type filter hook input priority filter; policy drop;',
      '    iif "lo" accept',
      '    ct state established,related accept',
      ...openPorts.map(port => `    tcp dport ${port} ct state new accept`),
      '  }',
      '}'
    ].join('\n'))
  }

  /** A powered-off host, as the network sees it: every packet to and from it dropped. */
  dropAll (host: string): void {
    nft(this.namespace(host), 'table inet troupe_off {\n  chain input { type filter hook input priority -10; policy drop; }\n  chain output { type filter hook output priority -10; policy drop; }\n}')
  }

  restore (host: string): void {
    try { execFileSync('ip', ['netns', 'exec', this.namespace(host), 'nft', 'delete', 'table', 'inet', 'troupe_off'], { stdio: 'ignore' }) } catch { /* not there */ }
  }

  namespace (host: string): string {
    return `${this.prefix}${host}`
  }

  address (host: string): string {
    const index = this.hosts.indexOf(host)
    if (index < 0) throw new Error(`no host ${host} in this fleet`)
    if (this.natted.has(host)) return `192.168.${100 + index}.2`
    return `${this.subnet}.${index === 0 ? 1 : 10 + index}`
  }

  /** Runs a command inside a host's namespace. */
  spawn (host: string, command: string, args: string[], options: SpawnOptions = {}): ChildProcess {
    const child = spawn('ip', ['netns', 'exec', this.namespace(host), command, ...args], { stdio: ['ignore', 'pipe', 'pipe'], ...options })
    this.children.add(child)
    child.once('exit', () => this.children.delete(child))
    return child
  }

  /** Cuts these hosts off from the rest (they still reach each other): their ports move to a second bridge. */
  partition (hosts: string[]): void {
    for (const host of hosts) ip('-n', this.switchNs, 'link', 'set', `p${this.hosts.indexOf(host)}`, 'master', 'br1')
  }

  heal (): void {
    this.hosts.forEach((_host, index) => ip('-n', this.switchNs, 'link', 'set', `p${index}`, 'master', 'br0'))
  }

  async destroy (): Promise<void> {
    await Promise.all([...this.children].map(async child => {
      if (child.exitCode !== null || child.signalCode !== null) return
      await new Promise<void>(resolve => {
        const timer = setTimeout(() => child.kill('SIGKILL'), 3000)
        child.once('exit', () => { clearTimeout(timer); resolve() })
        child.kill('SIGTERM')
      })
    }))
    this.destroySync()
  }

  /** Also killing whatever still runs inside the namespaces (grandchildren such as requester agents). */
  private destroySync (): void {
    for (const child of this.children) child.kill('SIGKILL')
    for (const host of this.hosts) {
      const ns = this.namespace(host)
      try {
        for (const pid of ip('netns', 'pids', ns).split('\n').filter(line => line !== '')) {
          try { process.kill(Number(pid), 'SIGKILL') } catch { /* gone */ }
        }
      } catch { /* namespace gone */ }
    }
    NetnsFleet.removeLeftovers(this.prefix)
    process.removeListener('exit', this.onExit)
  }
}
