# @summary authorized_keys and per-agent policy files from a list of callers (troupe::node and
#   troupe::bootstrap declare it; not for use on its own). Without policy_dir: authorized_keys only.
#
# A caller with `agents` may run only those agents' listed actions: every agent named by any
# caller gets a policy file that allows each caller what it lists (and callers without `agents`
# everything), and denies the rest; every other agent falls to troupe_default.policy (the
# daemon's policy_default), which allows the callers without `agents` only. `policies` gives an
# agent's policy file by hand instead.
define troupe::access (
  Pattern[/\A\//] $keys_file,
  Troupe::Callers $callers,
  Optional[Pattern[/\A\//]] $policy_dir = undef,
  Hash[Pattern[/\A[a-z][a-z0-9_]*\z/], String] $policies = {},
) {
  $names = $callers.keys.sort
  $key_lines = $names.map |$name| {
    $words = $callers[$name]['key'].split(' ')
    "${words[0]} ${words[1]} ${name}"
  }
  file { $keys_file:
    ensure  => file,
    owner   => 'root',
    group   => 'root',
    mode    => '0644',
    content => "# Managed by Puppet (troupe): one line per caller.\n${key_lines.map |$line| { "${line}\n" }.join('')}",
  }

  if $policy_dir =~ NotUndef {
    $restricted = $names.filter |$name| { $callers[$name]['agents'] =~ NotUndef }
    $agents = $restricted.map |$name| { $callers[$name]['agents'].keys }.flatten.unique.sort
    $generated = $agents.reduce({}) |$memo, $agent| {
      $rules = $names.map |$name| {
        $allowed = $callers[$name]['agents']
        if $allowed =~ Undef {
          "allow\t${name}\t*\t*\t*\n"
        } elsif $agent in $allowed {
          $actions = $allowed[$agent] ? { '*' => '*', default => $allowed[$agent].join(' ') }
          "allow\t${name}\t${actions}\t*\t*\n"
        } else {
          ''
        }
      }
      $memo + { $agent => "# Managed by Puppet (troupe): made from the callers' agents.\npolicy default deny\n${rules.join('')}" }
    }

    file { $policy_dir:
      ensure  => directory,
      owner   => 'root',
      group   => 'root',
      mode    => '0755',
      recurse => true,
      purge   => true,
      force   => true,
    }
    # Every other agent: the callers without `agents` only (the config's policy_default).
    $open_to = $names.filter |$name| { $callers[$name]['agents'] =~ Undef }
    $fallback = {
      'troupe_default' => "# Managed by Puppet (troupe): agents without a policy file of their own.\npolicy default deny\n${open_to.map |$name| { "allow\t${name}\t*\t*\t*\n" }.join('')}",
    }
    ($fallback + $generated + $policies).each |$agent, $content| {
      file { "${policy_dir}/${agent}.policy":
        ensure  => file,
        owner   => 'root',
        group   => 'root',
        mode    => '0644',
        content => $content,
      }
    }
  }
}
