-- resolver_xmpp_stub.lua - a one-connection XMPP s2s server stub for
-- `xmpp-dane check` tests: stream header, features with STARTTLS, <proceed/>,
-- then a TLS handshake with the given certificate and key.
--   lua5.4 resolver_xmpp_stub.lua ADDR PORT CERT KEY
local socket = require "socket";
local ssl = require "ssl";
local addr, port, cert, key = arg[1], tonumber(arg[2]), arg[3], arg[4];
local server = assert(socket.bind(addr, port));
io.stdout:write("listening\n"); io.stdout:flush();
server:settimeout(10);
local c = assert(server:accept());
c:settimeout(5);
local function read_until(pat)
	local buf = "";
	while not buf:find(pat) do
		local chunk, err, partial = c:receive(1);
		chunk = chunk or partial;
		if not chunk or chunk == "" then return nil, err; end
		buf = buf .. chunk;
	end
	return buf;
end
assert(read_until("<stream:stream[^>]*>"));
c:send("<?xml version='1.0'?><stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams' version='1.0' id='x'>"
	.. "<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls></stream:features>");
assert(read_until("<starttls[^>]*/>"));
c:send("<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
local t = assert(ssl.wrap(c, { mode = "server", protocol = "any", certificate = cert, key = key }));
t:settimeout(5);
local ok, err = t:dohandshake();
io.stdout:write(ok and "handshake ok\n" or ("handshake failed: " .. tostring(err) .. "\n"));
t:close();
