/* SPDX-License-Identifier: MIT */
/* lxdane.h - internal interface between the parts of the Lua binding. */
#ifndef XDANE_LXDANE_H
#define XDANE_LXDANE_H

#include "compat.h"
#include "xdane_tlsa.h"

/* Each part adds its functions to the module table on top of the stack. */
void xdane_lua_open_verify(lua_State *L);
void xdane_lua_open_resolver(lua_State *L);

/* Metatable names (namespaced, as Prosody's util-src does). */
#define XDANE_LUA_TLSA "xdane.tlsa"
#define XDANE_LUA_VERIFIER "xdane.verifier"
#define XDANE_LUA_RESOLVER "xdane.resolver"

/* Push a TLSA record object copying rec; used by the resolver part. */
void xdane_lua_push_tlsa(lua_State *L, const struct xdane_tlsa *rec);

#endif
