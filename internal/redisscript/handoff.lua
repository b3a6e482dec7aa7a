-- Pass the lock from one owner to the next in one step, with the next fence (PROTOCOL.md,
-- "Scripts", "In-process pass"). Prepended: fence.lua (server_us, next_fence). The key holds "<owner token> <fence>".
-- The new owner takes its token out of the lock's queue on the server (wait.lua), as a
-- waiter that takes the lock by a try does: it may have queued there, and a withdrawal
-- later would run the release script with its token, which now holds the key.
-- KEYS[1] lock key, KEYS[2] fence counter, KEYS[3] queue list, KEYS[4] queue hash
-- ARGV[1] old owner token, ARGV[2] new owner token, ARGV[3] TTL in ms, ARGV[4] the old
-- hold's fence (passes in the process may have taken it past the counter)
-- Returns {1, fence, server µs} for the new hold, or {0} when the old token did not hold
-- the lock.
local mine = ARGV[1] .. ' '
if string.sub(redis.call('GET', KEYS[1]) or '', 1, #mine) ~= mine then
	return {0}
end
local fence, now = next_fence(KEYS[2], ARGV[4], server_us())
redis.call('SET', KEYS[1], ARGV[2] .. ' ' .. string.format('%d', fence), 'PX', ARGV[3])
if redis.call('HDEL', KEYS[4], ARGV[2]) == 1 then
	redis.call('LREM', KEYS[3], 1, ARGV[2])
end
return {1, fence, now}
