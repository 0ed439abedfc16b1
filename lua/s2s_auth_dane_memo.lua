-- s2s_auth_dane_memo.lua - mod_s2s_auth_dane: last-mile memo of finished DNS answers.
--
--   local memo = dofile(dir .. "/s2s_auth_dane_memo.lua").new(require "util.time".now)
--   memo.put(key, value, ttl); memo.get(key) -> value or nil
--
-- Last-mile memo of finished, failure-free DNS facts, for at most their TTL (capped):
-- the resolver never answers synchronously, and each answer delivered from the loop
-- costs a loop turn (>= 1 ms in epoll), so a warm check would otherwise still wait.
local M = {};

local MEMO_MAX, MEMO_TTL_MAX = 2000, 300;

-- new - an empty memo; now() gives the current time in seconds.
function M.new(now)
	local memo, memo_n = {}, 0;

	local function memo_get(key)
		local e = memo[key];
		if not e then return nil; end
		if e.expires > now() then return e.value; end
		memo[key] = nil;
		memo_n = memo_n - 1;
		return nil;
	end

	local function memo_put(key, value, ttl)
		if not ttl or ttl <= 0 then return; end
		if memo_n >= MEMO_MAX then memo, memo_n = {}, 0; end
		if not memo[key] then memo_n = memo_n + 1; end
		memo[key] = { expires = now() + math.min(ttl, MEMO_TTL_MAX), value = value };
	end

	return { get = memo_get, put = memo_put };
end

return M;
