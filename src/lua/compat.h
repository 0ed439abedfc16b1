/* SPDX-License-Identifier: MIT */
/* compat.h - the few Lua 5.1-5.4 differences the binding uses. */
#ifndef XDANE_LUA_COMPAT_H
#define XDANE_LUA_COMPAT_H

#include <lua.h>
#include <lauxlib.h>

#if LUA_VERSION_NUM < 502
#define LUA_OK 0
#define lua_rawlen(L, i) lua_objlen(L, i)
#define luaL_newlib(L, l) (lua_newtable(L), luaL_register(L, NULL, l))
#define luaL_setfuncs(L, l, n) luaL_register(L, NULL, l) /* no upvalues on 5.1 */
static inline void luaL_setmetatable(lua_State *L, const char *tname)
{
	luaL_getmetatable(L, tname);
	lua_setmetatable(L, -2);
}
static inline void *luaL_testudata(lua_State *L, int i, const char *tname)
{
	void *p = lua_touserdata(L, i);
	if (p == NULL || !lua_getmetatable(L, i))
		return NULL;
	luaL_getmetatable(L, tname);
	if (!lua_rawequal(L, -1, -2))
		p = NULL;
	lua_pop(L, 2);
	return p;
}
#define luaL_checkversion(L) ((void)0)
#endif

#if LUA_VERSION_NUM < 504
#define lua_newuserdatauv(L, sz, nuv) lua_newuserdata(L, sz)
#define luaL_pushfail(L) lua_pushnil(L)
#endif

#endif
