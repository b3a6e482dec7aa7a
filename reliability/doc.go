// Package reliability holds baton's reliability suite: tests, and nothing else, that put the
// lock backends through real faults and hostile input, through the public API only.
//
// The Redis tests start real redis-server processes on loopback ports (internal/redistest)
// and break them on purpose: SIGKILL and restart, a TCP proxy that stalls, slows down and
// cuts the link, keys deleted, replaced or shortened behind the holder's back, fence counters
// reset, the script cache flushed. Every test checks the same two things that make a lock
// worth having: no two holders believe they hold a name at the same time, and fences grow in
// the order the holds happened, so that storage can refuse a stale holder's writes.
//
// The load tests (a soak of many goroutines over many names, a storm of waiters on one name)
// run for a few seconds by default; set BATON_SOAK=1 for the full 30 s soak. The fuzz targets
// (FuzzOpenURL, FuzzConfig, FuzzLockName, FuzzOptions, FuzzKeyspace) run their seed corpora
// in every go test; run them with -fuzz for more. RELIABILITY.md at the repository root lists
// each fault, what baton promises under it, and the test here that proves it.
package reliability
