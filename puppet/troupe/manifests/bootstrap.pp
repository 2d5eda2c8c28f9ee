# @summary The troupe bootstrap service on the master: the package, /etc/troupe/bootstrap.yaml from
#   these parameters, enrollment, and the troupe-bootstrap service (it runs as the troupe user).
#
# The bootstrap runs unprivileged, so it cannot read Puppet's private keys in place. With
# `enroll`, this class copies the CA certificate, the certificate and the key it is given into
# its own state directory (the key readable by the troupe user alone) and keeps the copies in
# step with the originals. On a
# Puppet Enterprise primary server, the host certificate is also the server's TLS identity: give
# the bootstrap a certificate of its own rather than that one (docs/packaging.md shows how).
#
# @param listen  where it listens: TCP 61613 on every address, as PE's broker did
# @param collective  the mesh namespace
# @param callers  requesters admitted at the bootstrap (authorized_keys of the bootstrap role). With
#   enrollment, a requester whose key is not here cannot enter the mesh through the bootstrap:
#   in Hiera, `troupe::bootstrap::callers: "%{alias('troupe::node::callers')}"`
# @param certname  the Puppet certname whose certificate enrolls the bootstrap
# @param enroll  write `ca`, `cert` and `cert_key` (copies, see above)
# @param ssldir  Puppet's ssl directory (fact troupe_puppet_ssldir)
# @param ca  the CA certificate to copy (default: ssldir/certs/ca.pem)
# @param cert  the certificate to copy (default: ssldir/certs/CERTNAME.pem)
# @param cert_key  the private key to copy (default: ssldir/private_keys/CERTNAME.pem)
# @param swarm_key  the private-network key's content, written readable by the troupe user only
# @param settings  any other config key (docs/configuration.md)
# @param instance  run it as troupe-bootstrap@INSTANCE with /etc/troupe/INSTANCE (tests)
# @param manage_service  manage the service (false: only the files)
# @param service_ensure  running or stopped
# @param service_enable  start at boot
class troupe::bootstrap (
  Array[String[1]] $listen = ['/ip4/0.0.0.0/tcp/61613'],
  String[1] $collective = 'main',
  Troupe::Callers $callers = {},
  String[1] $certname = $trusted['certname'],
  Boolean $enroll = true,
  String[1] $ssldir = $facts['troupe_puppet_ssldir'].lest || { '/etc/puppetlabs/puppet/ssl' },
  Optional[String[1]] $ca = undef,
  Optional[String[1]] $cert = undef,
  Optional[String[1]] $cert_key = undef,
  Optional[Sensitive[String[1]]] $swarm_key = undef,
  Hash[String[1], Data] $settings = {},
  Optional[Troupe::Instance] $instance = undef,
  Boolean $manage_service = true,
  Enum['running', 'stopped'] $service_ensure = 'running',
  Boolean $service_enable = true,
) {
  include troupe

  $config_dir = $instance ? { undef => '/etc/troupe', default => "/etc/troupe/${instance}" }
  # The systemd unit's StateDirectory: troupe/bootstrap, troupe/bootstrap/INSTANCE for an instance.
  $state_dir = $instance ? { undef => '/var/lib/troupe/bootstrap', default => "/var/lib/troupe/bootstrap/${instance}" }
  $service = $instance ? { undef => 'troupe-bootstrap', default => "troupe-bootstrap@${instance}" }

  if $instance =~ NotUndef {
    file { $config_dir:
      ensure => directory,
      owner  => 'root',
      group  => 'root',
      mode   => '0755',
    }
  }
  file { $state_dir:
    ensure  => directory,
    owner   => 'troupe',
    group   => 'troupe',
    mode    => '0700',
    require => Class['troupe'],
  }

  if $enroll {
    file { "${state_dir}/ssl":
      ensure => directory,
      owner  => 'troupe',
      group  => 'troupe',
      mode   => '0700',
    }
    # The CA certificate is public, but Puppet's ssl directory need not be open to the troupe user.
    file { "${state_dir}/ssl/ca.pem":
      ensure => file,
      owner  => 'troupe',
      group  => 'troupe',
      mode   => '0444',
      source => $ca.lest || { "${ssldir}/certs/ca.pem" },
    }
    file { "${state_dir}/ssl/cert.pem":
      ensure => file,
      owner  => 'troupe',
      group  => 'troupe',
      mode   => '0444',
      source => $cert.lest || { "${ssldir}/certs/${certname}.pem" },
    }
    file { "${state_dir}/ssl/key.pem":
      ensure    => file,
      owner     => 'troupe',
      group     => 'troupe',
      mode      => '0400',
      source    => $cert_key.lest || { "${ssldir}/private_keys/${certname}.pem" },
      show_diff => false,
    }
    $enrollment = {
      'ca'       => "${state_dir}/ssl/ca.pem",
      'cert'     => "${state_dir}/ssl/cert.pem",
      'cert_key' => "${state_dir}/ssl/key.pem",
    }
  } else {
    $enrollment = {}
  }

  if $callers.empty {
    $admission = {}
  } else {
    # Its own file: a master that is also a node has the node's /etc/troupe/authorized_keys.
    troupe::access { "troupe::bootstrap ${config_dir}":
      keys_file => "${config_dir}/bootstrap_authorized_keys",
      callers   => $callers,
      require   => Class['troupe'],
    }
    $admission = { 'authorized_keys' => "${config_dir}/bootstrap_authorized_keys" }
  }

  if $swarm_key =~ NotUndef {
    file { "${config_dir}/bootstrap-swarm.key":
      ensure    => file,
      owner     => 'troupe',
      group     => 'troupe',
      mode      => '0400',
      content   => $swarm_key,
      show_diff => false,
      require   => Class['troupe'],
    }
    $swarm = { 'swarm_key' => "${config_dir}/bootstrap-swarm.key" }
  } else {
    $swarm = {}
  }

  $config = {
    'collective' => $collective,
    'listen'     => $listen,
    'key'        => "${state_dir}/bootstrap.key",
  } + $admission + $swarm + $enrollment + $settings

  file { "${config_dir}/bootstrap.yaml":
    ensure  => file,
    owner   => 'root',
    group   => 'root',
    mode    => '0644',
    content => "# Managed by Puppet (troupe::bootstrap). Every key: /usr/share/doc/troupe/configuration.md\n${troupe::to_yaml($config)}",
    require => Class['troupe'],
  }

  if $manage_service {
    troupe::service { $service:
      role     => 'troupe-bootstrap',
      instance => $instance,
      ensure   => $service_ensure,
      enable   => $service_enable,
      require  => File[$state_dir],
    }
    File["${config_dir}/bootstrap.yaml"] ~> Troupe::Service[$service]
    if $enroll {
      File["${state_dir}/ssl/ca.pem", "${state_dir}/ssl/cert.pem", "${state_dir}/ssl/key.pem"] ~> Troupe::Service[$service]
    }
    if $swarm_key =~ NotUndef { File["${config_dir}/bootstrap-swarm.key"] ~> Troupe::Service[$service] }
  }
}
