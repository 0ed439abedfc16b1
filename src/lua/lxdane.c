/* SPDX-License-Identifier: MIT */
/* lxdane.c - luaopen_xdane: the Lua face of the C core. Sets no globals. */
#include "xdane.h"
#include "lxdane.h"

int luaopen_xdane(lua_State *L);

int luaopen_xdane(lua_State *L)
{
	luaL_checkversion(L);
	lua_newtable(L);
	xdane_lua_open_verify(L);
	xdane_lua_open_resolver(L);
	lua_pushliteral(L, "0.1.0");
	lua_setfield(L, -2, "version");
	return 1;
}
