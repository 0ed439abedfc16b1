/* SPDX-License-Identifier: MIT */
/*
 * lresolver.c - xdane.miniloop() and xdane.resolver{...}: asynchronous SRV
 * and TLSA lookups for Lua (docs/lua-api.md, "Resolver").
 *
 * No lua_State is kept between calls: every Lua->C entry (a method, a host
 * watch/timer closure, miniloop:run_once) records its state in the
 * resolver's "L" for its duration, and host functions and callbacks run on
 * that state. The C resolver only delivers answers after getdns returned,
 * from such an entry; callbacks run under lua_pcall with a traceback, their
 * errors go to the configured log function (or stderr), never into getdns.
 *
 * Lifetimes: the userdata box points to a malloc'd struct lres, which lives
 * until the C resolver has released the host (ops.release) and no entry is
 * on the stack (inuse == 0), so closing from inside a callback or from
 * __gc during a dispatch is safe.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "xdane.h"
#include "lxdane.h"

#define XDANE_LUA_MINILOOP "xdane.miniloop"
#define XDANE_LUA_HOSTBOX "xdane.hostbox"

/* ---- miniloop ---- */

struct lml {
	xdane_miniloop *ml;
	lua_State *L; /* during run_once only */
	int refs;     /* the userdata box + every resolver on it */
};

typedef struct {
	struct lml *p;
} lml_box;

/* lml_unref - drop one reference to the miniloop. */
static void lml_unref(struct lml *m)
{
	if (m && --m->refs == 0) {
		xdane_miniloop_free(m->ml);
		free(m);
	}
}

/* check_miniloop - the miniloop at index i, raising if closed. */
static struct lml *check_miniloop(lua_State *L, int i)
{
	lml_box *b = luaL_checkudata(L, i, XDANE_LUA_MINILOOP);
	if (!b->p)
		luaL_error(L, "miniloop is closed");
	return b->p;
}

/* ml_run_once - loop:run_once([ms]) -> number of registrations left */
static int ml_run_once(lua_State *L)
{
	struct lml *m = check_miniloop(L, 1);
	int ms = (int)luaL_optinteger(L, 2, 0), n;
	lua_State *saved = m->L;
	if (saved)
		return luaL_error(L, "miniloop:run_once called from inside the loop");
	m->refs++;
	m->L = L;
	n = xdane_miniloop_run_once(m->ml, ms);
	m->L = saved;
	lua_pushinteger(L, n);
	lml_unref(m);
	return 1;
}

/* now_ms - monotonic milliseconds. */
static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* ml_run - loop:run([until_fn], [max_ms]) -> true when until_fn() became true (or nothing is left), false on time-out */
static int ml_run(lua_State *L)
{
	struct lml *m = check_miniloop(L, 1);
	double max_ms = luaL_optnumber(L, 3, 1e9), end = now_ms() + max_ms;
	int has_until = !lua_isnoneornil(L, 2), n;

	if (has_until)
		luaL_checktype(L, 2, LUA_TFUNCTION);
	if (m->L)
		return luaL_error(L, "miniloop:run called from inside the loop");
	for (;;) {
		if (has_until) {
			int done;
			lua_pushvalue(L, 2);
			lua_call(L, 0, 1);
			done = lua_toboolean(L, -1);
			lua_pop(L, 1);
			if (done) {
				lua_pushboolean(L, 1);
				return 1;
			}
		}
		if (now_ms() >= end) {
			lua_pushboolean(L, 0);
			return 1;
		}
		m->refs++;
		m->L = L;
		n = xdane_miniloop_run_once(m->ml, 20);
		m->L = NULL;
		lml_unref(m);
		if (n <= 0 && !has_until) {
			lua_pushboolean(L, 1);
			return 1;
		}
	}
}

/* ml_gc - __gc and close */
static int ml_gc(lua_State *L)
{
	lml_box *b = luaL_checkudata(L, 1, XDANE_LUA_MINILOOP);
	struct lml *m = b->p;
	b->p = NULL;
	lml_unref(m);
	return 0;
}

