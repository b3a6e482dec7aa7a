-- Prepended to the exclusive scripts that take a free lock key (acquire.lua, wait.lua):
-- busy(holders, fences, us) says whether holds of the several-holders layout are in the way
-- at us, the server clock in µs (server_us, fence.lua) (PROTOCOL.md, "Several holders"):
-- nil when none is live; else the ms until the first expires and, when they were taken
-- with WithPermits(n > 1), that n (an exclusive handle disagrees with it), or 0 for shared
-- holds (it only waits).
local function busy(holders, fences, us)
	local now = math.floor(us / 1000)
	local first = redis.call('ZRANGEBYSCORE', holders, '(' .. now, '+inf', 'WITHSCORES', 'LIMIT', 0, 1)
	if not first[2] then
		return nil
	end
	local n = tonumber(redis.call('HGET', fences, '@n') or '1')
	if n == 1 then
		n = 0
	end
	return tonumber(first[2]) - now, n
end
