-- Free the lock if this token holds it (the key holds "<owner token> <fence>"), and tell
-- the waiters (PROTOCOL.md, "Scripts": a quorum node's release, with no server queue).
-- KEYS[1] lock key; ARGV[1] owner token, ARGV[2] channel, ARGV[3] publish command, or ''
-- to free the key without a message
-- Returns 1 when freed, 0 when the token did not hold the lock.
local mine = ARGV[1] .. ' '
if string.sub(redis.call('GET', KEYS[1]) or '', 1, #mine) ~= mine then
	return 0
end
redis.call('DEL', KEYS[1])
if ARGV[3] ~= '' then
	redis.call(ARGV[3], ARGV[2], 'released')
end
return 1
