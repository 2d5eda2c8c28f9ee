# @summary One troupe service (troupe-daemon or troupe-bootstrap, or an instance of either) under
#   the host's service manager (troupe::node and troupe::bootstrap declare it).
#
# With systemd the package's units run it (troupe-daemon@NAME.service for an instance). Without
# systemd the package's init scripts do, with the same command line as the same user; an
# instance is a link named troupe-daemon@NAME to the script.
define troupe::service (
  Enum['troupe-daemon', 'troupe-bootstrap'] $role,
  Optional[Troupe::Instance] $instance,
  Enum['running', 'stopped'] $ensure,
  Boolean $enable,
) {
  $name_on_host = $instance ? { undef => $role, default => "${role}@${instance}" }
  if $facts['troupe_init'] == 'systemd' {
    service { $name_on_host:
      ensure   => $ensure,
      enable   => $enable,
      provider => 'systemd',
    }
  } else {
    if $instance =~ NotUndef {
      file { "/etc/init.d/${name_on_host}":
        ensure => link,
        target => "/etc/init.d/${role}",
        before => Service[$name_on_host],
      }
    }
    service { $name_on_host:
      ensure     => $ensure,
      enable     => $enable,
      hasstatus  => true,
      hasrestart => true,
    }
  }
}
