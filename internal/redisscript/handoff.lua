-- Pass the lock from one owner to the next in one step, and advance its fence (next_fence:
-- fence.lua, run first).
-- KEYS[1] lock key, KEYS[2] fence key
-- ARGV[1] old owner token, ARGV[2] new owner token, ARGV[3] TTL in ms, ARGV[4] fence key TTL in ms
-- Returns the new hold's fence, or -1 when the old token did not hold the lock.
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
	return -1
end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return next_fence(KEYS[2], ARGV[4])