/* ml_max_dispatch - loop:max_dispatch_us() -> longest single callback (benchmarks) */
static int ml_max_dispatch(lua_State *L)
{
	lua_pushnumber(L, (lua_Number)xdane_miniloop_max_dispatch_us(check_miniloop(L, 1)->ml));
	return 1;
}

/* l_miniloop - xdane.miniloop() */
static int l_miniloop(lua_State *L)
{
	lml_box *b = lua_newuserdatauv(L, sizeof *b, 0);
	b->p = NULL;
	luaL_setmetatable(L, XDANE_LUA_MINILOOP);
	b->p = calloc(1, sizeof *b->p);
	if (!b->p || !(b->p->ml = xdane_miniloop_new())) {
		free(b->p);
		b->p = NULL;
		return luaL_error(L, "out of memory");
	}
	b->p->refs = 1;
	return 1;
}

/* ---- resolver ---- */

struct lcb;

struct lres {
	xdane_resolver *r;
	lua_State *L;      /* state of the current Lua->C entry, NULL between calls */
	struct lml *ml;    /* when the loop is a miniloop */
	int host_ref;      /* host table (Lua loop) or LUA_NOREF */
	int log_ref;       /* log function or LUA_NOREF */
	int inuse;         /* entries on the stack */
	int released;      /* the C resolver is gone */
	struct lcb *cbs;   /* pending lookups */
};

typedef struct {
	struct lres *p;
} lres_box;

/* A pending lookup: the Lua callback anchored in the registry. */
struct lcb {
	struct lres *lr;
	int64_t id;
	int fn_ref;
	struct lcb *prev, *next;
};

/* A host registration (Lua loop): the closure given to the host holds a box
 * pointing here; the box is emptied when we unregister, so a late call from
 * the host is harmless. */
struct lreg {
	struct lres *lr;
	xdane_fd_ready_fn ready;
	xdane_timer_fn fire;
	void *arg;
	int handle_ref, box_ref;
	struct lreg **box;
};

/* cur_L - state to call Lua on right now. */
static lua_State *cur_L(struct lres *lr)
{
	if (lr->L)
		return lr->L;
	return lr->ml ? lr->ml->L : NULL;
}

/* lres_maybe_free - free lr once the C resolver released it and no entry uses it. */
static void lres_maybe_free(struct lres *lr)
{
	lua_State *L;
	if (!lr->released || lr->inuse > 0)
		return;
	L = cur_L(lr);
	if (L) {
		luaL_unref(L, LUA_REGISTRYINDEX, lr->host_ref);
		luaL_unref(L, LUA_REGISTRYINDEX, lr->log_ref);
	}
	lml_unref(lr->ml);
	free(lr);
}

/* enter / leave - bracket every Lua->C entry that may reach the C resolver. */
static lua_State *enter(struct lres *lr, lua_State *L)
{
	lua_State *saved = lr->L;
	lr->L = L;
	lr->inuse++;
	return saved;
}

static void leave(struct lres *lr, lua_State *saved)
{
	lr->L = saved;
	lr->inuse--;
	lres_maybe_free(lr);
}

/* log_error - to the configured log function ("error", message), else stderr. Never raises. */
static void log_error(struct lres *lr, lua_State *L, const char *msg)
{
	if (L && lr->log_ref != LUA_NOREF && lr->log_ref != LUA_REFNIL) {
		lua_rawgeti(L, LUA_REGISTRYINDEX, lr->log_ref);
		lua_pushliteral(L, "error");
		lua_pushstring(L, msg);
		if (lua_pcall(L, 2, 0, 0) == LUA_OK)
			return;
		fprintf(stderr, "xdane: log function failed: %s\n", lua_tostring(L, -1) ? lua_tostring(L, -1) : "?");
		lua_pop(L, 1);
	}
	fprintf(stderr, "xdane: %s\n", msg);
}

/* traceback - message handler for lua_pcall. */
static int traceback(lua_State *L)
{
	const char *msg = lua_tostring(L, 1);
#if LUA_VERSION_NUM >= 502
	luaL_traceback(L, L, msg ? msg : "(error object is not a string)", 1);
#else
	lua_pushstring(L, msg ? msg : "(error object is not a string)");
#endif
	return 1;
}

