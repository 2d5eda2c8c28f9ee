# @summary A requester host (the master, an operator's workstation): the package and the
#   system-wide client config /etc/troupe/client.yaml that `troupe ping` and every other requester
#   command read when the user has no ~/.troupe/client.yaml. Each operator keeps their own caller
#   key (`troupe keygen --out ~/.troupe/caller.key --name NAME`); its .pub line goes into the
#   nodes' `callers`.
#
# @param bootstrap  multiaddrs of the bootstrap peer(s)
# @param collective  the mesh namespace
# @param enroll  write `ca`: requesters believe only nodes with a certificate from this CA
# @param ssldir  Puppet's ssl directory (fact troupe_puppet_ssldir)
# @param ca  the CA certificate (default: ssldir/certs/ca.pem)
# @param settings  any other config key (docs/configuration.md), e.g. swarm_key, caller_key
# @param config_file  where the config goes
class troupe::client (
  Array[String[1]] $bootstrap = [],
  String[1] $collective = 'main',
  Boolean $enroll = true,
  String[1] $ssldir = $facts['troupe_puppet_ssldir'].lest || { '/etc/puppetlabs/puppet/ssl' },
  Optional[String[1]] $ca = undef,
  Hash[String[1], Data] $settings = {},
  Pattern[/\A\//] $config_file = '/etc/troupe/client.yaml',
) {
  include troupe

  $enrollment = $enroll ? {
    true  => { 'ca' => $ca.lest || { "${ssldir}/certs/ca.pem" } },
    false => {},
  }
  $config = { 'collective' => $collective, 'bootstrap' => $bootstrap } + $enrollment + $settings

  file { $config_file:
    ensure  => file,
    owner   => 'root',
    group   => 'root',
    mode    => '0644',
    content => "# Managed by Puppet (troupe::client). Every key: /usr/share/doc/troupe/configuration.md\n${troupe::to_yaml($config)}",
    require => Class['troupe'],
  }
}
