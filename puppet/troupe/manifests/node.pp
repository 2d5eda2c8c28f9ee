# @summary A troupe node: the package, /etc/troupe/daemon.yaml from these parameters, the callers'
#   authorized_keys and policies, enrollment with the Puppet certificate the node already has, and
#   the troupe-daemon service. Every parameter can come from Hiera (troupe::node::bootstrap, ...).
#
# @example Hiera, for the whole fleet
#   troupe::node::bootstrap: ['/dns4/puppet.example.com/tcp/61613']
#   troupe::node::callers:
#     alice: { key: 'ed25519 9v5N...= alice' }
#     deploy:
#       key: 'ed25519 Qm1x...= deploy'
#       agents: { puppet: [runonce, status], rpcutil: '*' }
#
# @param bootstrap  multiaddrs of the bootstrap peer(s): the master's TCP 61613
# @param callers  who may send requests (authorized_keys) and, with `agents`, what they may run
# @param policies  hand-written policy files, agent => content (MCollective actionpolicy form)
# @param collective  the mesh namespace
# @param certname  the Puppet certname: the node's identity and the name of its certificate
# @param identity  the node's name in the mesh (default: certname)
# @param enroll  write `ca`, `cert` and `cert_key` (the Puppet CA and this node's Puppet
#   certificate and key, read in place: the daemon runs as root, as the Puppet agent does);
#   false is troupe's lab mode (identities unchecked), for hosts without Puppet certificates
# @param ssldir  Puppet's ssl directory on the node (fact troupe_puppet_ssldir: `puppet config print ssldir`)
# @param ca  the CA certificate (default: ssldir/certs/ca.pem)
# @param cert  this node's certificate (default: ssldir/certs/CERTNAME.pem)
# @param cert_key  its private key (default: ssldir/private_keys/CERTNAME.pem)
# @param swarm_key  the private-network key's content (`troupe keygen --swarm`), written 0600
# @param facter  read facts from facter
# @param custom_facts  extra facts, written to facts.yaml (YAML) and merged over facter's
# @param listen  multiaddrs to listen on (default: every address, a free port)
# @param settings  any other config key (docs/configuration.md), over what the parameters make
# @param instance  run the node as troupe-daemon@INSTANCE with /etc/troupe/INSTANCE,
#   /var/lib/troupe/INSTANCE and /var/log/troupe/INSTANCE: several nodes on one host (tests)
# @param manage_service  manage the service (false: only the files)
# @param service_ensure  running or stopped
# @param service_enable  start at boot
class troupe::node (
  Array[String[1]] $bootstrap = [],
  Troupe::Callers $callers = {},
  Hash[Pattern[/\A[a-z][a-z0-9_]*\z/], String] $policies = {},
  String[1] $collective = 'main',
  String[1] $certname = $trusted['certname'],
  String[1] $identity = $certname,
  Boolean $enroll = true,
  String[1] $ssldir = $facts['troupe_puppet_ssldir'].lest || { '/etc/puppetlabs/puppet/ssl' },
  Optional[String[1]] $ca = undef,
  Optional[String[1]] $cert = undef,
  Optional[String[1]] $cert_key = undef,
  Optional[Sensitive[String[1]]] $swarm_key = undef,
  Boolean $facter = true,
  Hash[String[1], Data] $custom_facts = {},
  Optional[Array[String[1]]] $listen = undef,
  Hash[String[1], Data] $settings = {},
  Optional[Troupe::Instance] $instance = undef,
  Boolean $manage_service = true,
  Enum['running', 'stopped'] $service_ensure = 'running',
  Boolean $service_enable = true,
) {
  include troupe

  $config_dir = $instance ? { undef => '/etc/troupe', default => "/etc/troupe/${instance}" }
  $state_dir = $instance ? { undef => '/var/lib/troupe', default => "/var/lib/troupe/${instance}" }
  $log_dir = $instance ? { undef => '/var/log/troupe', default => "/var/log/troupe/${instance}" }
  $service = $instance ? { undef => 'troupe-daemon', default => "troupe-daemon@${instance}" }

  if $instance =~ NotUndef {
    file { [$config_dir, $state_dir]:
      ensure => directory,
      owner  => 'root',
      group  => 'root',
      mode   => '0755',
    }
    file { $log_dir:
      ensure => directory,
      owner  => 'root',
      group  => 'adm',
      mode   => '2750',
    }
    file { "${config_dir}/agents":
      ensure => directory,
      owner  => 'root',
      group  => 'root',
      mode   => '0755',
    }
  }

  $enrollment = $enroll ? {
    true => {
      'ca'       => $ca.lest || { "${ssldir}/certs/ca.pem" },
      'cert'     => $cert.lest || { "${ssldir}/certs/${certname}.pem" },
      'cert_key' => $cert_key.lest || { "${ssldir}/private_keys/${certname}.pem" },
    },
    false => {},
  }
  $swarm = $swarm_key ? { undef => {}, default => { 'swarm_key' => "${config_dir}/swarm.key" } }
  $fact_file = $custom_facts.empty ? { true => {}, false => { 'facts' => "${config_dir}/facts.yaml" } }
  $listening = $listen ? { undef => {}, default => { 'listen' => $listen } }
  $config = {
    'identity'        => $identity,
    'collective'      => $collective,
    'bootstrap'       => $bootstrap,
    'key'             => "${state_dir}/daemon.key",
    'authorized_keys' => "${config_dir}/authorized_keys",
    'policy_dir'      => "${config_dir}/policy",
    'policy_default'  => 'troupe_default',
    'agents_dir'      => "${config_dir}/agents",
    'audit_log'       => "${log_dir}/audit.log",
    'facter'          => $facter,
  } + $listening + $fact_file + $swarm + $enrollment + $settings

  file { "${config_dir}/daemon.yaml":
    ensure  => file,
    owner   => 'root',
    group   => 'root',
    mode    => '0644',
    content => "# Managed by Puppet (troupe::node). Every key: /usr/share/doc/troupe/configuration.md\n${troupe::to_yaml($config)}",
    require => Class['troupe'],
  }

  # authorized_keys, policies and facts are re-read by the daemon when they change: no restart.
  troupe::access { "troupe::node ${config_dir}":
    keys_file  => "${config_dir}/authorized_keys",
    policy_dir => "${config_dir}/policy",
    callers    => $callers,
    policies   => $policies,
    require    => Class['troupe'],
  }

  unless $custom_facts.empty {
    file { "${config_dir}/facts.yaml":
      ensure  => file,
      owner   => 'root',
      group   => 'root',
      mode    => '0644',
      content => troupe::to_yaml($custom_facts),
      require => Class['troupe'],
    }
  }

  if $swarm_key =~ NotUndef {
    file { "${config_dir}/swarm.key":
      ensure    => file,
      owner     => 'root',
      group     => 'root',
      mode      => '0600',
      content   => $swarm_key,
      show_diff => false,
      require   => Class['troupe'],
    }
  }

  if $manage_service {
    troupe::service { $service:
      role     => 'troupe-daemon',
      instance => $instance,
      ensure   => $service_ensure,
      enable   => $service_enable,
    }
    # A restart loses no request: the daemon finishes the requests it took before it stops.
    File["${config_dir}/daemon.yaml"] ~> Troupe::Service[$service]
    Troupe::Access["troupe::node ${config_dir}"] -> Troupe::Service[$service]
    if $swarm_key =~ NotUndef { File["${config_dir}/swarm.key"] ~> Troupe::Service[$service] }
  }
}
