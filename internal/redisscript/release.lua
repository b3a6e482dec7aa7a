-- Free the lock if this token holds it (the key holds "<owner token> <fence>"), and tell
-- the waiters (PROTOCOL.md, "Scripts": a quorum node's release, with no server queue).
-- Before it frees the key it raises the fence counter to the hold's fence, when that is
-- larger ("Fences", 6): the hold's fence may have come from another node, and the next
-- hold on this node must get a larger one, whether or not the hold's own raise (raise.lua)
-- has landed.
-- KEYS[1] lock key, KEYS[2] fence counter; ARGV[1] owner token, ARGV[2] channel, ARGV[3]
-- publish command, or '' to free the key without a message, ARGV[4] the hold's fence (0:
-- none, a try that did not take the lock undoes what it took)
-- Returns 1 when freed, 0 when the token did not hold the lock.
local mine = ARGV[1] .. ' '
if string.sub(redis.call('GET', KEYS[1]) or '', 1, #mine) ~= mine then
	return 0
end
local fence = tonumber(ARGV[4])
if fence > (tonumber(redis.call('GET', KEYS[2]) or '0') or 0) then
	redis.call('SET', KEYS[2], ARGV[4])
end
redis.call('DEL', KEYS[1])
if ARGV[3] ~= '' then
	redis.call(ARGV[3], ARGV[2], 'released')
end
return 1
