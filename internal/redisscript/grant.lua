-- Free the lock if this token holds it and hand it to the first live waiter of its queue
-- (written by wait.lua), or, when there is none, delete it and publish the release
-- (PROTOCOL.md, "Scripts", "Server grant"). Prepended: fence.lua (server_us, next_fence). The key
-- holds "<owner token> <fence>".
-- KEYS[1] lock key, KEYS[2] fence counter, KEYS[3] queue list, KEYS[4] queue hash
-- ARGV[1] owner token, ARGV[2] channel, ARGV[3] publish command, ARGV[4] the hold's fence
-- (passes in the process may have taken it past the counter; 0: unknown), ARGV[5] "1" when
-- the token also leaves the queue (a waiter that gives up)
-- Returns 0 when the token did not hold the lock, 1 when it was freed, 2 when granted: the
-- key then holds the waiter's token and its new fence for its grant TTL, and the message
-- "granted <token> <try number> <fence> <server µs>" tells the waiter.
if ARGV[5] == '1' and redis.call('HDEL', KEYS[4], ARGV[1]) == 1 then
	redis.call('LREM', KEYS[3], 1, ARGV[1])
end
local mine = ARGV[1] .. ' '
if string.sub(redis.call('GET', KEYS[1]) or '', 1, #mine) ~= mine then
	return 0
end
local us, now
while true do
	local token = redis.call('LPOP', KEYS[3])
	if not token then
		break
	end
	local entry = redis.call('HGET', KEYS[4], token)
	redis.call('HDEL', KEYS[4], token)
	if entry then
		if not now then
			us = server_us()
			now = math.floor(us / 1000)
		end
		local expiry, try, ttl = string.match(entry, '^(%d+) (%d+) (%d+)$')
		if expiry and tonumber(expiry) > now then
			local fence, clock = next_fence(KEYS[2], ARGV[4], us)
			fence = string.format('%d', fence)
			redis.call('SET', KEYS[1], token .. ' ' .. fence, 'PX', ttl)
			redis.call(ARGV[3], ARGV[2], 'granted ' .. token .. ' ' .. try .. ' ' .. fence .. ' ' .. string.format('%d', clock))
			return 2
		end
	end
end
redis.call('DEL', KEYS[1])
redis.call(ARGV[3], ARGV[2], 'released')
return 1
