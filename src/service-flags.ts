// V8 flags for troupe's long-running processes (daemon, bootstrap, requester agent). Node's
// default young generation grows to 48 MiB under load; capped at 3 x 2 MiB, a daemon stays at
// about two thirds of its resident memory for a few more (cheap) scavenges. Without V8's worker
// threads (--single-threaded: garbage collection and optimisation on the main thread) an idle
// daemon holds about an eighth less memory, with no CPU cost per request that a side-by-side
// trial could tell from noise, and a daemon has little to gain from a core it shares with the
// host. The flags only take effect on the node command line, so every place that starts a service
// passes them, and the `troupe` launcher carries them in its shebang for `troupe daemon` started
// by hand or by systemd.
export const SERVICE_NODE_FLAGS = ['--max-semi-space-size=2', '--single-threaded']
