/* SPDX-License-Identifier: MIT */
/* lresolver.c - placeholder until the resolver binding lands. */
#include "xdane.h"
#include "lxdane.h"

void xdane_lua_open_resolver(lua_State *L)
{
	(void)L;
}
