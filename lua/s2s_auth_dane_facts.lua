-- s2s_auth_dane_facts.lua - mod_s2s_auth_dane: DNS facts about one peer domain.
--
--   local facts = dofile(dir .. "/s2s_auth_dane_facts.lua").new{ resolver = r, memo = memo,
--       counters = counters, log = log, async = require "util.async",
--       add_timer = function (delay, cb) return module:add_timer(delay, cb) end,
--       wait_limit = seconds, strip_dot = strip_dot }
--   facts.domain_facts(domain); facts.target_facts(info); facts.wait_for(session, f)
--
-- Incoming (or outgoing without target info): the union over SRV of both services
-- and TLSA of every secure target. Outgoing: the one target the connection went to.
local M = {};

function M.new(deps)
	local resolver, memo, counters, log = deps.resolver, deps.memo, deps.counters, deps.log;
	local async, add_timer, wait_limit, strip_dot = deps.async, deps.add_timer, deps.wait_limit, deps.strip_dot;
	local memo_get, memo_put = memo.get, memo.put;

	---------------------------------------------------------------------------
	-- DNS facts about one peer domain (incoming, or outgoing without target info):
	-- SRV of both services, TLSA of every secure target. Waiters are woken from
	-- the resolver callback, which always runs from the main loop.
	---------------------------------------------------------------------------
	local facts_mt = { __index = {} };
	local facts_methods = facts_mt.__index;

	function facts_methods:finish()
		if self.done then return; end
		self.done = true;
		self.ids = {};
		local waiters = self.waiters;
		self.waiters = {};
		for _, wake in ipairs(waiters) do
			local ok, err = pcall(wake);
			if not ok then log("error", "DANE waiter failed: %s", err); end
		end
	end

	function facts_methods:cancel()
		if self.done then return; end
		for id in pairs(self.ids) do resolver:cancel(id); end
		self.ids = {};
		self.cancelled = true;
		counters.cancelled = counters.cancelled + 1;
		self:finish();
	end

	function facts_methods:fail(what, status, why)
		self.failures[#self.failures + 1] = { what = what, status = status, why = why };
	end

	-- start - issue one lookup; on_answer runs later from the loop.
	function facts_methods:start(kind, on_answer, ...)
		local id;
		local args = { ... };
		local function cb(answer)
			if self.done then return; end -- cancelled or timed out: discard
			if id then self.ids[id] = nil; end
			local ttl = tonumber(answer.ttl) or 0;
			if not self.min_ttl or ttl < self.min_ttl then self.min_ttl = ttl; end
			self.pending = self.pending - 1;
			on_answer(answer);
			if self.pending == 0 then self:finish(); end
		end
		self.pending = self.pending + 1;
		local err;
		if kind == "srv" then
			id, err = resolver:srv(args[1], args[2], cb);
		else
			id, err = resolver:tlsa(args[1], args[2], cb);
		end
		if id then
			self.ids[id] = true;
		else
			self.pending = self.pending - 1;
			self:fail(kind == "srv" and ("SRV of " .. tostring(args[1])) or ("TLSA _" .. tostring(args[1]) .. "._tcp." .. tostring(args[2])),
				"indeterminate", tostring(err));
		end
	end

	function facts_methods:add_tlsa(port, target)
		local key = port .. " " .. target;
		if self.seen[key] then return; end
		self.seen[key] = true;
		self:start("tlsa", function (answer)
			local entry = { port = port, target = target, status = answer.status, why = answer.why,
				records = answer.records or {}, owner = ("_%d._tcp.%s"):format(port, target) };
			self.tlsa[#self.tlsa + 1] = entry;
			if answer.status == "bogus" or answer.status == "indeterminate" then
				self:fail("TLSA " .. entry.owner, answer.status, answer.why);
			elseif answer.status == "insecure" then
				self.insecure[#self.insecure + 1] = "TLSA " .. entry.owner;
			end
		end, port, target);
	end

	function facts_methods:on_srv(direct, answer)
		local label = (direct and "_xmpps-server._tcp." or "_xmpp-server._tcp.") .. self.domain;
		local status = answer.status;
		if status == "bogus" or status == "indeterminate" then
			self:fail("SRV " .. label, status, answer.why);
			return;
		elseif status ~= "secure" then
			self.insecure[#self.insecure + 1] = "SRV " .. label;
			return;
		end
		local records = answer.records or {};
		if #records == 0 then
			-- secure denial: RFC 6120 3.2 fallback to the domain itself on 5269
			if not direct then
				self.names[#self.names + 1] = self.domain;
				self:add_tlsa(5269, self.domain);
			end
			return;
		end
		if #records == 1 and strip_dot(records[1].target) == "." then
			return; -- "no service" (RFC 2782)
		end
		for _, rr in ipairs(records) do
			local target = strip_dot(rr.target);
			if target ~= "." then
				self.targets[#self.targets + 1] = target;
				self.names[#self.names + 1] = target;
				self:add_tlsa(rr.port, target);
			end
		end
	end

	local function domain_facts(domain)
		local known = memo_get("facts " .. domain);
		if known then
			-- read-only after completion, so sessions may share one
			counters.memo_hits = counters.memo_hits + 1;
			return known;
		end
		local f = setmetatable({
			domain = domain, pending = 0, ids = {}, waiters = {}, seen = {},
			tlsa = {}, failures = {}, insecure = {}, targets = {}, names = { domain },
		}, facts_mt);
		f.waiters[1] = function ()
			if not f.cancelled and not f.timed_out and #f.failures == 0 then
				memo_put("facts " .. domain, f, f.min_ttl);
			end
		end;
		f:start("srv", function (answer) f:on_srv(false, answer); end, domain, false);
		f:start("srv", function (answer) f:on_srv(true, answer); end, domain, true);
		if f.pending == 0 then f:finish(); end
		return f;
	end

	-- facts of the one target an outgoing connection went to (set by our resolver)
	local function target_facts(info)
		local f = setmetatable({
			domain = info.domain, pending = 0, ids = {}, waiters = {}, seen = {},
			tlsa = {}, failures = {}, insecure = {}, targets = { info.target },
			names = { info.domain, info.target }, done = true, target = info,
		}, facts_mt);
		if not info.srv_secure then
			f.insecure[#f.insecure + 1] = "SRV of " .. info.domain;
		elseif info.addr_insecure then
			f.insecure[#f.insecure + 1] = "address records of " .. info.target;
		elseif info.tlsa then
			local t = info.tlsa;
			local owner = ("_%d._tcp.%s"):format(info.port, info.target);
			f.tlsa[1] = { port = info.port, target = info.target, status = t.status, why = t.why, records = t.records or {}, owner = owner };
			if t.status == "bogus" or t.status == "indeterminate" then
				f:fail("TLSA " .. owner, t.status, t.why);
			elseif t.status == "insecure" then
				f.insecure[#f.insecure + 1] = "TLSA " .. owner;
			end
		end
		return f;
	end

	-- wait_for - block the session's runner until facts are done, bounded by wait_limit.
	local function wait_for(session, facts)
		if facts.done then return true; end
		if not async.ready() then return false; end
		local wait, done = async.waiter(1, true);
		local woken = false;
		local function wake()
			if woken then return; end
			woken = true;
			done();
		end
		facts.waiters[#facts.waiters + 1] = wake;
		local t = add_timer(wait_limit, function ()
			if not facts.done then
				facts.timed_out = true;
				facts:cancel();
			end
			wake();
		end);
		session.log("debug", "DANE check waiting for DNS of %s", facts.domain);
		wait();
		t:stop();
		return facts.done;
	end

	return { domain_facts = domain_facts, target_facts = target_facts, wait_for = wait_for };
end

return M;
