# Facts the troupe module reads on the node itself (not on the server that compiles the catalog).

# Puppet's ssl directory as this node's Puppet sees it: /etc/puppetlabs/puppet/ssl on Puppet
# Enterprise, /var/lib/puppet/ssl with Debian's puppet (`puppet config print ssldir`).
Facter.add(:troupe_puppet_ssldir) do
  setcode do
    begin
      require 'puppet'
      Puppet.settings[:ssldir].to_s
    rescue StandardError, LoadError
      nil
    end
  end
end

# Which service definitions this host runs: systemd units, or the package's init scripts.
Facter.add(:troupe_init) do
  setcode { File.directory?('/run/systemd/system') ? 'systemd' : 'sysv' }
end