/* push_answer - the answer table (lightuserdata arg); run under lua_pcall because pushing may raise. */
static int push_answer(lua_State *L)
{
	const xdane_answer *a = lua_touserdata(L, 1);
	size_t i;

	lua_createtable(L, 0, 10);
	lua_pushstring(L, xdane_dns_status_name(a->status));
	lua_setfield(L, -2, "status");
	lua_pushboolean(L, a->status == XDANE_DNS_SECURE);
	lua_setfield(L, -2, "secure");
	if (a->why) {
		lua_pushstring(L, a->why);
		lua_setfield(L, -2, "why");
	}
	lua_pushinteger(L, a->rcode);
	lua_setfield(L, -2, "rcode");
	lua_pushinteger(L, (lua_Integer)a->ttl);
	lua_setfield(L, -2, "ttl");
	lua_pushboolean(L, a->cached);
	lua_setfield(L, -2, "cached");
	lua_pushstring(L, a->qname);
	lua_setfield(L, -2, "qname");
	lua_pushstring(L, a->qtype == 33 ? "SRV" : "TLSA");
	lua_setfield(L, -2, "qtype");
	lua_createtable(L, (int)a->count, 0);
	for (i = 0; i < a->count; i++) {
		if (a->qtype == 33) {
			lua_createtable(L, 0, 4);
			lua_pushinteger(L, a->srv[i].priority);
			lua_setfield(L, -2, "priority");
			lua_pushinteger(L, a->srv[i].weight);
			lua_setfield(L, -2, "weight");
			lua_pushinteger(L, a->srv[i].port);
			lua_setfield(L, -2, "port");
			lua_pushstring(L, a->srv[i].target);
			lua_setfield(L, -2, "target");
		} else {
			xdane_lua_push_tlsa(L, &a->tlsa[i]);
		}
		lua_rawseti(L, -2, (int)i + 1);
	}
	lua_setfield(L, -2, "records");
	return 1;
}

/* unlink_cb - take c off its resolver's pending list. */
static void unlink_cb(struct lres *lr, struct lcb *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		lr->cbs = c->next;
	if (c->next)
		c->next->prev = c->prev;
}

/* on_answer - C callback: run the Lua callback in a protected call from a clean stack. */
static void on_answer(const xdane_answer *a, void *arg)
{
	struct lcb *c = arg;
	struct lres *lr = c->lr;
	lua_State *L = cur_L(lr);
	int top, fn_ref = c->fn_ref;

	unlink_cb(lr, c);
	free(c);
	if (!L) { /* cannot happen: answers are delivered from an entry */
		fprintf(stderr, "xdane: answer for %s delivered outside any Lua call; dropped\n", a->qname);
		return;
	}
	lr->inuse++;
	top = lua_gettop(L);
	if (!lua_checkstack(L, 8)) {
		log_error(lr, NULL, "Lua stack exhausted; answer dropped");
		goto out;
	}
	lua_pushcfunction(L, traceback);
	lua_rawgeti(L, LUA_REGISTRYINDEX, fn_ref);
	luaL_unref(L, LUA_REGISTRYINDEX, fn_ref);
	fn_ref = LUA_NOREF;
	lua_pushcfunction(L, push_answer);
	lua_pushlightuserdata(L, (void *)a);
	if (lua_pcall(L, 1, 1, 0) != LUA_OK) {
		log_error(lr, L, lua_tostring(L, -1) ? lua_tostring(L, -1) : "cannot build answer");
		goto out;
	}
	if (lua_pcall(L, 1, 0, top + 1) != LUA_OK) {
		const char *msg = lua_tostring(L, -1);
		lua_pushfstring(L, "lookup callback for %s failed: %s", a->qname, msg ? msg : "?");
		log_error(lr, L, lua_tostring(L, -1));
	}
out:
	if (fn_ref != LUA_NOREF)
		luaL_unref(L, LUA_REGISTRYINDEX, fn_ref);
	lua_settop(L, top);
	lr->inuse--;
	lres_maybe_free(lr);
}

