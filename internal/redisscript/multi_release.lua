-- Free one hold of a name that allows several (multi.lua) and, with WithPermits(n > 1),
-- grant the freed permits to the first live waiters queued on the server, in queue order
-- (multi.lua writes their entries); else tell the waiters it is free. The keys go when the
-- last hold does (PROTOCOL.md, "Several holders"). Prepended: fence.lua (server_us, next_fence).
-- KEYS[1] holders zset, KEYS[2] holders hash, KEYS[3] fence counter, KEYS[4] queue list,
-- KEYS[5] queue hash
-- ARGV[1] owner token, ARGV[2] channel, ARGV[3] publish command, ARGV[4] the hold's fence
-- (0: unknown), ARGV[5] (optional) the token of a waiter of the releasing process that
-- sleeps until this reply tells it (PROTOCOL.md, "Permit hand-off"), ARGV[6] its TTL ms
-- Returns {1, fence, server µs} when freed, {0, 0, 0} when the token held none; the fence
-- is the one the ARGV[5] waiter was admitted with (0: it was not). The token leaves the
-- queue either way (a waiter that gives up). The keys' TTL is cut to the expiry of the
-- longest-lived hold left. A grantee holds for its grant TTL from now,
-- with a new fence, and the message "granted <token> <try number> <fence> <server µs>"
-- tells it; the ARGV[5] waiter, when its turn in the queue comes, holds for its own TTL
-- from now instead, and only the reply tells it: it waits for nothing else.
if redis.call('HDEL', KEYS[5], ARGV[1]) == 1 then
	redis.call('LREM', KEYS[4], 1, ARGV[1])
end
if redis.call('HDEL', KEYS[2], ARGV[1]) == 0 then
	return {0, 0, 0}
end
local live = redis.call('ZREM', KEYS[1], ARGV[1])
local us = server_us()
local now = math.floor(us / 1000)
for _, dead in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now)) do
	redis.call('ZREM', KEYS[1], dead)
	redis.call('HDEL', KEYS[2], dead)
end
local count = redis.call('ZCARD', KEYS[1])
local n = tonumber(redis.call('HGET', KEYS[2], '@n') or '1')
local granted, passed, at = false, 0, 0
while n > 1 and count < n do
	local token = redis.call('LPOP', KEYS[4])
	if not token then
		break
	end
	local entry = redis.call('HGET', KEYS[5], token)
	redis.call('HDEL', KEYS[5], token)
	local expiry, try, ttl = string.match(entry or '', '^(%d+) (%d+) (%d+)$')
	if expiry and tonumber(expiry) > now then
		local fence, clock = next_fence(KEYS[3], ARGV[4], us)
		local here = token == ARGV[5]
		if here then
			ttl, passed, at = ARGV[6], fence, clock
		end
		fence = string.format('%d', fence)
		redis.call('ZADD', KEYS[1], now + tonumber(ttl), token)
		redis.call('HSET', KEYS[2], token, fence)
		for i = 1, 2 do
			if redis.call('PTTL', KEYS[i]) < tonumber(ttl) then
				redis.call('PEXPIRE', KEYS[i], ttl)
			end
		end
		if not here then
			redis.call(ARGV[3], ARGV[2], 'granted ' .. token .. ' ' .. try .. ' ' .. fence .. ' ' .. string.format('%d', clock))
		end
		count, granted = count + 1, true
	end
end
if count == 0 then
	redis.call('DEL', KEYS[1], KEYS[2])
else -- the keys live as long as the longest-lived hold left, and no longer (Locked)
	local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
	for i = 1, 2 do
		redis.call('PEXPIRE', KEYS[i], tonumber(last[2]) - now)
	end
end
if not granted then
	redis.call(ARGV[3], ARGV[2], 'released')
end
return {live, passed, at}
