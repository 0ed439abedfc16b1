-- xdane_prosody_loop.lua - host loop for xdane.resolver{ loop = ... } on
-- Prosody's net.server (epoll, the default backend; select and event too).
--
--   local host = require "xdane_prosody_loop".new(require "net.server", require "util.timer")
--   local r = xdane.resolver{ ..., loop = host }
--
-- watch(fd, want_read, want_write, on_ready) -> handle; unwatch(handle);
-- timer(seconds, on_fire) -> handle; cancel_timer(handle). A registration the
-- backend refuses returns nil, which the resolver reports (the lookup ends
-- indeterminate) instead of waiting for a time-out.
local M = {};

function M.new(server, timer)
	assert(server and server.watchfd, "xdane_prosody_loop: need net.server");
	assert(timer and timer.add_task and timer.stop, "xdane_prosody_loop: need util.timer");
	local host = {};

	function host.watch(fd, want_read, want_write, on_ready)
		local onreadable = want_read and function () on_ready(true, false); end or nil;
		local onwritable = want_write and function () on_ready(false, true); end or nil;
		local watch = server.watchfd(fd, onreadable, onwritable);
		if not watch then return nil; end
		-- epoll's watchfd returns the watch even when registering failed:
		-- setting the same flags again tells whether the fd is in the poller.
		if watch.set and not watch:set(want_read and true or false, want_write and true or false) then
			if watch.close then watch:close(); end
			return nil;
		end
		return watch;
	end

	function host.unwatch(watch)
		-- select and libevent backends: clear the flags first (prosody-integration.md s7)
		if watch.setflags then watch:setflags(false, false); end
		if watch.close then watch:close(); end
	end

	function host.timer(seconds, on_fire)
		-- the task returns nothing, so it never repeats
		return timer.add_task(seconds, function () on_fire(); end);
	end

	function host.cancel_timer(id)
		timer.stop(id);
	end

	return host;
end

return M;
