package redisscript

// AcquireReply reads the reply of acquire.lua or wait.lua, for the tests of its edge cases.
var AcquireReply = acquireReply
