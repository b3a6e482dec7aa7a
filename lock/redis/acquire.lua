-- Take the lock if it is free, and advance its fence.
-- KEYS[1] lock key, KEYS[2] fence key
-- ARGV[1] owner token, ARGV[2] TTL in ms, ARGV[3] fence key TTL in ms
-- Returns {1, fence} when the lock is taken (or was already taken by this token: a retry
-- whose first reply was lost), {0, pttl} when someone else holds it.
local cur = redis.call('GET', KEYS[1])
if cur == ARGV[1] then
	redis.call('PEXPIRE', KEYS[1], ARGV[2])
	return {1, tonumber(redis.call('GET', KEYS[2]) or '0')}
end
if cur then
	return {0, redis.call('PTTL', KEYS[1])}
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
-- The fence key expires when the name goes unused, so it falls back on the server clock in
-- microseconds, which is beyond any fence handed out before.
local t = redis.call('TIME')
local fence = tonumber(t[1]) * 1000000 + tonumber(t[2])
local last = tonumber(redis.call('GET', KEYS[2]) or '0')
if last >= fence then
	fence = last + 1
end
redis.call('SET', KEYS[2], string.format('%d', fence), 'PX', ARGV[3])
return {1, fence}
