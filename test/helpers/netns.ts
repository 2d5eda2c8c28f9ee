// A fleet of hosts on one machine: Linux network namespaces joined by veth pairs to a bridge
// that lives in its own "switch" namespace, so every connection crosses a real network stack
// and the root namespace is left alone. Everything it makes is named with one prefix and is
// removed by destroy(), by process exit handlers, and by the next create() if a run crashed.
import { execFileSync, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process'

function ip (...args: string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
}

export class NetnsFleet {
  private readonly children = new Set<ChildProcess>()
  private readonly onExit = (): void => this.destroySync()
  readonly switchNs: string
  readonly hosts: string[]

  private constructor (readonly prefix: string, hostNames: string[], private readonly subnet: string) {
    this.switchNs = `${prefix}sw`
    this.hosts = hostNames
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
  static create (hostCount: number): NetnsFleet {
    const tag = process.pid % 10000
    const prefix = `trp${tag}`
    NetnsFleet.removeLeftovers(prefix)
    const fleet = new NetnsFleet(prefix, ['master', ...Array.from({ length: hostCount }, (_, i) => `host${i + 1}`)], `10.213.${tag % 250}`)
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
      ip('-n', this.switchNs, 'link', 'add', `p${index}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns)
      ip('-n', this.switchNs, 'link', 'set', `p${index}`, 'master', 'br0', 'up')
      ip('-n', ns, 'addr', 'add', `${this.address(host)}/24`, 'dev', 'eth0')
      ip('-n', ns, 'link', 'set', 'eth0', 'up')
      ip('-n', ns, 'link', 'set', 'lo', 'up')
    })
  }

  namespace (host: string): string {
    return `${this.prefix}${host}`
  }

  address (host: string): string {
    const index = this.hosts.indexOf(host)
    if (index < 0) throw new Error(`no host ${host} in this fleet`)
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
