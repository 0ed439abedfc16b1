-- s2s_peer.lua - a minimal raw XMPP s2s initiator (LuaSocket + LuaSec) for e2e tests.
--
--   lua5.4 s2s_peer.lua ADDR PORT FROM TO [TLS_DELAY_S CERT KEY]
--
-- Opens a stream from FROM to TO, reads the features; with CERT/KEY waits TLS_DELAY_S
-- seconds, then STARTTLS with that client certificate and a new stream. Prints every
-- received chunk prefixed by "<< " and exits 0 once the post-TLS features (or, without
-- TLS, the first features) arrived; 1 on a closed stream or a timeout.
local socket = require "socket";
local ssl = require "ssl";
local addr, port, from, to, delay, cert, key = arg[1], tonumber(arg[2]), arg[3], arg[4], tonumber(arg[5] or "0"), arg[6], arg[7];

local function header()
	return ("<?xml version='1.0'?><stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams'"
		.. " xmlns:db='jabber:server:dialback' from='%s' to='%s' version='1.0'>"):format(from, to);
end

-- read_until - read until pattern appears in the accumulated input (or timeout/close)
local function read_until(conn, pattern, timeout)
	local buf, deadline = "", socket.gettime() + timeout;
	conn:settimeout(0.2);
	while socket.gettime() < deadline do
		local data, err, partial = conn:receive(1);
		data = data or partial;
		if data and #data > 0 then
			buf = buf .. data;
			if buf:find(pattern) then io.write("<< ", buf, "\n"); return buf; end
		elseif err == "closed" then
			io.write("<< ", buf, "\n<< (closed)\n");
			return nil, "closed";
		end
	end
	io.write("<< ", buf, "\n<< (timeout)\n");
	return nil, "timeout";
end

local conn = assert(socket.tcp());
conn:settimeout(5);
assert(conn:connect(addr, port));
conn:send(header());
if not read_until(conn, "</stream:features>", 15) then os.exit(1); end
if not cert then os.exit(0); end

socket.sleep(delay);
conn:send("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
if not read_until(conn, "<proceed", 10) then os.exit(1); end
local tls = assert(ssl.wrap(conn, { mode = "client", protocol = "any", certificate = cert, key = key,
	verify = "none", options = { "all" } }));
tls:settimeout(10);
assert(tls:dohandshake());
io.write("-- TLS established after ", delay, " s\n");
tls:send(header());
if not read_until(tls, "</stream:features>", 30) then os.exit(1); end
os.exit(0);
