-- s2s_auth_dane_resolver.lua - mod_s2s_auth_dane: the outgoing service resolver
-- that knows DANE, and its installation into mod_s2s (s2sout-pre-connect on
-- 0.12.4+ and 13, a wrapped net.resolvers.service.new before).
--
--   local out = dofile(dir .. "/s2s_auth_dane_resolver.lua").new{ resolver = r, memo = memo,
--       counters = counters, log = log, adns = require "net.adns",
--       idna_to_ascii = idna_to_ascii, strip_dot = strip_dot, is_ip = is_ip,
--       has_pre_connect = bool, get_option_boolean = function (name, default) ... end,
--       resolvers_service = require "net.resolvers.service",
--       resolvers_chain = require "net.resolvers.chain" }
--   out.new_dane_resolver(hostname, service, conn_type, extra)
--   out.pre_connect_handler  -- nil before 0.12.4; hook it on each host's bus
--   out.restore()            -- on unload: put back what new() replaced
local M = {};

function M.new(deps)
	local resolver, memo, counters, log = deps.resolver, deps.memo, deps.counters, deps.log;
	local adns, idna_to_ascii, strip_dot, is_ip = deps.adns, deps.idna_to_ascii, deps.strip_dot, deps.is_ip;
	local has_pre_connect, get_option_boolean = deps.has_pre_connect, deps.get_option_boolean;
	local resolvers_service, resolvers_chain = deps.resolvers_service, deps.resolvers_chain;
	local memo_get, memo_put = memo.get, memo.put;
	local unpack = table.unpack or unpack; -- luacheck: ignore 113

	---------------------------------------------------------------------------
	-- Outgoing: a service resolver that knows DANE. It resolves SRV with DNSSEC
	-- status through xdane, skips targets whose TLSA lookup is bogus or failed
	-- (RFC 7673 s3.3), and gives every target its own `extra` carrying `dane`
	-- (domain, target, port, TLSA answer), so the certificate check knows exactly
	-- which target the connection went to.
	---------------------------------------------------------------------------
	local dane_resolver_mt = { __index = {} };
	local dane_resolver = dane_resolver_mt.__index;

	local function new_dane_resolver(hostname, service, conn_type, extra)
		return setmetatable({
			hostname = idna_to_ascii(hostname);
			domain = hostname;
			service = service;
			direct = service == "xmpps-server";
			conn_type = conn_type or "tcp";
			extra = extra;
			queue = {};
		}, dane_resolver_mt);
	end

	function dane_resolver:next(cb)
		if self.queue[1] then
			cb(unpack(table.remove(self.queue, 1), 1, 4));
			return;
		end
		if self.targets then
			local target = table.remove(self.targets, 1);
			if not target then
				cb(nil);
				return;
			end
			return self:resolve_target(target, cb);
		end
		if self.aborted then cb(nil); return; end
		if not self.hostname then
			self.last_error = "hostname failed IDNA";
			cb(nil);
			return;
		end
		local label = "_" .. self.service .. "._tcp." .. self.hostname;
		if self.direct then
			-- mod_s2s asks for _xmpps-server first and _xmpp-server only after it: warm the
			-- resolver's cache for the second now (identical lookups are coalesced)
			resolver:srv(self.hostname, false, function () end);
		end
		local srv_key = "srv " .. (self.direct and "s " or "") .. self.hostname;
		local function on_answer(answer)
			local status = answer.status;
			self.targets = {};
			if status == "bogus" or status == "indeterminate" then
				-- RFC 7673 s3.1: no fallback to the domain's own address records
				local msg = ("SRV lookup %s %s%s"):format(label, status, answer.why and (" (" .. answer.why .. ")") or "");
				self.last_error = "DANE: " .. msg;
				log("warn", "DANE outgoing %s: %s: %s", self.domain, status == "bogus" and "bogus" or "lookup error", msg);
				self.aborted = true;
			else
				local secure = status == "secure";
				local records = answer.records or {};
				if #records == 0 then
					if not self.direct and self.extra and self.extra.default_port ~= false then
						self.targets[1] = { target = self.hostname, port = self.extra and self.extra.default_port or 5269, srv_secure = secure };
					else
						self.last_error = "zero SRV records found";
					end
				elseif #records == 1 and strip_dot(records[1].target) == "." then
					self.last_error = "service explicitly unavailable";
				else
					for _, rr in ipairs(records) do
						self.targets[#self.targets + 1] = { target = strip_dot(rr.target), port = rr.port, srv_secure = secure };
					end
				end
			end
			self:next(cb);
		end
		local known = memo_get(srv_key);
		if known then
			counters.memo_hits = counters.memo_hits + 1;
			return on_answer(known);
		end
		local id, err = resolver:srv(self.hostname, self.direct, function (answer)
			if answer.status == "secure" or answer.status == "insecure" then memo_put(srv_key, answer, answer.ttl); end
			on_answer(answer);
		end);
		if not id then
			self.last_error = "DANE: SRV lookup failed: " .. tostring(err);
			self.targets = {};
			self:next(cb);
		end
	end

	-- resolve_target - TLSA (behind a secure SRV) and A/AAAA of one target, in parallel.
	function dane_resolver:resolve_target(t, cb)
		local info = { domain = self.domain, target = t.target, port = t.port, direct = self.direct, srv_secure = t.srv_secure };
		local target_key = ("target %s %d %s"):format(t.target, t.port, tostring(t.srv_secure));
		local known = memo_get(target_key);
		if known then
			-- a failure-free earlier resolution of this target (TLSA and addresses)
			counters.memo_hits = counters.memo_hits + 1;
			info.tlsa, info.addr_insecure = known.tlsa, known.addr_insecure;
			local extra = setmetatable({ dane = info }, { __index = self.extra });
			for _, a in ipairs(known.addrs) do
				self.queue[#self.queue + 1] = { a[1], a[2], t.port, extra };
			end
			return self:next(cb);
		end
		local addrs, addr_secure, addr_bogus = {}, true, nil;
		local tlsa_ttl;
		local pending = 1;
		local finished = false;
		local function ready()
			pending = pending - 1;
			if finished then return; end
			local tlsa = info.tlsa;
			if tlsa and (tlsa.status == "bogus" or tlsa.status == "indeterminate") then
				-- RFC 7673 s3.3: do not connect to this target, try the next one (at once:
				-- its address lookups may hang as long as the TLSA one did)
				finished = true;
				local msg = ("TLSA lookup _%d._tcp.%s %s%s"):format(t.port, t.target, tlsa.status, tlsa.why and (" (" .. tlsa.why .. ")") or "");
				self.last_error = "DANE: " .. msg;
				log("warn", "DANE outgoing %s: %s: target %s:%d skipped, %s", self.domain, tlsa.status == "bogus" and "bogus" or "lookup error", t.target, t.port, msg);
				return self:next(cb);
			end
			if pending > 0 then return; end
			finished = true;
			if addr_bogus then
				self.last_error = "DANE: address lookup for " .. t.target .. " bogus";
				log("warn", "DANE outgoing %s: bogus: target %s skipped, address records bogus", self.domain, t.target);
				return self:next(cb);
			end
			info.addr_insecure = not addr_secure;
			if #addrs > 0 then
				-- address TTLs are not visible here: keep the memo short
				memo_put(target_key, { tlsa = info.tlsa, addrs = addrs, addr_insecure = info.addr_insecure },
					math.min(tlsa_ttl or 30, 30));
			end
			local extra = setmetatable({ dane = info }, { __index = self.extra });
			for _, a in ipairs(addrs) do
				self.queue[#self.queue + 1] = { a[1], a[2], t.port, extra };
			end
			if #addrs == 0 and not self.last_error then self.last_error = "no address records for " .. t.target; end
			return self:next(cb);
		end
		local function lookup_addr(qtype, family, field)
			pending = pending + 1;
			adns.resolver():lookup(function (answer, err)
				if answer then
					if #answer > 0 and not answer.secure then addr_secure = false; end
					if answer.bogus then addr_bogus = true; end
					for _, rr in ipairs(answer) do addrs[#addrs + 1] = { self.conn_type .. family, rr[field] }; end
				elseif err then
					self.last_error = tostring(err);
				end
				ready();
			end, t.target, qtype, "IN");
		end
		if not t.srv_secure then
			-- insecure SRV: the target name is not authenticated, no TLSA lookup (RFC 7673 s3.1)
			info.tlsa = nil;
		else
			pending = pending + 1;
			local id, err = resolver:tlsa(t.port, t.target, function (answer)
				info.tlsa = { status = answer.status, why = answer.why, records = answer.records or {} };
				tlsa_ttl = tonumber(answer.ttl) or 0;
				ready();
			end);
			if not id then
				info.tlsa = { status = "indeterminate", why = tostring(err), records = {} };
				pending = pending - 1;
			end
		end
		if not self.extra or self.extra.use_ipv4 ~= false then lookup_addr("A", "4", "a"); end
		if not self.extra or self.extra.use_ipv6 ~= false then lookup_addr("AAAA", "6", "aaaa"); end
		ready();
	end

	-- kept on the shared table, so a module instance that was never unloaded cannot
	-- make a reloaded one wrap its wrapper
	local original_service_new = rawget(resolvers_service, "dane_original_new") or resolvers_service.new;

	local pre_connect_handler;
	if has_pre_connect then
		-- 0.12.4+ and 13: replace the resolver mod_s2s built for this session.
		local function on_pre_connect(event)
			local session = event.session;
			local to_host = session.to_host;
			if not to_host or is_ip(to_host) then return; end
			local base = { default_port = 5269;
				use_ipv4 = get_option_boolean("use_ipv4", true);
				use_ipv6 = get_option_boolean("use_ipv6", true) };
			local xmpp = new_dane_resolver(to_host, "xmpp-server", "tcp", setmetatable({}, { __index = base }));
			if session.ssl_ctx then
				local xmpps_extra = setmetatable({ default_port = false; servername = to_host; sslctx = session.ssl_ctx }, { __index = base });
				event.resolver = resolvers_chain.new({ new_dane_resolver(to_host, "xmpps-server", "tcp", xmpps_extra), xmpp });
			else
				event.resolver = xmpp;
			end
		end
		-- fired on the host's bus (module:context(from_host)), hooked by the module in add_host
		pre_connect_handler = on_pre_connect;
	else
		-- 0.12.0-0.12.3 fire no s2sout-pre-connect; mod_s2s calls service.new() through
		-- the shared module table at connect time, so wrap it while we are loaded.
		resolvers_service.dane_original_new = original_service_new;
		resolvers_service.new = function (hostname, service, conn_type, extra)
			if (service == "xmpp-server" or service == "xmpps-server") and type(hostname) == "string" and not is_ip(hostname) then
				return new_dane_resolver(hostname, service, conn_type, extra);
			end
			return original_service_new(hostname, service, conn_type, extra);
		end;
	end

	-- restore - undo the service.new wrap (module unload)
	local function restore()
		if not has_pre_connect then
			resolvers_service.new = original_service_new;
			resolvers_service.dane_original_new = nil;
		end
	end

	return { new_dane_resolver = new_dane_resolver, pre_connect_handler = pre_connect_handler, restore = restore };
end

return M;
