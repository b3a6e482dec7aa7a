-- Prepended to the exclusive scripts that take a free lock key (acquire.lua, wait.lua):
-- busy(holders, fences, us) says whether holds of the several-holders layout are in the way
-- at us, the server clock in µs (server_us, fence.lua) (PROTOCOL.md, "Several holders"):
-- nil when none is live; else the ms until the first expires and, when they were taken
-- with WithPermits(n > 1), that n (an exclusive handle disagrees with it), or 0 for shared
-- holds (it only waits).
--
-- A take that finds no holders key is done at the cost of one EXISTS: every script that
-- writes a hold's expiry into the set gives the key a TTL at least that far (PROTOCOL.md,
-- "Several holders", "Exclusion"), so no key means no live hold.
local function busy(holders, fences, us)
	if redis.call('EXISTS', holders) == 0 then
		return nil
	end
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
