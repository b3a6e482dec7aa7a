-- Take the lock if it is free, and advance its fence (next_fence: fence.lua, run first;
-- taken and waiting: nowait.lua, or queue.lua for a waiter that asks to be granted the lock).
-- KEYS[1] lock key, KEYS[2] fence key
-- ARGV[1] owner token, ARGV[2] TTL in ms, ARGV[3] fence key TTL in ms
-- Returns {1, fence} when the lock is taken (or was already taken by this token: a retry
-- whose first reply was lost, or a grant), {0, pttl, owner token} when someone else holds it.
if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
	local owner = redis.call('GET', KEYS[1])
	if owner == ARGV[1] then
		redis.call('PEXPIRE', KEYS[1], ARGV[2])
		taken(ARGV[1])
		return {1, tonumber(redis.call('GET', KEYS[2]) or '0')}
	end
	local pttl = redis.call('PTTL', KEYS[1])
	waiting(ARGV[1])
	return {0, pttl, owner}
end
taken(ARGV[1])
return {1, next_fence(KEYS[2], ARGV[3])}
