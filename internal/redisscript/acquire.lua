-- Take the lock if it is free, with the next fence (next_fence: fence.lua, run first;
-- taken and waiting: nowait.lua, or queue.lua for a waiter that asks to be granted the lock).
-- The key holds "<owner token> <fence>" (PROTOCOL.md, "Keys").
-- KEYS[1] lock key, KEYS[2] fence counter
-- ARGV[1] owner token, ARGV[2] TTL in ms, ARGV[3] the caller's last fence (0: none)
-- Returns {1, fence, server µs} when the lock is taken, or was already taken by this token
-- (a retry whose first reply was lost, or a grant): then with the fence it was issued;
-- {0, pttl, owner token} when someone else holds it.
local held = redis.call('GET', KEYS[1])
if held then
	local mine = ARGV[1] .. ' '
	if string.sub(held, 1, #mine) == mine then
		redis.call('PEXPIRE', KEYS[1], ARGV[2])
		taken(ARGV[1])
		local t = redis.call('TIME')
		return {1, tonumber(string.sub(held, #mine + 1)), tonumber(t[1]) * 1000000 + tonumber(t[2])}
	end
	local pttl = redis.call('PTTL', KEYS[1])
	waiting(ARGV[1])
	return {0, pttl, string.match(held, '^[^ ]*')}
end
local fence, now = next_fence(KEYS[2], ARGV[3])
redis.call('SET', KEYS[1], ARGV[1] .. ' ' .. string.format('%d', fence), 'PX', ARGV[2])
taken(ARGV[1])
return {1, fence, now}