/* ---- host operations over a Lua host table ---- */

/* reg_closure - a host calls this (watch ready or timer fire). */
static int reg_closure(lua_State *L)
{
	struct lreg **box = lua_touserdata(L, lua_upvalueindex(1));
	struct lreg *g = box ? *box : NULL;
	struct lres *lr;
	lua_State *saved;

	if (!g)
		return 0; /* unregistered meanwhile */
	lr = g->lr;
	saved = enter(lr, L);
	if (g->fire) {
		/* one-shot: forget the registration before firing, nothing cancels it afterwards */
		xdane_timer_fn fire = g->fire;
		void *arg = g->arg;
		*g->box = NULL;
		luaL_unref(L, LUA_REGISTRYINDEX, g->handle_ref);
		luaL_unref(L, LUA_REGISTRYINDEX, g->box_ref);
		free(g);
		fire(arg);
	} else {
		g->ready(g->arg, lua_toboolean(L, 1), lua_toboolean(L, 2));
	}
	leave(lr, saved);
	return 0;
}

/* new_reg - register with the host through host[name](a1, a2, a3, closure); NULL if refused. */
static struct lreg *new_reg(struct lres *lr, const char *name, int nargs, lua_Number a1, int a2, int a3)
{
	lua_State *L = cur_L(lr);
	struct lreg *g;
	struct lreg **box;
	int top;

	if (!L || !lua_checkstack(L, 8))
		return NULL;
	g = calloc(1, sizeof *g);
	if (!g)
		return NULL;
	g->lr = lr;
	top = lua_gettop(L);
	lua_rawgeti(L, LUA_REGISTRYINDEX, lr->host_ref);
	lua_getfield(L, -1, name);
	/* host.watch(fd, want_read, want_write, on_ready) or host.timer(seconds, on_fire) */
	if (nargs == 4)
		lua_pushinteger(L, (lua_Integer)a1);
	else
		lua_pushnumber(L, a1);
	if (nargs == 4) {
		lua_pushboolean(L, a2);
		lua_pushboolean(L, a3);
	}
	box = lua_newuserdatauv(L, sizeof *box, 0);
	*box = g;
	g->box = box;
	lua_pushvalue(L, -1);
	g->box_ref = luaL_ref(L, LUA_REGISTRYINDEX);
	lua_pushcclosure(L, reg_closure, 1);
	if (lua_pcall(L, nargs, 1, 0) != LUA_OK || lua_isnoneornil(L, -1)) {
		const char *msg = lua_tostring(L, -1);
		char buf[300];
		snprintf(buf, sizeof buf, "host loop %s refused: %s", name, msg ? msg : "returned nil");
		log_error(lr, L, buf);
		*box = NULL;
		luaL_unref(L, LUA_REGISTRYINDEX, g->box_ref);
		free(g);
		lua_settop(L, top);
		return NULL;
	}
	g->handle_ref = luaL_ref(L, LUA_REGISTRYINDEX);
	lua_settop(L, top);
	return g;
}

/* drop_reg - unregister through host[name](handle); never raises. */
static void drop_reg(struct lres *lr, struct lreg *g, const char *name)
{
	lua_State *L = cur_L(lr);

	*g->box = NULL;
	if (L && lua_checkstack(L, 4)) {
		int top = lua_gettop(L);
		lua_rawgeti(L, LUA_REGISTRYINDEX, lr->host_ref);
		lua_getfield(L, -1, name);
		lua_rawgeti(L, LUA_REGISTRYINDEX, g->handle_ref);
		if (lua_pcall(L, 1, 0, 0) != LUA_OK) {
			char buf[300];
			snprintf(buf, sizeof buf, "host loop %s failed: %s", name, lua_tostring(L, -1) ? lua_tostring(L, -1) : "?");
			log_error(lr, L, buf);
		}
		lua_settop(L, top);
		luaL_unref(L, LUA_REGISTRYINDEX, g->handle_ref);
		luaL_unref(L, LUA_REGISTRYINDEX, g->box_ref);
	}
	free(g);
}

