# @summary The troupe package, shared by troupe::node, troupe::bootstrap and troupe::client.
#
# @param manage_package  install the package here (false: it is installed some other way)
# @param package_ensure  installed, latest, or a version
# @param package_source  a local troupe_<version>_all.deb for hosts without an apt repository
#   that has it (installed with dpkg; its dependency nodejs (>= 20) must already be there)
class troupe (
  Boolean $manage_package = true,
  String[1] $package_ensure = 'installed',
  Optional[String[1]] $package_source = undef,
) {
  if $manage_package {
    package { 'troupe':
      ensure   => $package_ensure,
      provider => $package_source ? { undef => undef, default => 'dpkg' },
      source   => $package_source,
    }
  }
}
