// Package driver is what a lock backend is built from: the options a lock resolves to, the
// scheme table that lock.Open reads, the query-key parsers and error helpers that make every
// driver's bad-input errors read alike, URL redaction, and the loss hook that lock.Do uses.
// A service never needs it; it calls package lock. Package driver imports lock, never the
// reverse.
//
// A driver registers its URL scheme in init:
//
//	func init() { driver.Register("mem", open) }
//
//	func open(ctx context.Context, u *url.URL, defaults driver.Options) (lock.Backend, error) {
//		q := u.Query()
//		prefix, _, err := driver.PopString(q, "prefix")
//		...
//		if len(q) > 0 { return nil, driver.Invalidf("unknown query key ...") }
//	}
//
// and checks itself with lock/locktest.Run, the conformance suite every backend passes.
package driver
