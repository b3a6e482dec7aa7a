-- server_us reads the server clock (TIME) in µs. A script reads it once and hands the
-- reading to next_fence (and busy), so a take costs one TIME.
local function server_us()
	local t = redis.call('TIME')
	return tonumber(t[1]) * 1000000 + tonumber(t[2])
end

-- next_fence hands out the next fence of the lock counted by the counter key: the largest
-- of now (the server clock in µs, server_us), the counter + 1 and floor + 1 (the last fence
-- the caller knows of), and leaves it in the counter, which has no TTL (PROTOCOL.md,
-- "Fences"). The clock keeps fences growing when the counter was deleted, evicted or set
-- lower; the counter, when many fences come within a µs or the clock stepped back. Returns
-- the fence and now, which tells the caller how far the server clock has come. A counter
-- that is not a number counts as none, and is written over. The counter is written with
-- now and read in one call (SET ... GET); only when the fence must be above now is it
-- written again.
local function next_fence(key, floor, now)
	local last = tonumber(redis.call('SET', key, string.format('%d', now), 'GET') or '0') or 0
	local fence = math.max(now, last + 1, tonumber(floor) + 1)
	if fence > now then
		redis.call('SET', key, string.format('%d', fence))
	end
	return fence, now
end