static void *lua_watch(void *host, int fd, int want_read, int want_write, xdane_fd_ready_fn ready, void *arg)
{
	struct lres *lr = host;
	struct lreg *g = new_reg(lr, "watch", 4, fd, want_read, want_write);
	if (g) {
		g->ready = ready;
		g->arg = arg;
	}
	return g;
}

static void lua_unwatch(void *host, void *handle)
{
	drop_reg(host, handle, "unwatch");
}

static void *lua_add_timer(void *host, uint64_t ms, xdane_timer_fn fire, void *arg)
{
	struct lres *lr = host;
	struct lreg *g = new_reg(lr, "timer", 2, (lua_Number)ms / 1000.0, 0, 0);
	if (g) {
		g->fire = fire;
		g->arg = arg;
	}
	return g;
}

static void lua_cancel_timer(void *host, void *handle)
{
	drop_reg(host, handle, "cancel_timer");
}

/* ---- host operations forwarding to a miniloop ---- */

static void *mini_watch(void *host, int fd, int r, int w, xdane_fd_ready_fn ready, void *arg)
{
	const xdane_host_ops *o = xdane_miniloop_ops(((struct lres *)host)->ml->ml);
	return o->watch_fd(o->host, fd, r, w, ready, arg);
}

static void mini_unwatch(void *host, void *handle)
{
	const xdane_host_ops *o = xdane_miniloop_ops(((struct lres *)host)->ml->ml);
	o->unwatch_fd(o->host, handle);
}

static void *mini_add_timer(void *host, uint64_t ms, xdane_timer_fn fire, void *arg)
{
	const xdane_host_ops *o = xdane_miniloop_ops(((struct lres *)host)->ml->ml);
	return o->add_timer(o->host, ms, fire, arg);
}

static void mini_cancel_timer(void *host, void *handle)
{
	const xdane_host_ops *o = xdane_miniloop_ops(((struct lres *)host)->ml->ml);
	o->cancel_timer(o->host, handle);
}

/* on_release - the C resolver holds nothing any more. */
static void on_release(void *host)
{
	struct lres *lr = host;
	lr->released = 1;
	lr->r = NULL;
	lres_maybe_free(lr);
}

/* ---- resolver methods ---- */

/* check_open - the resolver at index 1, raising when closed. */
static struct lres *check_open(lua_State *L)
{
	lres_box *b = luaL_checkudata(L, 1, XDANE_LUA_RESOLVER);
	if (!b->p || !b->p->r)
		luaL_error(L, "resolver is closed");
	return b->p;
}

/* start - common part of r:srv and r:tlsa; the callback is at index cbi. */
static int start(lua_State *L, struct lres *lr, int is_srv, const char *name, unsigned port_or_tls, int cbi)
{
	char err[256];
	struct lcb *c;
	lua_State *saved;
	int64_t id;

	luaL_checktype(L, cbi, LUA_TFUNCTION);
	c = calloc(1, sizeof *c);
	if (!c)
		return luaL_error(L, "out of memory");
	c->lr = lr;
	lua_pushvalue(L, cbi);
	c->fn_ref = luaL_ref(L, LUA_REGISTRYINDEX);
	c->next = lr->cbs;
	if (lr->cbs)
		lr->cbs->prev = c;
	lr->cbs = c;
	saved = enter(lr, L);
	if (is_srv)
		id = xdane_lookup_srv(lr->r, name, (int)port_or_tls, on_answer, c, err, sizeof err);
	else
		id = xdane_lookup_tlsa(lr->r, port_or_tls, name, on_answer, c, err, sizeof err);
	if (id <= 0) {
		unlink_cb(lr, c);
		luaL_unref(L, LUA_REGISTRYINDEX, c->fn_ref);
		free(c);
	} else {
		c->id = id;
	}
	leave(lr, saved);
	if (id <= 0) {
		luaL_pushfail(L);
		lua_pushstring(L, err);
		lua_pushstring(L, id == 0 ? "badname" : "internal");
		return 3;
	}
	lua_pushinteger(L, (lua_Integer)id);
	return 1;
}

