// Package history records what each holder of a lock believed, and when, in every process of
// a fault run, and checks the merged record with a linearizability checker
// (github.com/anishathalye/porcupine), the way etcd's robustness tests check theirs.
//
// A process writes one Record per operation to a file of its own (JSON lines), with call and
// return times from CLOCK_MONOTONIC, which every process on one machine reads alike. The
// parent loads the files, partitions the records by lock name and checks each name against
// a model of a fenced lock (see model.go): a hold begins when Acquire returns and ends at the
// earliest of its Release call, its Lost() closing and its last safe deadline; no more holds
// than permits overlap in any linearization; fences rise in acquisition order; the fenced
// store never accepts a write with a fence below one it accepted before.
//
// A counter inside one process can only see overlaps that process sees. A history seen from
// outside finds what the holders of several processes believed at once, which is how the
// bugs this package exists for were found.
package history
