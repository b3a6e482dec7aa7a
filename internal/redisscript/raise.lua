-- Raise a fence counter to at least a value, so that the next acquisition on this node
-- hands out a larger fence (the quorum backend's fence is the largest of its nodes').
-- The counter has no TTL (PROTOCOL.md, "Keys").
-- KEYS[1] fence counter; ARGV[1] fence
-- Returns the counter after the call.
local last = tonumber(redis.call('GET', KEYS[1]) or '0')
local want = tonumber(ARGV[1])
if last >= want then
	return last
end
redis.call('SET', KEYS[1], ARGV[1])
return want
