// Package redistest starts an in-process Redis (miniredis) for the tests of services that
// lock with baton. Its keys expire as they would on redis-server, so a test that passes here
// also passes on a real server and on local://.
//
// A plain miniredis keeps every key's TTL frozen until the test calls FastForward: a
// lock.WithTimeout hold then stays for ever on the server, its holder's Lost() closes on
// time, and no other handle can take the lock again. StartMiniredis switches on
// miniredis's ClockTTL, which takes the wall-clock time elapsed since the previous command
// off every TTL before each command runs. A key's TTL therefore counts from the moment the
// command that set it ran, after the client sent it, so the key never expires before the
// deadline its holder computed from the send time; the holder's Lost() closes first, with
// baton's default drift margin, exactly as against redis-server. An expired key is removed
// when a command, or an accessor of the Miniredis, next touches the data, so no client can
// tell its expiry from a real server's.
//
// FastForward is still there, for what a real clock cannot do in a test: jump ahead, to
// expire a 24-hour key (a fence counter, a cache entry) or a 30s lease now. Such a jump
// takes the TTL off without telling the holder, like a server whose clock leapt: the
// holder's Lost() closes only at its own deadline, so use FastForward to test what happens
// after a key is gone, not the order of loss and take-over. SetTime, by contrast, stops
// the TTL clock at the time it sets (ClockTTL then follows SetTime), which a service test on
// real-time holds rarely wants.
package redistest
