// Package redischeck asks a Redis server, when a backend is made, whether it can serve
// baton: recent enough for the scripts, allowed by its ACL to run every command baton
// sends, and not set to evict keys. A server that cannot serve baton should stop the
// service at start, with the command to fix named, not fail its first Acquire in
// production with a NOPERM or an unknown-command error.
//
// Each node costs two round trips: INFO server, ACL WHOAMI and CONFIG GET in one pipeline,
// then every needed command through ACL DRYRUN (Redis 7.0) in another. A server without ACL
// DRYRUN, or a user not allowed to call it, is asked by trying the harmless ones instead
// (EVALSHA of an unknown script, EVAL of "return 0", PUBLISH to a channel nobody hears).
// A server that refuses INFO or CONFIG (managed Redis may) is not judged on what it hides.
package redischeck
