-- Free one hold of a name that allows several (multi.lua), and tell the waiters; the keys
-- go when the last hold does (PROTOCOL.md, "Several holders").
-- KEYS[1] holders zset, KEYS[2] holders hash; ARGV[1] owner token, ARGV[2] channel,
-- ARGV[3] publish command
-- Returns 1 when freed, 0 when the token held none.
if redis.call('HDEL', KEYS[2], ARGV[1]) == 0 then
	return 0
end
local live = redis.call('ZREM', KEYS[1], ARGV[1])
if redis.call('ZCARD', KEYS[1]) == 0 then
	redis.call('DEL', KEYS[1], KEYS[2])
end
redis.call(ARGV[3], ARGV[2], 'released')
return live
