# Callers by name. The name is what policies and the audit log call the caller, so it is one word.
type Troupe::Callers = Hash[Pattern[/\A[A-Za-z0-9][A-Za-z0-9._@-]*\z/], Troupe::Caller]
