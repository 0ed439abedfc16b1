-- resolver_unit.lua - the Lua resolver binding without any DNS server: option
-- checks, miniloop API, Lua host tables that refuse or raise (lookups end
-- indeterminate at once), callback errors, close inside a callback, __gc.
local tap = require "tap";
local xdane = require "xdane";

local anchor = os.tmpname();
do
	local f = assert(io.open(anchor, "w"));
	f:write(". 3600 IN DS 12345 13 2 ", ("ab"):rep(32), "\n");
	f:close();
end
local loop = xdane.miniloop();
local function cfg(extra)
	local c = { upstreams = { "127.0.0.1:9" }, trust_anchor = anchor, timeout = 1, loop = loop };
	for k, v in pairs(extra or {}) do c[k] = v; end
	return c;
end

tap.raises(function () xdane.resolver(cfg{ upstreams = { "300.1.1.1" } }); end, "upstreams", "bad address names upstreams");
tap.raises(function () xdane.resolver(cfg{ upstreams = { 5 } }); end, "upstreams", "non-string upstream");
tap.raises(function () xdane.resolver(cfg{ trust_anchor = "/nonexistent" }); end, "trust_anchor", "missing anchor file");
tap.raises(function () xdane.resolver(cfg{ trust_anchor = "/etc/hostname" }); end, "trust_anchor", "anchor file without DS");
tap.raises(function () xdane.resolver(cfg{ timeout = 0 }); end, "timeout", "zero timeout");
tap.raises(function () xdane.resolver(cfg{ cache_max = 0 }); end, "cache_max", "zero cache_max");
tap.raises(function () xdane.resolver(cfg{ max_inflight = -1 }); end, "max_inflight", "negative max_inflight");
tap.raises(function () xdane.resolver(cfg{ loop = 42 }); end, "loop", "loop of the wrong type");
tap.raises(function () xdane.resolver(cfg{ log = "x" }); end, "log", "log not a function");

-- miniloop API
tap.is(loop:run_once(0), 0, "empty miniloop: nothing registered");
tap.is(loop:run(nil, 50), true, "run without work returns true");
tap.is(loop:run(function () return false; end, 30), false, "run until false: times out");

-- a resolver on the miniloop, then closed with a lookup in flight to a silent upstream
do
	local r = xdane.resolver(cfg());
	local called = false;
	local id = r:tlsa(5269, "xmpp.example", function () called = true; end);
	tap.ok(type(id) == "number" and id > 0, "lookup id");
	tap.ok(loop:run_once(0) > 0, "lookup registered something in the loop");
	local st = r:stats();
	tap.ok(st.lookups == 1 and st.in_flight == 1, "stats: one lookup in flight");
	r:close();
	r:close();
	loop:run_once(0);
	tap.ok(not called and loop:run_once(0) == 0, "close in flight: no callback, loop empty");
	tap.raises(function () r:stats(); end, "closed", "stats after close raises");
end

-- host tables: a refusing host, timers run by hand
local timers = {};
local function run_timers()
	for _ = 1, 10 do
		local t = timers; timers = {};
		for _, f in ipairs(t) do if f then f(); end end
	end
end
local logged = {};
local host = {
	watch = function () return nil; end,
	unwatch = function () end,
	timer = function (s, f) timers[#timers + 1] = f; return #timers; end,
	cancel_timer = function (h) timers[h] = false; end,
};
do
	local r = xdane.resolver(cfg{ loop = host, log = function (l, m) logged[#logged + 1] = m; end });
	local answers, order = {}, {};
	r:tlsa(5269, "one.example", function (a) answers[1] = a; order[#order + 1] = 1; error("callback error"); end);
	r:srv("two.example", true, function (a) answers[2] = a; order[#order + 1] = 2; end);
	tap.ok(answers[1] == nil and answers[2] == nil, "refusing host: nothing synchronous");
	run_timers();
	tap.ok(answers[1] and answers[1].status == "indeterminate" and answers[1].secure == false
		and answers[1].qname == "_5269._tcp.one.example" and answers[1].qtype == "TLSA" and #answers[1].records == 0,
		"refusing host: TLSA lookup indeterminate", answers[1] and answers[1].why);
	tap.ok(answers[2] and answers[2].status == "indeterminate" and answers[2].qname == "_xmpps-server._tcp.two.example"
		and answers[2].qtype == "SRV", "refusing host: direct-TLS SRV lookup indeterminate");
	local log = table.concat(logged, "\n");
	tap.ok(log:find("refused", 1, true) and log:find("callback error", 1, true), "refusal and callback error logged", log);
	local st = r:stats();
	tap.ok(st.indeterminate == 2 and st.secure == 0 and st.cache_entries == 0, "indeterminate answers counted, not cached");
	-- close inside a callback
	local calls = 0;
	for i = 1, 3 do r:tlsa(5269, "c" .. i .. ".example", function () calls = calls + 1; r:close(); end); end
	run_timers();
	tap.is(calls, 1, "close inside callback: the other callbacks never run");
end

-- __gc with lookups pending
do
	local called = false;
	local r = xdane.resolver(cfg{ loop = host });
	r:tlsa(5269, "gc.example", function () called = true; end);
	r = nil;
	collectgarbage(); collectgarbage();
	run_timers();
	tap.ok(not called, "__gc: pending callback never runs");
end

os.remove(anchor);
tap.done();
