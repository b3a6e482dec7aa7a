-- next_fence advances the fence counter in key and returns the new fence: the server clock
-- in µs, or the last fence + 1 if that is ahead. The counter key lives ttl ms after the
-- last fence it handed out; once it expires unused the clock is past every fence it gave.
local function next_fence(key, ttl)
	local t = redis.call('TIME')
	local fence = tonumber(t[1]) * 1000000 + tonumber(t[2])
	local last = tonumber(redis.call('SET', key, string.format('%d', fence), 'PX', ttl, 'GET') or '0')
	if last >= fence then
		fence = last + 1
		redis.call('SET', key, string.format('%d', fence), 'PX', ttl)
	end
	return fence
end
