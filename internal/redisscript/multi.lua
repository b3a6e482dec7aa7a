-- Take one of the holds of a name that allows several: a permit of WithPermits(n), or a
-- shared hold (n = 1: any number of shared holds, none beside an exclusive one)
-- (PROTOCOL.md, "Several holders"). Prepended: fence.lua (server_us, next_fence).
-- KEYS[1] lock key (the exclusive hold), KEYS[2] fence counter, KEYS[3] holders zset
-- (token -> expiry ms, server clock), KEYS[4] holders hash (token -> fence, and "@n" -> n),
-- KEYS[5] queue hash (the exclusive waiters queued on the server, wait.lua; with n > 1 the
-- permit waiters, as wait.lua writes them), KEYS[6] queue list
-- ARGV[1] owner token, ARGV[2] TTL ms, ARGV[3] the caller's last fence (0: none), ARGV[4] n,
-- ARGV[5] entry life ms (0: do not queue; shared tries never queue), ARGV[6] try number,
-- ARGV[7] grant TTL ms (multi_release.lua grants a freed permit to the first live entry)
-- Returns {1, fence, server µs} taken (or already this token's: its expiry is moved and its
-- fence returned); {0, ms until the first hold in the way expires, or for a shared try the
-- first queued writer's entry, if sooner (-1: none known)} when full or excluded; {-1, n} when the name is held with another n.
local us = server_us()
local now = math.floor(us / 1000)
local ttl = tonumber(ARGV[2])
local n = tonumber(ARGV[4])
for _, dead in ipairs(redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', now)) do
	redis.call('ZREM', KEYS[3], dead)
	redis.call('HDEL', KEYS[4], dead)
end
local count = redis.call('ZCARD', KEYS[3])
if count == 0 then
	redis.call('DEL', KEYS[3], KEYS[4])
end
local function keep_keys()
	for i = 3, 4 do
		if redis.call('PTTL', KEYS[i]) < ttl then
			redis.call('PEXPIRE', KEYS[i], ttl)
		end
	end
end
local function leave_queue()
	if redis.call('HDEL', KEYS[5], ARGV[1]) == 1 then
		redis.call('LREM', KEYS[6], 1, ARGV[1])
	end
end
-- ahead says whether free permits are left to live queued waiters before this token: a
-- freed permit goes to the first of them (multi_release.lua), so a newcomer never passes them.
local function ahead(free)
	local seen = 0
	for _, token in ipairs(redis.call('LRANGE', KEYS[6], 0, -1)) do
		if token == ARGV[1] then
			return false
		end
		local expiry = tonumber(string.match(redis.call('HGET', KEYS[5], token) or '', '^(%d+) '))
		if expiry and expiry > now then
			seen = seen + 1
			if seen >= free then
				return true
			end
		end
	end
	return false
end
local function enqueue()
	local life = tonumber(ARGV[5])
	if life <= 0 then
		return
	end
	local entry = string.format('%d', now + life) .. ' ' .. ARGV[6] .. ' ' .. ARGV[7]
	if redis.call('HSET', KEYS[5], ARGV[1], entry) == 1 then
		redis.call('RPUSH', KEYS[6], ARGV[1])
	end
	for i = 5, 6 do -- never shorten the life of other waiters' entries
		if redis.call('PTTL', KEYS[i]) < life then
			redis.call('PEXPIRE', KEYS[i], life)
		end
	end
end
local mine = redis.call('HGET', KEYS[4], ARGV[1])
if mine then
	redis.call('ZADD', KEYS[3], now + ttl, ARGV[1])
	keep_keys()
	leave_queue()
	return {1, tonumber(mine), us}
end
if redis.call('EXISTS', KEYS[1]) == 1 then
	if n ~= 1 then
		return {-1, 1}
	end
	return {0, redis.call('PTTL', KEYS[1])}
end
local theirs = tonumber(redis.call('HGET', KEYS[4], '@n') or ARGV[4])
if theirs ~= n then
	return {-1, theirs}
end
local first = redis.call('ZRANGE', KEYS[3], 0, 0, 'WITHSCORES')
local wait = -1
if first[2] then
	wait = tonumber(first[2]) - now
end
if n > 1 and (count >= n or ahead(n - count)) then
	enqueue()
	return {0, wait}
end
if n == 1 then -- shared: a writer queued on the server goes first
	-- The reader sleeps until the first hold in the way expires, or the first writer
	-- entry does: a writer that gave up or died is no longer in its way then.
	local writer = nil
	local entries = redis.call('HGETALL', KEYS[5])
	for i = 2, #entries, 2 do
		local expiry = tonumber(string.match(entries[i], '^(%d+) '))
		if expiry and expiry > now and (not writer or expiry < writer) then
			writer = expiry
		end
	end
	if writer then
		if wait < 0 or writer - now < wait then
			wait = writer - now
		end
		return {0, wait}
	end
end
local fence, clock = next_fence(KEYS[2], ARGV[3], us)
redis.call('ZADD', KEYS[3], now + ttl, ARGV[1])
redis.call('HSET', KEYS[4], ARGV[1], string.format('%d', fence), '@n', ARGV[4])
keep_keys()
leave_queue()
return {1, fence, clock}
