# An instance name: troupe-daemon@NAME with /etc/troupe/NAME (several nodes on one host, as in tests).
type Troupe::Instance = Pattern[/\A[A-Za-z0-9][A-Za-z0-9._-]*\z/]
