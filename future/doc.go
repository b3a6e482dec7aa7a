// Package future holds results that arrive later: a Future[T] settles once, with a value or
// an error, and can be awaited, peeked at, cancelled, and composed.
//
// Work starts with Go, which runs a function on exactly one goroutine of its own, or with
// NewPromise, which hands the producer resolve and reject functions. Resolved and Rejected
// make futures that have already settled.
//
// Combinators are free functions (methods cannot take type parameters): Then, AndThen,
// Recover and Handle transform one future; All, AllMap, AllSettled, Race and Any gather
// many; Group runs a bounded batch. They are built on completion callbacks registered on
// their sources, never on goroutines parked waiting for them, so a source that never
// settles costs a few words of memory and no goroutine. A stage's callback runs on a
// goroutine of its own, started when the source settles, and receives a context that the
// resulting future's Cancel cancels.
//
// Every goroutine this package starts has an owner: the future it settles. Await returning
// means that the work behind a Go future has returned (bar the few instructions that settle
// it). A panic in any function handed to this package to compute a future's outcome is
// caught and becomes a *PanicError, with the stack, returned by Await; it never crashes the
// process and is never lost. (AfterFunc's fn computes nothing: like context.AfterFunc's, it
// runs on its own and a panic in it is not caught.)
//
// Time limits come from contexts only: Await(ctx) stops waiting when ctx ends, and the
// aggregates (All, AllMap, AllSettled, Race, Any) reject with ctx's error when ctx ends
// before they are decided.
//
// Cancel and a cancelled Await differ. Await(ctx) only stops waiting: the work goes on and
// the future still settles later. Cancel asks the work to stop: it cancels the context that
// Go or a stage handed to its function, and a future that is only waiting on others (a
// promise, a stage whose source has not settled, an aggregate) rejects at once with
// context.Canceled.
package future
