/* SPDX-License-Identifier: MIT */
/* lverify.c - placeholder until the verifier binding lands. */
#include "xdane.h"
#include "lxdane.h"

void xdane_lua_open_verify(lua_State *L)
{
	(void)L;
}

void xdane_lua_push_tlsa(lua_State *L, const struct xdane_tlsa *rec)
{
	(void)rec;
	lua_pushnil(L);
}