/* lr_srv - r:srv(domain, direct_tls, callback) -> id | nil, message, code */
static int lr_srv(lua_State *L)
{
	struct lres *lr = check_open(L);
	const char *domain = luaL_checkstring(L, 2);
	return start(L, lr, 1, domain, (unsigned)lua_toboolean(L, 3), 4);
}

/* lr_tlsa - r:tlsa(port, host, callback) -> id | nil, message, code */
static int lr_tlsa(lua_State *L)
{
	struct lres *lr = check_open(L);
	lua_Integer port = luaL_checkinteger(L, 2);
	const char *host = luaL_checkstring(L, 3);
	luaL_argcheck(L, port >= 1 && port <= 65535, 2, "port out of range");
	return start(L, lr, 0, host, (unsigned)port, 4);
}

/* lr_cancel - r:cancel(id) -> boolean */
static int lr_cancel(lua_State *L)
{
	struct lres *lr = check_open(L);
	int64_t id = (int64_t)luaL_checkinteger(L, 2);
	struct lcb *c;
	lua_State *saved;
	int ok;

	for (c = lr->cbs; c && c->id != id; c = c->next)
		;
	if (!c) {
		lua_pushboolean(L, 0);
		return 1;
	}
	saved = enter(lr, L);
	ok = xdane_lookup_cancel(lr->r, id);
	if (ok) {
		unlink_cb(lr, c);
		luaL_unref(L, LUA_REGISTRYINDEX, c->fn_ref);
		free(c);
	}
	leave(lr, saved);
	lua_pushboolean(L, ok);
	return 1;
}

/* setint - t[k] = v on the table at the top. */
static void setint(lua_State *L, const char *k, uint64_t v)
{
	lua_pushinteger(L, (lua_Integer)v);
	lua_setfield(L, -2, k);
}

/* lr_stats - r:stats() -> table */
static int lr_stats(lua_State *L)
{
	struct lres *lr = check_open(L);
	xdane_resolver_stats st;
	xdane_resolver_get_stats(lr->r, &st);
	lua_createtable(L, 0, 11);
	setint(L, "lookups", st.lookups);
	setint(L, "cache_hits", st.cache_hits);
	setint(L, "coalesced", st.coalesced);
	setint(L, "upstream_queries", st.upstream_queries);
	setint(L, "in_flight", st.in_flight);
	setint(L, "queued", st.queued);
	setint(L, "cache_entries", st.cache_entries);
	setint(L, "keys_cached", st.keys_cached);
	setint(L, "key_cache_retries", st.key_cache_retries);
	setint(L, "offline_secure", st.offline_secure);
	setint(L, "offline_retries", st.offline_retries);
	setint(L, "secure", st.by_status[XDANE_DNS_SECURE]);
	setint(L, "insecure", st.by_status[XDANE_DNS_INSECURE]);
	setint(L, "bogus", st.by_status[XDANE_DNS_BOGUS]);
	setint(L, "indeterminate", st.by_status[XDANE_DNS_INDETERMINATE]);
	return 1;
}

/* lr_close - r:close(), __gc and __close: cancel everything; idempotent, never raises. */
static int lr_close(lua_State *L)
{
	lres_box *b = luaL_checkudata(L, 1, XDANE_LUA_RESOLVER);
	struct lres *lr = b->p;
	struct lcb *c;
	lua_State *saved;

	if (!lr)
		return 0;
	b->p = NULL;
	saved = enter(lr, L);
	while ((c = lr->cbs) != NULL) {
		lr->cbs = c->next;
		luaL_unref(L, LUA_REGISTRYINDEX, c->fn_ref);
		free(c);
	}
	if (lr->r)
		xdane_resolver_free(lr->r); /* may be deferred until the current dispatch returns */
	leave(lr, saved);
	return 0;
}

/* lr_tostring - "xdane.resolver: 0x..." */
static int lr_tostring(lua_State *L)
{
	lres_box *b = luaL_checkudata(L, 1, XDANE_LUA_RESOLVER);
	lua_pushfstring(L, "%s: %p%s", XDANE_LUA_RESOLVER, (void *)b, b->p ? "" : " (closed)");
	return 1;
}

