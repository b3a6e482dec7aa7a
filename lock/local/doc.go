// Package local is baton's in-memory lock backend: named locks that exclude each other within
// one process. Use it in tests and single-replica services; switch to the Redis backend with a
// configuration URL and no code change. Importing it registers the "local://" scheme.
//
// Waiters queue in arrival order per name and are handed the lock directly by the Release or
// expiry that frees it: no polling, no sleeping. State for a name exists only while the name is
// held or waited on, so a service may lock millions of distinct names without growing. Fencing
// tokens come from one counter per store (a Backend and its Peers), so they strictly increase
// for every name.
//
// A name's state keeps its holders in the order they began and its permit count: a release,
// an expiry or a waiter that gives up admits the waiters at the head of the queue that now
// fit (one writer, up to n holds of a semaphore, or every reader up to the next writer), so a
// queued writer is never overtaken by readers that came after it.
package local
