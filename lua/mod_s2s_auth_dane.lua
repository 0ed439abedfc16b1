-- mod_s2s_auth_dane - DANE (RFC 6698, 7671, 7673) for Prosody server-to-server links.
-- Licence: MIT.
--
-- Every s2s session whose peer publishes secure TLSA records is authenticated by
-- them or refused; insecure or absent TLSA leave Prosody's normal policy in charge.
--   outgoing: TLSA of the SRV target actually connected (_<port>._tcp.<target>),
--             only behind a secure SRV answer; no SRV: the domain on 5269.
--   incoming: SRV (_xmpp-server and _xmpps-server) of the claimed domain, TLSA of
--             every secure target, the certificate matched against their union.
-- DNSSEC lookups and matching are done by the xdane C module (getdns + OpenSSL),
-- run inside Prosody's own event loop.
--
-- Decisions and known limits: README.md, "The Prosody module" ("What is checked", "Untested").

module:set_global();

local async = require "util.async";
local timer = require "util.timer";
local server = require "net.server";
local adns = require "net.adns";
local idna_to_ascii = require "util.encodings".idna.to_ascii;

local unpack = table.unpack or unpack; -- luacheck: ignore 113
local log = module._log;

-- Prosody 0.12.4 and 13 fire s2sout-pre-connect; 0.12.0-0.12.3 do not.
local function parse_version(v)
	local a, b, c = tostring(v or ""):match("^(%d+)%.?(%d*)%.?(%d*)");
	if not a then return nil; end
	a, b, c = tonumber(a), tonumber(b) or 0, tonumber(c) or 0;
	if a == 0 then return b * 100 + c; end -- 0.12.3 -> 1203
	return a * 100 + b;                      -- 13.0 -> 1300
end
local prosody_version = parse_version(prosody and prosody.version);
local has_pre_connect = prosody_version == nil or prosody_version >= 1204;
local is_13 = prosody_version ~= nil and prosody_version >= 1300;

