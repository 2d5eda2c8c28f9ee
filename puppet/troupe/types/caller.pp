# One requester allowed to call the nodes: its public key (the line `troupe keygen` writes to
# FILE.pub, `ed25519 <base64> [name]`; the name in the line is replaced by the caller's name) and,
# optionally, what it may run: agent => actions ('*' for every action). Without `agents` the
# caller may run every action of every agent, subject to the hand-written `policies`.
type Troupe::Caller = Struct[{
  key              => Pattern[/\Aed25519 [A-Za-z0-9+\/]+=*( .*)?\z/],
  Optional[agents] => Hash[Pattern[/\A[a-z][a-z0-9_]*\z/], Variant[Enum['*'], Array[Pattern[/\A[a-z][a-z0-9_]*\z/], 1]]],
}]
