-- Take the lock if it is free, and advance its fence.
-- KEYS[1] lock key, KEYS[2] fence key
-- ARGV[1] owner token, ARGV[2] TTL in ms, ARGV[3] fence key TTL in ms
-- Returns {1, fence} when the lock is taken (or was already taken by this token: a retry
-- whose first reply was lost), {0, pttl} when someone else holds it.
if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
	if redis.call('GET', KEYS[1]) == ARGV[1] then
		redis.call('PEXPIRE', KEYS[1], ARGV[2])
		return {1, tonumber(redis.call('GET', KEYS[2]) or '0')}
	end
	return {0, redis.call('PTTL', KEYS[1])}
end
-- The next fence is the server clock in µs, or the last fence + 1 if that is ahead: the
-- fence key expires when the name goes unused, and the clock is then past every fence
-- handed out before.
local t = redis.call('TIME')
local fence = tonumber(t[1]) * 1000000 + tonumber(t[2])
local last = tonumber(redis.call('SET', KEYS[2], string.format('%d', fence), 'PX', ARGV[3], 'GET') or '0')
if last >= fence then
	fence = last + 1
	redis.call('SET', KEYS[2], string.format('%d', fence), 'PX', ARGV[3])
end
return {1, fence}