---------------------------------------------------------------------------
-- Loading the C module: installed next to this file (lib/<ver>/xdane.so), the
-- build tree (../build/<ver>/xdane.so), an explicit dane_library, or cpath.
---------------------------------------------------------------------------
local function load_xdane()
	local ver = _VERSION:match("(%d+%.%d+)");
	local dir = module:get_directory() or ".";
	local tried = {};
	local candidates = {};
	local explicit = module:get_option_string("dane_library");
	if explicit then candidates[#candidates + 1] = explicit; end
	candidates[#candidates + 1] = dir .. "/lib/" .. ver .. "/xdane.so";
	candidates[#candidates + 1] = dir .. "/../build/" .. ver .. "/xdane.so";
	for _, path in ipairs(candidates) do
		local fh = io.open(path, "rb");
		if fh then
			fh:close();
			local open, err = package.loadlib(path, "luaopen_xdane");
			if open then return open(), path; end
			tried[#tried + 1] = path .. ": " .. tostring(err);
		else
			tried[#tried + 1] = path .. ": not found";
		end
	end
	local ok, mod = pcall(require, "xdane");
	if ok and type(mod) == "table" then return mod, "require \"xdane\""; end
	tried[#tried + 1] = "require \"xdane\": " .. tostring(mod);
	error("mod_s2s_auth_dane: cannot load the xdane C module for Lua " .. ver .. " (" .. table.concat(tried, "; ") .. ")", 0);
end

local xdane, xdane_path = load_xdane();

-- A Lua helper file next to this module (both install layouts keep them together).
local function load_helper(name)
	local path = (module:get_directory() or ".") .. "/" .. name .. ".lua";
	local f = loadfile(path);
	if not f then return nil; end
	local ok, ret = pcall(f);
	if ok then return ret; end
	log("warn", "Could not load %s: %s", path, tostring(ret));
	return nil;
end

---------------------------------------------------------------------------
-- Configuration (global section). Unknown or malformed values stop the load.
---------------------------------------------------------------------------
local function config_error(fmt, ...)
	error("mod_s2s_auth_dane: " .. fmt:format(...), 0);
end

local uses_list = module:get_option_array("dane_uses", { "DANE-EE", "DANE-TA" });
if #uses_list == 0 then config_error("invalid dane_uses: the list is empty (want DANE-EE, DANE-TA, PKIX-EE, PKIX-TA)"); end
local ok_uses, uses = pcall(xdane.uses, uses_list);
if not ok_uses then config_error("invalid dane_uses: %s", (tostring(uses):gsub("^bad argument #%d+ to '[^']*' %((.*)%)$", "%1"))); end
local uses_text = table.concat(uses_list, ",");

local opt_resolvers = module:get_option_array("dane_resolvers"); -- { "127.0.0.1:53", "[::1]:53" }; default: /etc/resolv.conf
local opt_anchor = module:get_option_string("dane_trust_anchor", "/usr/share/dns/root.key");
local opt_timeout = module:get_option_number("dane_timeout", 5);
local opt_cafile = module:get_option_string("dane_pkix_cafile"); -- nil = system store
local opt_cache = module:get_option_number("dane_cache_size");
local opt_inflight = module:get_option_number("dane_max_inflight");
if not opt_timeout or opt_timeout <= 0 then config_error("dane_timeout must be a positive number of seconds"); end
-- SRV and TLSA are sequential, so a check may wait for two lookups.
local wait_limit = opt_timeout * 2 + 1;

-- Coexistence with Prosody's own use_dane (see README.md, "Coexistence").
local use_dane = module:get_option_boolean("use_dane", false);
if use_dane and is_13 then
	-- 13's mod_s2s_auth_dane_in answers s2s-check-certificate at 800 and stops every
	-- handler below it, so our verdicts would never run for incoming sessions.
	config_error("use_dane = true conflicts with this module on Prosody 13; set use_dane = false");
elseif use_dane then
	log("warn", "use_dane = true: Prosody's own outgoing DANE is superseded by mod_s2s_auth_dane for connections it resolves");
end

local uses_pkix = false;
for _, u in ipairs(uses_list) do
	if tostring(u):upper():match("^PKIX") then uses_pkix = true; end
end

local verifier;
do
	-- "" = no PKIX trust store at all when no PKIX usage is enabled; nil = system store
	local cafile = "";
	if uses_pkix then cafile = opt_cafile; end
	local ok, v = pcall(xdane.verifier, cafile);
	if not ok then config_error("dane_pkix_cafile: %s", tostring(v)); end
	verifier = v;
end

-- the resolver's fd watches and timers on Prosody's net.server and util.timer
local loop_adapter = load_helper("xdane_prosody_loop");
if type(loop_adapter) ~= "table" or type(loop_adapter.new) ~= "function" then
	config_error("xdane_prosody_loop.lua not found next to the module in %s", tostring(module:get_directory()));
end
local host_loop = loop_adapter.new(server, timer);

local resolver;
do
	local ok, r = pcall(xdane.resolver, {
		upstreams = opt_resolvers;
		trust_anchor = opt_anchor;
		timeout = opt_timeout;
		cache_max = opt_cache;
		max_inflight = opt_inflight;
		loop = host_loop;
		log = function (level, message) log(level, "DANE resolver: %s", tostring(message)); end;
	});
	if not ok then config_error("resolver configuration (dane_resolvers, dane_trust_anchor, dane_timeout): %s", tostring(r)); end
	resolver = r;
end

module:log("info", "DANE enabled: uses %s, resolvers %s, trust anchor %s, timeout %gs, module %s",
	uses_text, opt_resolvers and table.concat(opt_resolvers, ",") or "resolv.conf", opt_anchor, opt_timeout, xdane_path);

---------------------------------------------------------------------------
-- Per-session state. Kept outside the session (weak keys) so a retired
-- session is never written to; s2s-destroyed cancels what is in flight.
---------------------------------------------------------------------------
local states = setmetatable({}, { __mode = "k" });
local counters = { checks = 0, matched = 0, refused = 0, not_applicable = 0, cancelled = 0, memo_hits = 0 };

-- Last-mile memo of finished, failure-free DNS facts, for at most their TTL (capped):
-- the resolver never answers synchronously, and each answer delivered from the loop
-- costs a loop turn (>= 1 ms in epoll), so a warm check would otherwise still wait.
local now = require "util.time".now;
local memo, memo_n = {}, 0;
local MEMO_MAX, MEMO_TTL_MAX = 2000, 300;

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

local function get_state(session)
	local st = states[session];
	if not st then
		st = { facts = {}, verdicts = {} };
		states[session] = st;
	end
	return st;
end

local function is_dead(session)
	return session.destroyed or session.type == "s2s_destroyed";
end

local function is_ip(name)
	return name:match("^%d+%.%d+%.%d+%.%d+$") or name:match("^%[") or name:match(":");
end

local function strip_dot(name)
	name = tostring(name or ""):lower();
	if #name > 1 then name = name:gsub("%.$", ""); end
	return name;
end

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
	local t = module:add_timer(wait_limit, function ()
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

---------------------------------------------------------------------------
-- Verdicts
---------------------------------------------------------------------------
local function secure_records(facts)
	local records = {};
	for _, t in ipairs(facts.tlsa) do
		if t.status == "secure" then
			for _, rr in ipairs(t.records) do records[#records + 1] = rr; end
		end
	end
	return records;
end

local function failure_verdict(facts)
	local f = facts.failures[1];
	local class = f.status == "bogus" and "bogus" or "lookup error";
	local detail = ("%s %s%s"):format(f.what, f.status, f.why and (" (" .. f.why .. ")") or "");
	if #facts.failures > 1 then detail = detail .. (" and %d more"):format(#facts.failures - 1); end
	return { class = class, refuse = true, detail = detail,
		text = ("DANE TLSA lookup for %s failed: %s"):format(facts.domain, detail) };
end

local function failed_targets(facts)
	local parts = {};
	for _, f in ipairs(facts.failures) do parts[#parts + 1] = f.what .. " " .. f.status; end
	return table.concat(parts, ", ");
end

local function peer_chain(session)
	local sock = session.conn and session.conn.socket and session.conn:socket();
	if not (sock and sock.getpeerchain) then return nil; end
	local chain = sock:getpeerchain();
	if type(chain) ~= "table" or #chain == 0 then return nil; end
	return chain;
end

-- record_kinds - "3 0 1, 2 1 1": the distinct usage/selector/matching types of records.
local function record_kinds(records)
	local kinds, seen = {}, {};
	for _, rec in ipairs(records) do
		local k = ("%d %d %d"):format(rec.usage, rec.selector, rec.mtype);
		if not seen[k] then seen[k] = true; kinds[#kinds + 1] = k; end
	end
	table.sort(kinds);
	return table.concat(kinds, ", ");
end

-- judge - facts (+ the session's TLS state and chain) to a verdict.
local function judge(session, facts)
	if facts.timed_out or facts.cancelled then
		-- unanswered (or abandoned, e.g. module unload) lookups are never "no DANE"
		return { class = "lookup error", refuse = true, detail = ("no DNS answer within %gs"):format(wait_limit),
			text = ("DANE TLSA lookup for %s failed: timeout"):format(facts.domain) };
	end
	local records = secure_records(facts);
	if not session.secure then
		if #records > 0 then
			return { class = "no TLS", refuse = true, tls = true,
				detail = ("%d secure TLSA records published, stream not encrypted"):format(#records),
				text = "Encryption is required: DANE TLSA records are published for " .. facts.domain };
		elseif #facts.failures > 0 then
			return failure_verdict(facts);
		end
	elseif #records > 0 then
		local chain = peer_chain(session);
		if not chain then
			return { class = "mismatch", refuse = true, detail = "no certificate presented",
				text = "No certificate presented, but DANE TLSA records are published for " .. facts.domain };
		end
		-- pcall: a raising verifier must end in a refusal, never in a stuck runner
		local pok, ok, reason, info = pcall(verifier.verify, verifier, {
			records = records, chain = chain, names = facts.names, uses = uses,
			role = session.direction == "outgoing" and "server" or "client",
		});
		if not pok then ok, reason = nil, ok; end
		if ok then
			local detail = ("%s record %s at depth %d"):format(reason.usage_name or xdane.usage_name(reason.usage),
				tostring(reason.record or reason.text), reason.depth or 0);
			if #facts.failures > 0 then detail = detail .. "; ignored failing " .. failed_targets(facts); end
			return { class = "matched", matched = true, detail = detail, record = tostring(reason.record), usage = reason.usage_name };
		elseif ok == false and reason == "no usable records" then
			if #facts.failures > 0 then return failure_verdict(facts); end
			return { class = "no usable records", tls = true,
				detail = ("%d TLSA records, none usable with dane_uses %s; TLS stays mandatory"):format(#records, uses_text) };
		elseif ok == false then
			-- Name the kinds published (F14d: "only 3 0 1 published", not "no TLSA"),
			-- and the verifier's reason when it is more than "no match".
			local why = reason ~= "no match" and (info and info.text or reason) or nil;
			return { class = "mismatch", refuse = true,
				detail = ("certificate does not match any of %d usable TLSA records (published: %s)%s"):format(
					info and info.usable or #records, record_kinds(records), why and ("; " .. tostring(why)) or ""),
				text = "Your server's certificate does not match any DANE TLSA records" };
		else
			return { class = "lookup error", refuse = true, detail = "verifier error: " .. tostring(reason),
				text = "DANE verification failed (internal error)" };
		end
	end
	if #facts.failures > 0 then return failure_verdict(facts); end
	if #facts.insecure > 0 then
		return { class = "insecure", detail = "DANE not applicable: " .. table.concat(facts.insecure, ", ") .. " insecure" };
	end
	return { class = "no TLSA", detail = "DANE not applicable: no TLSA records (secure denial)" };
end

local function peer_of(session)
	if session.direction == "outgoing" then return session.to_host; end
	return session.from_host;
end

local function report(session, domain, v)
	local line = "DANE %s %s: %s: %s";
	local level = v.refuse and "warn" or "info";
	(session.log or log)(level, line, session.direction or "?", domain or "?", v.class, v.detail or "");
	counters.checks = counters.checks + 1;
	if v.refuse then counters.refused = counters.refused + 1;
	elseif v.matched then counters.matched = counters.matched + 1;
	else counters.not_applicable = counters.not_applicable + 1; end
end

local function refuse(session, v)
	if is_dead(session) then return; end
	local condition = v.class == "no TLS" and "policy-violation" or "not-authorized";
	session:close({ condition = condition, text = v.text or v.detail }, nil, v.text or v.detail);
end

-- facts_for - the DNS facts for domain on this session, waiting if needed.
-- Returns facts (done), or nil when the session died while waiting.
local function facts_for(session, domain)
	local st = get_state(session);
	local f = st.facts[domain];
	if not f then
		local conn = session.conn;
		local extra = conn and conn.extra;
		local info = type(extra) == "table" and rawget(extra, "dane");
		if session.direction == "outgoing" and info and info.domain == domain then
			f = target_facts(info);
		else
			f = domain_facts(domain);
		end
		st.facts[domain] = f;
	end
	if not f.done then
		if not wait_for(session, f) and not is_dead(session) then
			-- not in an async context: cannot wait, so cannot decide; fail closed
			f.timed_out = true;
			f:cancel();
		end
	end
	if is_dead(session) then return nil; end
	return f;
end

-- verdict_for - judged once per (session, domain, encrypted?) and logged once.
local function verdict_for(session, domain)
	if is_ip(domain) then return { class = "not applicable", detail = "IP literal, no DNS name" }; end
	local st = get_state(session);
	local key = domain .. (session.secure and "|tls" or "|plain");
	local v = st.verdicts[key];
	if v then return v; end
	local f = facts_for(session, domain);
	if not f then return nil; end
	v = judge(session, f);
	v.domain = domain;
	if f.target then
		v.detail = ("%s via %s:%d"):format(v.detail or "", f.target.target, f.target.port);
	end
	st.verdicts[key] = v;
	st.last = v;
	report(session, domain, v);
	return v;
end

---------------------------------------------------------------------------
-- Hooks
---------------------------------------------------------------------------

-- Start the incoming lookups as soon as the peer names itself.
local function start_early(session, domain)
	if not domain or is_dead(session) then return; end
	local st = get_state(session);
	if not st.facts[domain] then st.facts[domain] = domain_facts(domain); end
end

-- Priority 100: after mod_s2s_auth_certs (509) has set the PKIX statuses, before
-- third-party handlers (0) and mod_s2s's check_auth_policy (-1), which then sees ours.
module:hook("s2s-check-certificate", function (event)
	local session, host = event.session, event.host;
	if not host or is_ip(host) then return; end -- no DNS name, no DANE
	local v = verdict_for(session, host);
	if not v then return false; end -- session died while we waited
	if v.refuse then
		refuse(session, v);
		return false;
	elseif v.matched then
		session.cert_chain_status = "valid";
		session.cert_identity_status = "valid";
		session.dane_verdict = v; -- read by the admin shell
	end
end, 100);

-- Nothing authenticates a session DANE refused or that skipped TLS against
-- published TLSA; this also covers dialback for piggybacked domains.
-- Priority 10: before mod_s2s's make_authenticated (-1).
local function on_authenticated(event)
	local session, host = event.session, event.host;
	if not host or is_ip(host) or is_dead(session) then return; end
	local v = verdict_for(session, host);
	if not v then return false; end
	if v.refuse then
		refuse(session, v);
		return false;
	end
	if v.tls and not session.secure then
		refuse(session, { class = "no TLS", text = "Encryption is required: DANE TLSA records are published for " .. host });
		return false;
	end
end

-- Outgoing stream features without <starttls/> while the target has TLSA:
-- close before dialback runs (mod_tls is at 500, dialback at 100).
local function on_features(event)
	local session, stanza = event.origin, event.stanza;
	if session.type ~= "s2sout_unauthed" or session.secure then return; end
	if stanza:get_child("starttls", "urn:ietf:params:xml:ns:xmpp-tls") then return; end
	local v = verdict_for(session, session.to_host);
	if not v then return true; end
	if v.refuse or v.tls then
		refuse(session, { class = "no TLS", text = v.text or ("Encryption is required: DANE TLSA records are published for " .. session.to_host) });
		return true;
	end
end

-- Incoming dialback on a stream that skipped TLS, from a domain with TLSA
-- (RFC 7673 s4.1): refuse before mod_dialback (priority 0) verifies the key.
local function on_dialback_result(event)
	local session, stanza = event.origin, event.stanza;
	if session.type ~= "s2sin_unauthed" or session.secure then return; end
	local domain = stanza.attr and stanza.attr.from;
	if not domain then return; end
	local v = verdict_for(session, domain);
	if not v then return true; end
	if v.refuse or v.tls then
		refuse(session, { class = "no TLS", text = v.text or ("Encryption is required: DANE TLSA records are published for " .. domain) });
		return true;
	end
end

module:hook("s2s-destroyed", function (event)
	local st = states[event.session];
	if not st then return; end
	states[event.session] = nil;
	for _, f in pairs(st.facts) do
		if not f.done then
			-- wake a runner parked in wait_for from a fresh main-loop tick, so it can
			-- see the session is gone and unwind; lookups are cancelled now
			local waiters = f.waiters;
			f.waiters = {};
			f:cancel();
			if #waiters > 0 then
				module:add_timer(0, function ()
					for _, wake in ipairs(waiters) do pcall(wake); end
				end);
			end
		end
	end
end);

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


local resolvers_service = require "net.resolvers.service";
local resolvers_chain = require "net.resolvers.chain";
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
			use_ipv4 = module:get_option_boolean("use_ipv4", true);
			use_ipv6 = module:get_option_boolean("use_ipv6", true) };
		local xmpp = new_dane_resolver(to_host, "xmpp-server", "tcp", setmetatable({}, { __index = base }));
		if session.ssl_ctx then
			local xmpps_extra = setmetatable({ default_port = false; servername = to_host; sslctx = session.ssl_ctx }, { __index = base });
			event.resolver = resolvers_chain.new({ new_dane_resolver(to_host, "xmpps-server", "tcp", xmpps_extra), xmpp });
		else
			event.resolver = xmpp;
		end
	end
	-- fired on the host's bus (module:context(from_host)), hooked in add_host below
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

function module.add_host(host_module)
	host_module:hook("s2s-stream-features", function (event)
		local session = event.origin;
		if session.type == "s2sin_unauthed" then start_early(session, session.from_host); end
	end, 1000);
	host_module:hook("s2s-authenticated", on_authenticated, 10);
	host_module:hook("stanza/http://etherx.jabber.org/streams:features", on_features, 600);
	host_module:hook("stanza/jabber:server:dialback:result", on_dialback_result, 1000);
	if pre_connect_handler then host_module:hook("s2sout-pre-connect", pre_connect_handler, 100); end
end

---------------------------------------------------------------------------
-- Admin shell: dane:show([domain]) and dane:stats()
---------------------------------------------------------------------------
local shell_env = module:shared("/*/admin_shell/env");

local function session_rows(filter)
	local rows = {};
	for session, st in pairs(states) do
		if not is_dead(session) then
			local remote = peer_of(session);
			if not filter or remote == filter or session.from_host == filter or session.to_host == filter then
				local v = st.last;
				local pending = false;
				for _, f in pairs(st.facts) do if not f.done then pending = true; end end
				rows[#rows + 1] = {
					id = session.id or "?", dir = session.direction or "?",
					from = session.from_host or "?", to = session.to_host or "?",
					type = session.type or "?", secure = session.secure and "tls" or "plain",
					state = pending and "pending" or (v and v.class or "not checked"),
					detail = v and v.detail or "",
				};
			end
		end
	end
	table.sort(rows, function (a, b) return a.id < b.id; end);
	return rows;
end

shell_env.dane = {
	show = function (self, domain)
		local print = self.session.print;
		local rows = session_rows(domain);
		for _, r in ipairs(rows) do
			print(("%s %-8s %s -> %s [%s, %s] DANE %s: %s"):format(r.id, r.dir, r.from, r.to, r.type, r.secure, r.state, r.detail));
		end
		return true, ("%d s2s sessions with DANE state shown"):format(#rows);
	end;
	stats = function (self)
		local print = self.session.print;
		local s = resolver:stats();
		local keys = {};
		for k in pairs(s) do keys[#keys + 1] = k; end
		table.sort(keys);
		for _, k in ipairs(keys) do print(("resolver.%s = %s"):format(k, tostring(s[k]))); end
		for _, k in ipairs({ "checks", "matched", "refused", "not_applicable", "cancelled", "memo_hits" }) do
			print(("checks.%s = %d"):format(k, counters[k]));
		end
		local live = 0;
		for _ in pairs(states) do live = live + 1; end
		print(("sessions.tracked = %d"):format(live));
		return true, "DANE statistics";
	end;
};

-- The old community module's command, added to mod_admin_shell's s2s section
-- whichever of the two modules loads first.
local function show_dane(self, domain) return shell_env.dane.show(self, domain); end
local function add_show_dane()
	if type(shell_env.s2s) == "table" and shell_env.s2s.show_dane == nil then
		shell_env.s2s.show_dane = show_dane;
	end
end
add_show_dane();
module:hook("module-loaded", function (event)
	if event.module == "admin_shell" then add_show_dane(); end
end);

function module.unload()
	if type(shell_env.s2s) == "table" and shell_env.s2s.show_dane == show_dane then
		shell_env.s2s.show_dane = nil;
	end
	if not has_pre_connect then
		resolvers_service.new = original_service_new;
		resolvers_service.dane_original_new = nil;
	end
	shell_env.dane = nil;
	-- parked checks resume with "lookup error", never with "no DANE"
	for _, st in pairs(states) do
		for _, f in pairs(st.facts) do
			if not f.done then f.timed_out = true; f:cancel(); end
		end
	end
	resolver:close();
end

-- for tests with a fake module API
return {
	judge = judge, domain_facts = domain_facts, target_facts = target_facts,
	new_dane_resolver = new_dane_resolver, states = states, counters = counters,
	parse_version = parse_version,
};
