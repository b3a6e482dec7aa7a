-- Set the lock's TTL if this token holds it (the key holds "<owner token> <fence>";
-- PROTOCOL.md, "Scripts", "Holds").
-- KEYS[1] lock key; ARGV[1] owner token, ARGV[2] TTL in ms
-- Returns 1 when extended, 0 when the token did not hold the lock.
local mine = ARGV[1] .. ' '
if string.sub(redis.call('GET', KEYS[1]) or '', 1, #mine) ~= mine then
	return 0
end
return redis.call('PEXPIRE', KEYS[1], ARGV[2])