/* opt_field - push cfg[name]; returns its type. */
static int opt_field(lua_State *L, const char *name)
{
	lua_getfield(L, 1, name);
	return lua_type(L, -1);
}

/* l_resolver - xdane.resolver{ upstreams, trust_anchor, timeout, cache_max, max_inflight, loop, log } */
static int l_resolver(lua_State *L)
{
	xdane_resolver_config cfg;
	xdane_host_ops ops;
	const char *ups[16];
	char err[300];
	lres_box *b;
	struct lres *lr;
	lua_State *saved;
	int t;

	luaL_checktype(L, 1, LUA_TTABLE);
	memset(&cfg, 0, sizeof cfg);
	memset(&ops, 0, sizeof ops);
	/* upstreams: list of strings (or one string) */
	t = opt_field(L, "upstreams");
	if (t == LUA_TSTRING) {
		ups[0] = lua_tostring(L, -1);
		cfg.nupstreams = 1;
	} else if (t == LUA_TTABLE) {
		size_t i, n = lua_rawlen(L, -1);
		if (n == 0 || n > 16)
			return luaL_error(L, "upstreams: want 1 to 16 addresses");
		for (i = 0; i < n; i++) {
			lua_rawgeti(L, -1, (int)i + 1);
			if (lua_type(L, -1) != LUA_TSTRING)
				return luaL_error(L, "upstreams: entry %d is not a string", (int)i + 1);
			ups[i] = lua_tostring(L, -1); /* kept alive by the config table */
			lua_pop(L, 1);
		}
		cfg.nupstreams = n;
	} else if (t != LUA_TNIL) {
		return luaL_error(L, "upstreams: want a list of addresses");
	}
	cfg.upstreams = cfg.nupstreams ? ups : NULL;
	t = opt_field(L, "trust_anchor");
	if (t != LUA_TNIL && t != LUA_TSTRING)
		return luaL_error(L, "trust_anchor: want a file name");
	cfg.trust_anchor_file = lua_tostring(L, -1);
	t = opt_field(L, "timeout");
	if (t != LUA_TNIL) {
		lua_Number s = lua_tonumber(L, -1);
		if (t != LUA_TNUMBER || !(s > 0) || s > 3600)
			return luaL_error(L, "timeout: want seconds in (0, 3600]");
		cfg.timeout_ms = (unsigned)(s * 1000 + 0.5);
		if (cfg.timeout_ms == 0)
			cfg.timeout_ms = 1;
	}
	t = opt_field(L, "cache_max");
	if (t != LUA_TNIL) {
		lua_Number n = lua_tonumber(L, -1);
		if (t != LUA_TNUMBER || !(n >= 1) || n > 1e7)
			return luaL_error(L, "cache_max: want a count >= 1");
		cfg.cache_max = (size_t)n;
	}
	t = opt_field(L, "max_inflight");
	if (t != LUA_TNIL) {
		lua_Number n = lua_tonumber(L, -1);
		if (t != LUA_TNUMBER || !(n >= 1) || n > 100000)
			return luaL_error(L, "max_inflight: want a count >= 1");
		cfg.max_inflight = (unsigned)n;
	}
	t = opt_field(L, "key_cache");
	if (t != LUA_TNIL && t != LUA_TBOOLEAN)
		return luaL_error(L, "key_cache: want a boolean");
	cfg.no_key_cache = t == LUA_TBOOLEAN && !lua_toboolean(L, -1);
	t = opt_field(L, "log");
	if (t != LUA_TNIL && t != LUA_TFUNCTION)
		return luaL_error(L, "log: want a function(level, message)");
	t = opt_field(L, "loop");
	if (t == LUA_TTABLE) {
		const char *fns[] = { "watch", "unwatch", "timer", "cancel_timer" };
		size_t i;
		for (i = 0; i < 4; i++) {
			lua_getfield(L, -1, fns[i]);
			if (!lua_isfunction(L, -1))
				return luaL_error(L, "loop: host table lacks function '%s'", fns[i]);
			lua_pop(L, 1);
		}
	} else if (!luaL_testudata(L, -1, XDANE_LUA_MINILOOP)) {
		return luaL_error(L, "loop: want xdane.miniloop() or a host table {watch, unwatch, timer, cancel_timer}");
	}
	/* box first, so an error below leaves nothing behind */
	b = lua_newuserdatauv(L, sizeof *b, 0);
	b->p = NULL;
	luaL_setmetatable(L, XDANE_LUA_RESOLVER);
	lr = calloc(1, sizeof *lr);
	if (!lr)
		return luaL_error(L, "out of memory");
	lr->host_ref = lr->log_ref = LUA_NOREF;
	if (t == LUA_TTABLE) {
		lua_pushvalue(L, -2);
		lr->host_ref = luaL_ref(L, LUA_REGISTRYINDEX);
		ops.watch_fd = lua_watch;
		ops.unwatch_fd = lua_unwatch;
		ops.add_timer = lua_add_timer;
		ops.cancel_timer = lua_cancel_timer;
	} else {
		lml_box *mb = lua_touserdata(L, -2);
		if (!mb->p) {
			free(lr);
			return luaL_error(L, "loop: miniloop is closed");
		}
		lr->ml = mb->p;
		lr->ml->refs++;
		ops.watch_fd = mini_watch;
		ops.unwatch_fd = mini_unwatch;
		ops.add_timer = mini_add_timer;
		ops.cancel_timer = mini_cancel_timer;
	}
	ops.host = lr;
	ops.release = on_release;
	lua_getfield(L, 1, "log");
	if (lua_isfunction(L, -1))
		lr->log_ref = luaL_ref(L, LUA_REGISTRYINDEX);
	else
		lua_pop(L, 1);
	saved = enter(lr, L);
	lr->r = xdane_resolver_new(&cfg, &ops, err, sizeof err);
	lr->L = saved;
	lr->inuse--;
	if (!lr->r) {
		const char *opt = strstr(err, "trust anchor") ? "trust_anchor: " : strstr(err, "upstream") ? "upstreams: " : "";
		luaL_unref(L, LUA_REGISTRYINDEX, lr->host_ref);
		luaL_unref(L, LUA_REGISTRYINDEX, lr->log_ref);
		lml_unref(lr->ml);
		free(lr);
		return luaL_error(L, "xdane.resolver: %s%s", opt, err);
	}
	b->p = lr;
	return 1;
}

