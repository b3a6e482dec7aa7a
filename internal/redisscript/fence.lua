-- next_fence hands out the next fence of the lock counted by the counter key: the largest
-- of the server clock in µs, the counter + 1 and floor + 1 (the last fence the caller knows
-- of), and leaves it in the counter, which has no TTL (PROTOCOL.md, "Fences"). The clock
-- keeps fences growing when the counter was deleted, evicted or set lower; the counter,
-- when many fences come within a µs or the clock stepped back. Returns the fence and the
-- clock reading, which tells the caller how far the server clock has come. A counter that
-- is not a number counts as none, and is written over.
local function next_fence(key, floor)
	local t = redis.call('TIME')
	local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
	local last = tonumber(redis.call('GET', key) or '0') or 0
	local fence = math.max(now, last + 1, tonumber(floor) + 1)
	redis.call('SET', key, string.format('%d', fence))
	return fence, now
end
