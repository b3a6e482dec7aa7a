// Package util holds small asynchronous utilities on top of package future:
//
//	Task        a function that returns a future instead of a result
//	MaybeAsync  a plain value or a future, always as a future
//	Chain       a callback on success, an errback on error
//	Multi       wait for a slice or map of futures and values
//	AsyncWhile  call a clause until it is false, with a backoff
//	Loop        runs submitted functions one at a time on its own goroutine
//	RunInLoop   run a function on a Loop (or any Executor), get a future
//	AsyncObject embeddable logger, debug flag and Timeit
//
// Some take values of any type (MaybeAsync, Chain's callbacks, Multi's items): they check
// the type at run time and reject with ErrWrongType, saying what was expected. When the
// types are known, package future's typed combinators are the better tool.
//
// Every goroutine started here has an owner: the future it settles, or the Loop whose
// Close waits for it.
package util
