-- Take the lock if it is free, with the next fence (PROTOCOL.md, "Scripts").
-- Prepended: fence.lua (server_us, next_fence), busy.lua (busy). The key holds "<owner token> <fence>" (PROTOCOL.md,
-- "Keys").
-- KEYS[1] lock key, KEYS[2] fence counter, KEYS[3] holders zset, KEYS[4] holders hash
-- (the several-holders layout, which an exclusive hold never overlaps)
-- ARGV[1] owner token, ARGV[2] TTL in ms, ARGV[3] the caller's last fence (0: none)
-- Returns {1, fence, server µs} when the lock is taken, or was already taken by this token
-- (a retry whose first reply was lost, or a grant): then with the fence it was issued;
-- {0, pttl, owner token} when someone else holds it ('' and the ms until the first
-- expires, for holds of the several-holders layout); {-1, n} when those were taken with
-- WithPermits(n > 1).
local held = redis.call('GET', KEYS[1])
if held then
	local mine = ARGV[1] .. ' '
	if string.sub(held, 1, #mine) == mine then
		redis.call('PEXPIRE', KEYS[1], ARGV[2])
		return {1, tonumber(string.sub(held, #mine + 1)), server_us()}
	end
	return {0, redis.call('PTTL', KEYS[1]), string.match(held, '^[^ ]*')}
end
local us = server_us()
local wait, n = busy(KEYS[3], KEYS[4], us)
if wait then
	if n > 0 then
		return {-1, n}
	end
	return {0, wait, ''}
end
local fence, now = next_fence(KEYS[2], ARGV[3], us)
redis.call('SET', KEYS[1], ARGV[1] .. ' ' .. string.format('%d', fence), 'PX', ARGV[2])
return {1, fence, now}
