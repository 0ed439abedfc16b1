-- mod_s2s_auth_dane_spec.lua - the Prosody module against a fake module API.
--
-- Real: Prosody's util.async (the session runner semantics the module depends on),
-- util.encodings, net.resolvers.service/chain. Fake, on top: the module API and
-- event buses, timers, net.adns, and an xdane whose resolver answers only when the
-- test delivers (so "pending", "late", "never" and "cancelled" can be staged) and
-- whose verifier matches when a record's data equals the leaf's text.
-- The real xdane and real servers are exercised by the e2e suites.
-- Runs on Lua 5.4 with /usr/lib/prosody on the path (Prosody's own runtime).
package.path = "/usr/lib/prosody/?.lua;" .. package.path;
package.cpath = "/usr/lib/prosody/?.so;" .. package.cpath;
local tap = require "tap";
local ROOT = os.getenv("XDANE_ROOT") or ".";
local async = require "util.async";
-- The module prefers an xdane.so next to it or in ../build; a directory holding only
-- the Lua files makes it fall through to require "xdane", which is the fake below.
-- (made by tests/suites/unit-module.sh: no os.execute, which the ASan preload would follow)
local MODDIR = assert(os.getenv("XDANE_SPEC_MODDIR"), "XDANE_SPEC_MODDIR not set (run tests/suites/unit-module.sh)");

---------------------------------------------------------------- fakes
local timers = {};
local function fire_timers(all)
	local list = timers; timers = {};
	for _, t in ipairs(list) do
		if not t.stopped and (all or t.delay == 0) then t.stopped = true; t.cb(); elseif not t.stopped then timers[#timers + 1] = t; end
	end
end
local function add_timer(delay, cb)
	local t = { delay = delay, cb = cb };
	function t:stop() self.stopped = true; end
	timers[#timers + 1] = t;
	return t;
end

-- fake xdane resolver: lookups wait in `lookups` until deliver()
local lookups, cancelled = {}, {};
local next_id = 0;
local function new_lookup(kind, key, cb)
	next_id = next_id + 1;
	local l = { id = next_id, kind = kind, key = key, cb = cb };
	lookups[#lookups + 1] = l;
	return next_id;
end
local function find(kind, key)
	for i, l in ipairs(lookups) do
		if l.kind == kind and l.key == key then return l, i; end
	end
end
local function deliver(kind, key, answer)
	local l, i = find(kind, key);
	if not l then return false; end
	table.remove(lookups, i);
	answer.status = answer.status or "secure";
	answer.records = answer.records or {};
	l.cb(answer);
	return true;
end
local function rec(usage, data) return setmetatable({ usage = usage, selector = 1, mtype = 1, data = data },
	{ __tostring = function (r) return ("%d 1 1 %s"):format(r.usage, r.data); end }); end

local names = { ["DANE-EE"] = 3, ["DANE-TA"] = 2, ["PKIX-EE"] = 1, ["PKIX-TA"] = 0, ["PKIX-CA"] = 0 };
local fake_xdane;
fake_xdane = {
	uses = function (list)
		local bits = 0;
		for _, n in ipairs(list) do
			local u = names[n];
			if not u then error("unknown DANE usage name '" .. tostring(n) .. "'"); end
			bits = bits | (1 << u);
		end
		return bits;
	end,
	usage_name = function (n) for k, v in pairs(names) do if v == n and k ~= "PKIX-CA" then return k; end end end,
	verifier = function ()
		return { verify = function (_, a)
			local usable = 0;
			for _, r in ipairs(a.records) do
				if (a.uses >> r.usage) & 1 == 1 then
					usable = usable + 1;
					if r.data == a.chain[1] then
						return true, { usage = r.usage, usage_name = fake_xdane.usage_name(r.usage), depth = 0, record = r, names = a.names };
					end
				end
			end
			if usable == 0 then return false, "no usable records", { usable = 0 }; end
			return false, "no match", { usable = usable, text = "no record matched" };
		end };
	end,
	resolver = function (opts)
		assert(opts.loop and opts.loop.watch, "loop adapter handed to the resolver");
		return {
			srv = function (_, domain, direct, cb) return new_lookup("srv", (direct and "s:" or "") .. domain, cb); end,
			tlsa = function (_, port, host, cb) return new_lookup("tlsa", port .. ":" .. host, cb); end,
			cancel = function (_, id)
				for i, l in ipairs(lookups) do
					if l.id == id then table.remove(lookups, i); cancelled[#cancelled + 1] = id; return true; end
				end
				return false;
			end,
			stats = function () return { in_flight = #lookups }; end,
			close = function () end,
		};
	end,
};
package.preload["xdane"] = function () return fake_xdane; end

-- net.adns: addresses answered synchronously-later through a queue
local adns_queue = {};
package.preload["net.adns"] = function ()
	return { resolver = function () return { lookup = function (_, cb, name, qtype)
		adns_queue[#adns_queue + 1] = function ()
			local a = { secure = true };
			if qtype == "A" then a[1] = { a = "127.0.0.3" }; end
			cb(a);
		end;
	end }; end };
end
local function run_adns() while adns_queue[1] do table.remove(adns_queue, 1)(); end end
package.preload["net.server"] = function () return { watchfd = function () return { set = function () end, close = function () end }; end }; end
package.preload["util.timer"] = function () return { add_task = function () return 1; end, stop = function () end }; end

-- fake module API with global and per-host event buses
local function bus()
	local handlers = {};
	return {
		hook = function (name, f, prio) local l = handlers[name] or {}; handlers[name] = l; l[#l + 1] = { f = f, p = prio or 0 };
			table.sort(l, function (a, b) return a.p > b.p; end); end,
		fire = function (name, ev)
			for _, h in ipairs(handlers[name] or {}) do local r = h.f(ev); if r ~= nil then return r; end end
		end,
	};
end

local current_logs = {};
local function load_module(options, version)
	local global, host = bus(), bus();
	local logs = {};
	current_logs = logs;
	local shared = {};
	local module = {
		host = "*", global = true,
		_log = function (level, fmt, ...) logs[#logs + 1] = level .. " " .. fmt:format(...); end,
	};
	function module:log(level, fmt, ...) self._log(level, fmt, ...); end
	function module:set_global() end
	function module:get_directory() return MODDIR; end
	function module:get_option_string(n, d) local v = options[n]; if v == nil then return d; end return v; end
	module.get_option_number = module.get_option_string;
	module.get_option_boolean = module.get_option_string;
	function module:get_option_array(n, d) local v = options[n]; if v == nil then return d; end return v; end
	function module:hook(name, f, prio) global.hook(name, f, prio); end
	function module:add_timer(delay, cb) return add_timer(delay, cb); end
	function module:shared(path) shared[path] = shared[path] or {}; return shared[path]; end
	local env = setmetatable({ module = module, prosody = { version = version or "0.12.3" } }, { __index = _G });
	local f = assert(loadfile(MODDIR .. "/mod_s2s_auth_dane.lua", "t", env));
	local ok, ret = pcall(f);
	if not ok then return nil, ret; end
	local host_module = {};
	function host_module:hook(name, fn, prio) host.hook(name, fn, prio); end
	if module.add_host then module.add_host(host_module); end
	return { api = ret, global = global, host = host, logs = logs, module = module, shared = shared };
end

local function logged(m, pattern)
	for _, l in ipairs(m.logs) do if l:find(pattern) then return l; end end
end

-- a fake s2s session; writes after destruction are recorded as errors
local function session(direction, remote, opts)
	opts = opts or {};
	local data = {
		direction = direction, type = direction == "incoming" and "s2sin_unauthed" or "s2sout_unauthed",
		from_host = direction == "incoming" and remote or "a.example",
		to_host = direction == "incoming" and "a.example" or remote,
		secure = opts.secure ~= false, id = "s" .. math.random(1e6),
		closed = nil,
	};
	data.conn = { extra = opts.extra, socket = function () return { getpeerchain = function () return opts.chain or { "KEY" }; end }; end };
	local s = setmetatable({}, { __index = data, __newindex = function (_, k, v)
		if data.destroyed and k ~= "destroyed" then data.late_write = k; end
		data[k] = v;
	end });
	s.log = function (level, fmt, ...) current_logs[#current_logs + 1] = level .. " " .. fmt:format(...); end;
	function s:close(reason) data.closed = reason; end
	return s, data;
end

-- run handler inside a real util.async runner, like mod_s2s does
local function in_runner(f)
	local result = { done = false };
	local r = async.runner(function () result.value = f(); result.done = true; end, {
		error = function (_, e) result.err = e; result.done = true; end,
	});
	r:run(true);
	return result, r;
end

local function check_cert(m, s, host)
	return in_runner(function () return m.global.fire("s2s-check-certificate", { session = s, host = host }); end);
end

local opts = { dane_resolvers = { "127.0.0.1:1" }, dane_trust_anchor = "/dev/null", dane_timeout = 2 };

---------------------------------------------------------------- tests
do -- configuration
	local m, err = load_module({ dane_uses = { "DANE-EE", "BOGUS" } });
	tap.ok(m == nil and tostring(err):find("invalid dane_uses", 1, true) and tostring(err):find("BOGUS", 1, true), "unknown dane_uses value stops the load, naming it", err);
	m, err = load_module({ dane_uses = {} });
	tap.ok(m == nil and tostring(err):find("invalid dane_uses: the list is empty", 1, true), "an empty dane_uses stops the load with a clear message", err);
	m = load_module({ dane_uses = { "PKIX-CA", "DANE-EE" } });
	tap.ok(m ~= nil, "PKIX-CA accepted as an alias");
	m, err = load_module({ use_dane = true }, "13.0.2");
	tap.ok(m == nil and tostring(err):find("use_dane", 1, true), "use_dane = true refused on Prosody 13", err);
	m = load_module({ use_dane = true }, "0.12.3");
	tap.ok(m ~= nil and logged(m, "superseded"), "use_dane = true on 0.12: loads with a warning");
	m, err = load_module({ dane_timeout = 0 });
	tap.ok(m == nil and tostring(err):find("dane_timeout", 1, true), "dane_timeout <= 0 is a load error", err);
	m = load_module({});
	tap.is(m.api.parse_version("0.12.3"), 1203, "version 0.12.3 parsed");
	tap.ok(m.api.parse_version("13.0.1") >= 1300, "version 13 parsed");
	tap.ok(type(m.shared["/*/admin_shell/env"].dane) == "table", "admin shell gets a dane section");
end

do -- incoming: the check waits for lookups started early, then matches (F1 a/b)
	local m = load_module(opts);
	local s, data = session("incoming", "b.example");
	m.host.fire("s2s-stream-features", { origin = s });
	tap.ok(find("srv", "b.example") and find("srv", "s:b.example"), "lookups start at stream features");
	local res = check_cert(m, s, "b.example");
	tap.ok(not res.done, "check waits while the lookup started early is pending");
	deliver("srv", "b.example", { records = { { priority = 0, weight = 0, port = 5269, target = "xmpp.b.example." } } });
	deliver("srv", "s:b.example", { records = {} });
	tap.ok(not res.done, "still waiting for TLSA after SRV");
	deliver("tlsa", "5269:xmpp.b.example", { records = { rec(3, "KEY") } });
	tap.ok(res.done and res.value == nil, "check resumes after the last answer, returns nil");
	tap.ok(data.cert_chain_status == "valid" and data.cert_identity_status == "valid", "match marks chain and identity valid", table.concat(m.logs, "\n# ") .. tostring(res.err));
	tap.ok(logged(m, "DANE incoming b.example: matched: DANE%-EE record 3 1 1 KEY"), "one log line names the matched record");
	tap.ok(not data.closed, "not closed");
end

do -- incoming mismatch: closed, reason told to the peer, dialback cannot rescue (F13c, F14a)
	local m = load_module(opts);
	local s, data = session("incoming", "wrong.example", { chain = { "OTHER" } });
	local res = check_cert(m, s, "wrong.example");
	deliver("srv", "wrong.example", { records = { { port = 5269, target = "xmpp.wrong.example" } } });
	deliver("srv", "s:wrong.example", { records = {} });
	deliver("tlsa", "5269:xmpp.wrong.example", { records = { rec(3, "KEY") } });
	tap.ok(res.done and res.value == false, "check returns false (session closed)");
	tap.ok(type(data.closed) == "table" and data.closed.condition == "not-authorized"
		and data.closed.text:find("does not match any DANE TLSA records", 1, true), "stream error says it does not match any DANE TLSA records");
	tap.ok(logged(m, "DANE incoming wrong.example: mismatch:"), "mismatch logged");
	data.closed = nil;
	local r = in_runner(function () return m.host.fire("s2s-authenticated", { session = s, host = "wrong.example", mechanism = "dialback" }); end);
	tap.ok(r.value == false and data.closed, "later dialback success is refused");
	local n = 0;
	for _, l in ipairs(m.logs) do if l:find("DANE incoming wrong.example", 1, true) then n = n + 1; end end
	tap.is(n, 1, "exactly one outcome line for the session");
end

do -- F14d: a mismatch names the kinds published ("3 0 1"), not "no TLSA"
	local m = load_module(opts);
	local s, data = session("incoming", "wrong.example", { chain = { "OTHER" } });
	local res = check_cert(m, s, "wrong.example");
	deliver("srv", "wrong.example", { records = { { port = 5269, target = "xmpp.wrong.example" } } });
	deliver("srv", "s:wrong.example", { records = {} });
	local r301 = rec(3, "CERT");
	r301.selector, r301.mtype = 0, 1;
	deliver("tlsa", "5269:xmpp.wrong.example", { records = { r301 } });
	tap.ok(res.done and res.value == false and data.closed, "3 0 1 only, certificate differs: refused");
	tap.ok(logged(m, "mismatch: certificate does not match any of 1 usable TLSA records %(published: 3 0 1%)"),
		"F14d: the log names the published kind 3 0 1", table.concat(m.logs, "\n# "));
	tap.ok(not logged(m, "no TLSA"), "F14d: never reported as no TLSA");
end

do -- failures and not-applicable classes
	local function run(srv, tlsa, chain, direct)
		local m = load_module(opts);
		local s, data = session("incoming", "x.example", { chain = chain });
		local res = check_cert(m, s, "x.example");
		deliver("srv", "x.example", srv);
		deliver("srv", "s:x.example", direct or { status = "secure", records = {} });
		if tlsa then for k, a in pairs(tlsa) do deliver("tlsa", k, a); end end
		return m, data, res;
	end
	local m, data, res = run({ status = "bogus", why = "signature expired" });
	tap.ok(res.value == false and data.closed and logged(m, "x.example: bogus: SRV _xmpp%-server._tcp.x.example bogus"), "bogus SRV: refused, logged as bogus");
	m, data, res = run({ status = "indeterminate", why = "SERVFAIL" });
	tap.ok(res.value == false and logged(m, ": lookup error: "), "SERVFAIL SRV: refused, logged as lookup error");
	m, data, res = run({ status = "insecure" });
	tap.ok(res.value == nil and not data.closed and data.cert_chain_status == nil and logged(m, ": insecure: "), "insecure SRV: DANE not applicable (F12d)");
	m, data, res = run({ records = { { port = 5269, target = "xmpp.x.example" } } }, { ["5269:xmpp.x.example"] = { records = {} } });
	tap.ok(res.value == nil and not data.closed and logged(m, ": no TLSA: "), "secure empty TLSA: no TLSA (F2)");
	m, data, res = run({ records = {} }, { ["5269:x.example"] = { records = { rec(3, "KEY") } } });
	tap.ok(data.cert_chain_status == "valid", "no SRV (secure denial): TLSA of the domain on 5269 (F12a)");
	m, data, res = run({ records = { { port = 5269, target = "." } } });
	tap.ok(res.value == nil and not find("tlsa", "5269:."), "SRV '.': no TLSA lookup, no crash (F12b)");
	m, data, res = run({ records = { { port = 5269, target = "t1.x.example" }, { port = 5269, target = "t2.x.example" } } },
		{ ["5269:t1.x.example"] = { records = { rec(3, "KEY") } }, ["5269:t2.x.example"] = { status = "bogus", why = "bad sig" } });
	tap.ok(data.cert_chain_status == "valid" and logged(m, "matched: .*ignored failing TLSA _5269._tcp.t2.x.example bogus"), "incoming: t1 matches, t2 bogus: auth with the failure named (F12e)");
	m, data, res = run({ records = { { port = 5269, target = "t1.x.example" } } }, { ["5269:t1.x.example"] = { records = { rec(1, "KEY") } } });
	tap.ok(res.value == nil and not data.closed and logged(m, "no usable records"), "only unusable (PKIX-EE) records: not applicable, logged as no usable records");
	m, data, res = run({ records = {} }, nil, nil, { records = { { port = 5223, target = "xmpp.x.example" } } });
	deliver("tlsa", "5269:x.example", { records = {} });
	tap.ok(not res.done and find("tlsa", "5223:xmpp.x.example"), "_xmpps-server targets are looked up with their own port (F12f)");
	deliver("tlsa", "5223:xmpp.x.example", { records = { rec(3, "KEY") } });
	tap.ok(res.done and data.cert_chain_status == "valid", "match through the _xmpps-server target");
end

do -- timeout: a lookup that never answers is refused, not skipped; lookups cancelled
	local m = load_module(opts);
	local s, data = session("incoming", "dead.example");
	local res = check_cert(m, s, "dead.example");
	local n = #cancelled;
	fire_timers(true);
	tap.ok(res.done and res.value == false and data.closed, "no answer within the bound: refused");
	tap.ok(logged(m, "dead.example: lookup error: no DNS answer"), "logged as lookup error (timeout)");
	tap.ok(#cancelled >= n + 2, "both pending SRV lookups cancelled");
end

do -- a session destroyed mid-lookup (F1c): lookups cancelled, nothing written to it
	local m = load_module(opts);
	local s, data = session("incoming", "gone.example");
	local res = check_cert(m, s, "gone.example");
	local n = #cancelled;
	data.destroyed = true; data.type = "s2s_destroyed";
	m.global.fire("s2s-destroyed", { session = s });
	tap.ok(#cancelled == n + 2, "pending lookups cancelled on s2s-destroyed");
	tap.ok(not deliver("srv", "gone.example", { records = {} }), "a late answer has no callback left");
	fire_timers(false);
	tap.ok(res.done and res.value == false, "the parked runner unwinds and reports the session gone");
	tap.ok(data.late_write == nil and data.closed == nil, "nothing written to the dead session");
	fire_timers(true);
	tap.ok(not res.err, "no error in the runner");
end

do -- module unloaded while a check waits: it resumes refusing, never as "no DANE"
	local m = load_module(opts);
	local s, data = session("incoming", "unload.example");
	local res = check_cert(m, s, "unload.example");
	m.module.unload();
	tap.ok(res.done and res.value == false and data.closed and logged(m, "unload.example: lookup error"), "unload mid-lookup: parked check refuses");
end

do -- two sessions from one domain (F1d): both wait and both match
	local m = load_module(opts);
	local s1, d1 = session("incoming", "b.example");
	local s2, d2 = session("incoming", "b.example");
	local r1, r2 = check_cert(m, s1, "b.example"), check_cert(m, s2, "b.example");
	for _ = 1, 2 do
		deliver("srv", "b.example", { records = { { port = 5269, target = "xmpp.b.example" } } });
		deliver("srv", "s:b.example", { records = {} });
	end
	for _ = 1, 2 do deliver("tlsa", "5269:xmpp.b.example", { records = { rec(3, "KEY") } }); end
	tap.ok(r1.done and r2.done and d1.cert_chain_status == "valid" and d2.cert_chain_status == "valid", "two simultaneous sessions both authenticated");
end

do -- warm path: finished facts are reused for their TTL, failures never
	local m = load_module(opts);
	local s1, d1 = session("incoming", "warm.example");
	local r1 = check_cert(m, s1, "warm.example");
	deliver("srv", "warm.example", { ttl = 60, records = { { port = 5269, target = "xmpp.warm.example" } } });
	deliver("srv", "s:warm.example", { ttl = 60, records = {} });
	deliver("tlsa", "5269:xmpp.warm.example", { ttl = 60, records = { rec(3, "KEY") } });
	tap.ok(r1.done and d1.cert_chain_status == "valid", "first session: looked up and matched");
	local s2, d2 = session("incoming", "warm.example");
	local r2 = check_cert(m, s2, "warm.example");
	tap.ok(r2.done and d2.cert_chain_status == "valid" and not find("srv", "warm.example"), "second session: decided at once from the memo, no lookup");
	local s3, d3 = session("incoming", "warm.example", { chain = { "OTHER" } });
	local r3 = check_cert(m, s3, "warm.example");
	tap.ok(r3.done and r3.value == false and d3.closed, "memoized records still refuse a mismatching certificate");
	local s4 = session("incoming", "flaky.example");
	check_cert(m, s4, "flaky.example");
	deliver("srv", "flaky.example", { ttl = 60, status = "indeterminate" });
	deliver("srv", "s:flaky.example", { ttl = 60, records = {} });
	local s5 = session("incoming", "flaky.example");
	local r5 = check_cert(m, s5, "flaky.example");
	tap.ok(not r5.done and find("srv", "flaky.example"), "a failed lookup is not memoized: asked again");
	deliver("srv", "flaky.example", { records = {} });
	deliver("srv", "s:flaky.example", { records = {} });
	deliver("tlsa", "5269:flaky.example", { records = {} });
end

do -- TLS is mandatory with usable TLSA (F13a, b)
	local m = load_module(opts);
	local s, data = session("incoming", "b.example", { secure = false });
	local r = in_runner(function () return m.host.fire("stanza/jabber:server:dialback:result", { origin = s, stanza = { attr = { from = "b.example" } } }); end);
	deliver("srv", "b.example", { records = { { port = 5269, target = "xmpp.b.example" } } });
	deliver("srv", "s:b.example", { records = {} });
	deliver("tlsa", "5269:xmpp.b.example", { records = { rec(3, "KEY") } });
	tap.ok(r.done and data.closed and data.closed.condition == "policy-violation", "incoming dialback without TLS: policy-violation");
	tap.ok(logged(m, "DANE incoming b.example: no TLS:"), "logged as no TLS");
	-- outgoing: features without <starttls/>, target with TLSA
	local info = { domain = "b.example", target = "xmpp.b.example", port = 5269, srv_secure = true,
		tlsa = { status = "secure", records = { rec(3, "KEY") } } };
	local so, dout = session("outgoing", "b.example", { secure = false, extra = { dane = info } });
	local features = { get_child = function () return nil; end };
	local rr = in_runner(function () return m.host.fire("stanza/http://etherx.jabber.org/streams:features", { origin = so, stanza = features }); end);
	tap.ok(rr.value == true and dout.closed and dout.closed.condition == "policy-violation", "outgoing without STARTTLS offered: policy-violation before dialback");
end

do -- outgoing resolver: per-target facts (RFC 7673), F3, F12c
	local m = load_module(opts);
	local service = require "net.resolvers.service";
	local res = service.new("multi.example", "xmpp-server", "tcp", { default_port = 5269 });
	tap.ok(getmetatable(res) ~= nil and res.resolve_target ~= nil, "0.12.3: mod_s2s's service.new is routed to the DANE resolver");
	local got;
	res:next(function (...) got = { ... }; end);
	deliver("srv", "multi.example", { records = { { port = 5269, target = "t1.multi.example" }, { port = 5270, target = "t2.multi.example" } } });
	deliver("tlsa", "5269:t1.multi.example", { status = "indeterminate", why = "SERVFAIL" });
	run_adns();
	tap.ok(got == nil and find("tlsa", "5270:t2.multi.example"), "first target with a failed TLSA lookup is skipped");
	deliver("tlsa", "5270:t2.multi.example", { records = { rec(3, "KEY") } });
	run_adns();
	tap.ok(got and got[2] == "127.0.0.3" and got[3] == 5270 and got[4].dane.target == "t2.multi.example", "second target used, its extra carries the target");
	tap.ok(logged(m, "t1.multi.example:5269 skipped, TLSA lookup _5269._tcp.t1.multi.example indeterminate"), "the cause is logged (F3)");
	local s, data = session("outgoing", "multi.example", { extra = got[4] });
	local r = check_cert(m, s, "multi.example");
	tap.ok(r.done and data.cert_chain_status == "valid" and logged(m, "DANE outgoing multi.example: matched"), "outgoing check uses the connected target's TLSA");
	-- bogus SRV: abort, no fallback to the domain's address records
	local res2 = service.new("bogus.example", "xmpp-server", "tcp", { default_port = 5269 });
	local called, args = false, nil;
	res2:next(function (...) called = true; args = { ... }; end);
	deliver("srv", "bogus.example", { status = "bogus", why = "DS mismatch" });
	run_adns();
	tap.ok(called and args[1] == nil and not find("tlsa", "5269:bogus.example"), "bogus SRV: no target, no fallback (F12c)");
	-- insecure SRV: target used, no TLSA lookup, DANE not applicable
	local res3 = service.new("insecure.example", "xmpp-server", "tcp", { default_port = 5269 });
	local g3;
	res3:next(function (...) g3 = { ... }; end);
	deliver("srv", "insecure.example", { status = "insecure", records = { { port = 5269, target = "xmpp.insecure.example" } } });
	run_adns();
	tap.ok(g3 and g3[4].dane.srv_secure == false and not find("tlsa", "5269:xmpp.insecure.example"), "insecure SRV: no TLSA lookup (RFC 7673 s3.1)");
	local s3, d3 = session("outgoing", "insecure.example", { extra = g3[4] });
	local r3 = check_cert(m, s3, "insecure.example");
	tap.ok(r3.done and r3.value == nil and d3.cert_chain_status == nil and logged(m, "DANE outgoing insecure.example: insecure"), "insecure: not applicable");
	-- IP literal and other services keep Prosody's resolver
	local plain = service.new("127.0.0.3", "xmpp-server", "tcp", { default_port = 5269 });
	tap.ok(plain.resolve_target == nil, "IP literals keep Prosody's own resolver");
	m.module.unload();
	tap.ok(service.new("x.example", "xmpp-server", "tcp", {}).resolve_target == nil, "unload restores service.new");
end

do -- Prosody 13 (and 0.12.4+): s2sout-pre-connect on the host bus replaces the resolver
	local service = require "net.resolvers.service";
	local before = service.new;
	local m = load_module(opts, "13.0.1");
	tap.ok(service.new == before, "13: net.resolvers.service is left alone");
	local s = session("outgoing", "b.example");
	local ev = { session = s, resolver = "prosody's" };
	m.host.fire("s2sout-pre-connect", ev);
	tap.ok(type(ev.resolver) == "table" and ev.resolver.resolve_target ~= nil, "13: pre-connect resolver replaced by the DANE resolver");
	s.ssl_ctx = {};
	ev = { session = s, resolver = "prosody's" };
	m.host.fire("s2sout-pre-connect", ev);
	tap.ok(type(ev.resolver) == "table" and ev.resolver.resolvers and #ev.resolver.resolvers == 2, "13: with TLS, _xmpps-server then _xmpp-server");
	m.module.unload();
end

tap.done();
