// The bootstrap service: the first peer everyone dials (TCP 61613 by default) and a full mesh
// member, subscribed to every agent topic in use so it can relay gossip and check it at the
// first hop. It routes nothing that the mesh needs: with it down, requests and replies flow.
import type { LoadedConfig } from '../src/config/load.js'
import type { Logger } from '../src/log.js'
import { MeshMember } from '../src/mesh/member.js'

export const DEFAULT_BOOTSTRAP_LISTEN = ['/ip4/0.0.0.0/tcp/61613']

export class BootstrapService {
  private constructor (private readonly member: MeshMember) {}

  static async start (config: LoadedConfig, log: Logger): Promise<BootstrapService> {
    const member = await MeshMember.start({
      role: 'bootstrap',
      config,
      log,
      listen: config.listen ?? DEFAULT_BOOTSTRAP_LISTEN
    })
    const service = new BootstrapService(member)
    const followAgents = (): void => {
      for (const node of member.directory.nodes()) for (const agent of node.agents) member.serveAgentTopic(agent)
    }
    member.directory.onChange(followAgents)
    followAgents()
    return service
  }

  multiaddrs (): string[] {
    return this.member.multiaddrs()
  }

  get peerId (): string {
    return this.member.node.peerId.toString()
  }

  async stop (): Promise<void> {
    await this.member.stop()
  }
}