void xdane_lua_open_resolver(lua_State *L)
{
	static const luaL_Reg ml_methods[] = {
		{ "run_once", ml_run_once }, { "run", ml_run }, { "max_dispatch_us", ml_max_dispatch },
		{ "close", ml_gc }, { NULL, NULL }
	};
	static const luaL_Reg r_methods[] = {
		{ "srv", lr_srv }, { "tlsa", lr_tlsa }, { "cancel", lr_cancel },
		{ "stats", lr_stats }, { "close", lr_close }, { NULL, NULL }
	};
	static const luaL_Reg funcs[] = { { "miniloop", l_miniloop }, { "resolver", l_resolver }, { NULL, NULL } };

	luaL_newmetatable(L, XDANE_LUA_MINILOOP);
	lua_pushcfunction(L, ml_gc);
	lua_setfield(L, -2, "__gc");
	luaL_newlib(L, ml_methods);
	lua_setfield(L, -2, "__index");
	lua_pop(L, 1);

	luaL_newmetatable(L, XDANE_LUA_RESOLVER);
	lua_pushcfunction(L, lr_close);
	lua_setfield(L, -2, "__gc");
	lua_pushcfunction(L, lr_close);
	lua_setfield(L, -2, "__close");
	lua_pushcfunction(L, lr_tostring);
	lua_setfield(L, -2, "__tostring");
	luaL_newlib(L, r_methods);
	lua_setfield(L, -2, "__index");
	lua_pop(L, 1);

	luaL_setfuncs(L, funcs, 0);
}
