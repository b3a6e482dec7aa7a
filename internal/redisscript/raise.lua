-- Raise a fence counter to at least a value, so that the next acquisition on this node
-- hands out a larger fence (the quorum backend's fence is the largest of its nodes'), and
-- the fence stored with the hold's key to it, so that Inspect on a majority reads the
-- hold's fence (PROTOCOL.md, "Fences", 6; "Inspect"). The counter has no TTL; the key
-- keeps its TTL (PROTOCOL.md, "Keys").
-- KEYS[1] fence counter, KEYS[2] lock key; ARGV[1] fence, ARGV[2] the hold's owner token
-- Returns the counter after the call.
local want = tonumber(ARGV[1])
local mine = ARGV[2] .. ' '
local held = redis.call('GET', KEYS[2])
if held and string.sub(held, 1, #mine) == mine and tonumber(string.sub(held, #mine + 1)) < want then
	redis.call('SET', KEYS[2], mine .. ARGV[1], 'KEEPTTL')
end
local last = tonumber(redis.call('GET', KEYS[1]) or '0')
if last >= want then
	return last
end
redis.call('SET', KEYS[1], ARGV[1])
return want
