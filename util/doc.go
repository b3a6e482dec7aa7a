// Package util gives Go form to the asynchronous utilities of the seed framework (pulsar's
// "Async Utilities"), on top of package future:
//
//	seed                Go
//	task                Task: a function that returns a future instead of a result
//	maybe async         MaybeAsync: a plain value or a future, always as a future
//	chain future        Chain: a callback on success, an errback on error
//	multi async         Multi: wait for a slice or map of futures and values
//	async while         AsyncWhile: call a clause until it is false, with a backoff
//	event loop          Loop: runs submitted functions one at a time on its own goroutine
//	run in loop         RunInLoop: run a function on a Loop (or any Executor), get a future
//	AsyncObject         AsyncObject: embeddable logger, debug flag and Timeit
//
// The seed's utilities take values of any type where Python would; those of this package
// that do (MaybeAsync, Chain's callbacks, Multi's items) check the type at run time and
// reject with ErrWrongType, saying what was expected. When the types are known, package
// future's typed combinators are the better tool.
//
// Every goroutine started here has an owner: the future it settles, or the Loop whose
// Close waits for it.
package util
