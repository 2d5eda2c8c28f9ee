// V8 flags for troupe's long-running processes (daemon, bootstrap, requester agent). Node's
// default young generation grows to 48 MiB under load; capped at 3 x 2 MiB, a daemon stays at
// about two thirds of its resident memory for a few more (cheap) scavenges. Fewer V8 worker
// threads (--single-threaded, or --v8-pool-size=1) saved a few MiB of private memory side by
// side, but made an idle daemon busier: not taken (docs/design.md, "Memory and start-up").
// The flags only take effect on the node command line, so every place that starts a service
// passes them, and the `troupe` launcher carries them in its shebang for `troupe daemon` started
// by hand or by systemd.
export const SERVICE_NODE_FLAGS = ['--max-semi-space-size=2']
