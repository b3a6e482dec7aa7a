-- Issue a fence for the next hold of a lock while its owner still holds it, for a hold the
-- owner's process will pass on without another round trip (next_fence: fence.lua, run
-- first). The fence is larger than every fence handed out so far, and smaller than any
-- fence handed out after the owner frees the lock.
-- KEYS[1] lock key, KEYS[2] fence key
-- ARGV[1] owner token, ARGV[2] fence key TTL in ms
-- Returns the fence, or -1 when the token does not hold the lock.
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
	return -1
end
return next_fence(KEYS[2], ARGV[2])
