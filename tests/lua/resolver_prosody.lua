-- resolver_prosody.lua - xdane.resolver driven by Prosody's real event loop
-- (net.server_epoll + util.timer from /usr/lib/prosody, Lua 5.4) through
-- lua/xdane_prosody_loop.lua: statuses, cache, cancel, close in a callback,
-- and the loop left without registrations.
package.path = "/usr/lib/prosody/?.lua;" .. package.path;
package.cpath = "/usr/lib/prosody/?.so;" .. package.cpath;
local tap = require "tap";
local xdane = require "xdane";
local server = require "net.server_epoll";
package.loaded["net.server"] = server; -- what Prosody's loader would pick (default backend)
local timer = require "util.timer";
local host = require "xdane_prosody_loop".new(server, timer);

local upstream = assert(os.getenv("XDANE_UPSTREAM"));
local anchor = assert(os.getenv("XDANE_TRUST_ANCHOR"));

-- count live registrations through the adapter
local live = 0;
local counted = {};
for _, k in ipairs({ "watch", "timer" }) do
	local f = host[k];
	host[k] = function (...) local h = f(...); if h then live = live + 1; end return h; end;
end
for _, k in ipairs({ "unwatch", "cancel_timer" }) do
	local f = host[k];
	host[k] = function (h) live = live - 1; return f(h); end;
end
-- fired timers are gone too: wrap on_fire
do
	local t = host.timer;
	host.timer = function (s, on_fire) return t(s, function () live = live - 1; on_fire(); end); end;
end

local logged = {};
local r = xdane.resolver{ upstreams = { upstream }, trust_anchor = anchor, timeout = 2, loop = host,
	log = function (level, msg) logged[#logged + 1] = msg; end };

-- run_until - drive Prosody's loop one step at a time until pred() or max seconds
local function run_until(pred, max)
	local deadline = os.time() + max + 1;
	local guard = timer.add_task(0.05, function () return 0.05; end); -- keeps the loop ticking
	while not pred() and os.time() <= deadline do
		server.loop(true);
	end
	timer.stop(guard);
	return pred();
end

local want = {
	{ "srv", "a.example", "secure", 1 },
	{ "tlsa", "xmpp.a.example", "secure", 1 },
	{ "tlsa", "xmpp.insecure.example", "insecure", 1 },
	{ "tlsa", "xmpp.badsig.example", "bogus", 0 },
	{ "tlsa", "xmpp.expired.example", "bogus", 0 },
	{ "srv", "bogus.example", "bogus", 0 },
	{ "srv", "refused.example", "indeterminate", 0 },
	{ "srv", "dead.example", "indeterminate", 0 },
	{ "tlsa", "xmpp.notlsa.example", "secure", 0 },
	{ "tlsa", "xmpp.cname.example", "secure", 1 },
	{ "tlsa", "to-bogus.cname.example", "bogus", 0 },
};
local got = {};
for i, w in ipairs(want) do
	local cb = function (a) got[i] = a; end;
	if w[1] == "srv" then r:srv(w[2], false, cb); else r:tlsa(5269, w[2], cb); end
end
run_until(function () for i = 1, #want do if not got[i] then return false; end end return true; end, 6);
for i, w in ipairs(want) do
	local a = got[i];
	tap.ok(a and a.status == w[3] and #a.records == w[4], ("epoll: %s %s is %s"):format(w[1], w[2], w[3]),
		a and (a.status .. " " .. tostring(a.why)));
end

-- cache hit through the Prosody loop, never synchronous
do
	local a;
	r:tlsa(5269, "xmpp.a.example", function (x) a = x; end);
	tap.ok(a == nil, "epoll: cache hit not synchronous");
	run_until(function () return a; end, 2);
	tap.ok(a and a.cached and a.status == "secure", "epoll: cache hit delivered from the loop");
end

-- cancel
do
	local called, other = false, nil;
	local id = r:tlsa(5269, "c1.b.example", function () called = true; end);
	r:tlsa(5269, "c2.b.example", function (x) other = x; end);
	tap.ok(r:cancel(id), "epoll: cancel");
	run_until(function () return other; end, 3);
	tap.ok(other and not called, "epoll: cancelled callback never ran");
end

-- a burst bigger than max_inflight through Prosody's loop
do
	local n, done = 300, 0;
	for i = 1, n do
		r:tlsa(5269, "burst" .. i .. ".b.example", function (x) if x.status == "secure" then done = done + 1; end end);
	end
	run_until(function () return done == n; end, 20);
	tap.is(done, n, "epoll: 300 concurrent lookups all secure");
end

-- close from inside a callback
do
	local calls = 0;
	for _ = 1, 3 do
		r:srv("b.example", false, function () calls = calls + 1; r:close(); end);
	end
	run_until(function () return calls > 0; end, 3);
	local t = timer.add_task(0.02, function () end); -- one more tick of the loop
	server.loop(true);
	timer.stop(t);
	tap.is(calls, 1, "epoll: close inside callback, no other callback");
end
tap.is(live, 0, "epoll: every watch and timer released");
tap.ok(#logged == 0, "epoll: nothing logged", table.concat(logged, "\n"));
tap.done();
