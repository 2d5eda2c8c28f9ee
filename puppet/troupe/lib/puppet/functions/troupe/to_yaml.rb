# troupe::to_yaml(Hash $config) — a troupe config file's YAML from a hash of plain data (strings,
# numbers, booleans, arrays, hashes). troupe reads YAML; this avoids a dependency on stdlib.
require 'yaml'

Puppet::Functions.create_function(:'troupe::to_yaml') do
  dispatch :to_yaml do
    param 'Hash[String, Data]', :config
  end

  def to_yaml(config)
    YAML.dump(plain(config))
  end

  private

  # Puppet's frozen and tagged strings become ordinary ones, so the YAML has no Ruby tags.
  def plain(value)
    case value
    when Hash then value.each_with_object({}) { |(k, v), out| out[k.to_s] = plain(v) }
    when Array then value.map { |v| plain(v) }
    when String then String.new(value)
    else value
    end
  end
end
