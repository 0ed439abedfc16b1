-- s2s_auth_dane_loop.lua - host loop table for xdane.resolver{ loop = ... } over
-- Prosody's net.server (watchfd) and util.timer.
--
-- Used by mod_s2s_auth_dane only when the shared adapter lua/xdane_prosody_loop.lua
-- is not installed. Contract (docs/lua-api.md): watch(fd, r, w, on_ready) -> handle,
-- unwatch(handle), timer(seconds, on_fire) -> handle, cancel_timer(handle).
--
-- net.server keeps one watch per fd number (epoll turns a second registration into
-- a flag change), so several handles on one fd share one registration whose
-- interest is the union of theirs. Callbacks run from the main loop under pcall.

return function(server, timer, log)
	local by_fd = {}; -- fd -> { watch = <net.server watch>, handles = { [handle] = true } }

	local function set_interest(entry)
		local r, w = false, false;
		for h in pairs(entry.handles) do
			r = r or h.want_read; w = w or h.want_write;
		end
		local watch = entry.watch;
		if watch.set then watch:set(r, w); else watch:setflags(r, w); end
	end

	local function dispatch(fd, readable, writable)
		local entry = by_fd[fd];
		if not entry then return; end
		-- copy first: a callback may unwatch or watch
		local ready = {};
		for h in pairs(entry.handles) do
			if (readable and h.want_read) or (writable and h.want_write) then ready[#ready + 1] = h; end
		end
		for _, h in ipairs(ready) do
			if not h.closed then
				local ok, err = pcall(h.on_ready, readable and h.want_read or false, writable and h.want_write or false);
				if not ok then log("error", "DANE resolver fd callback failed: %s", err); end
			end
		end
	end

	local loop = {};

	function loop.watch(fd, want_read, want_write, on_ready)
		local h = { fd = fd, want_read = not not want_read, want_write = not not want_write, on_ready = on_ready };
		local entry = by_fd[fd];
		if not entry then
			local watch = server.watchfd(fd,
				function () dispatch(fd, true, false); end,
				function () dispatch(fd, false, true); end);
			if not watch then return nil; end
			entry = { watch = watch, handles = {} };
			by_fd[fd] = entry;
		end
		entry.handles[h] = true;
		set_interest(entry);
		return h;
	end

	function loop.unwatch(h)
		if not h or h.closed then return; end
		h.closed = true;
		local entry = by_fd[h.fd];
		if not entry then return; end
		entry.handles[h] = nil;
		if next(entry.handles) == nil then
			by_fd[h.fd] = nil;
			-- unregister before getdns closes the socket
			local watch = entry.watch;
			if watch.setflags then watch:setflags(false, false); end
			if watch.close then watch:close(); end
		else
			set_interest(entry);
		end
	end

	function loop.timer(seconds, on_fire)
		local t = {};
		t.id = timer.add_task(seconds, function ()
			if t.cancelled then return; end
			t.cancelled = true;
			local ok, err = pcall(on_fire);
			if not ok then log("error", "DANE resolver timer callback failed: %s", err); end
		end);
		return t;
	end

	function loop.cancel_timer(t)
		if not t or t.cancelled then return; end
		t.cancelled = true;
		if t.id and timer.stop then timer.stop(t.id); end
	end

	return loop;
end
