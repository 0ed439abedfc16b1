/* SPDX-License-Identifier: MIT */
/*
 * lverify.c - Lua binding of TLSA records and the DANE verifier
 * (docs/lua-api.md, "Records and usages" and "Verification").
 *
 * Certificates: LuaSec certificate objects already hold a decoded X509, and
 * decoding one costs ~40 DANE-EE verifications, so we take the X509 through
 * LuaSec's exported C function lsec_checkx509() (LSEC_API in its x509.h),
 * found at run time with dlopen(RTLD_NOLOAD) on the ssl.so this process
 * already loaded, then dlsym. We never read LuaSec's private userdata layout,
 * and call the function only after checking the object's metatable is
 * LuaSec's "SSL:Certificate" (it would raise otherwise). If the symbol cannot
 * be found we fall back to cert:pem() and say so in info.cert_access.
 */
#define _GNU_SOURCE /* RTLD_NOLOAD, dl_iterate_phdr */
#include <dlfcn.h>
#include <link.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/x509.h>
#include "xdane.h"
#include "lxdane.h"

#define LSEC_CERT_MT "SSL:Certificate"
#define HOLDER_MT "xdane.certholder"
#define SMALL 16
/* Longest records, names or chain list taken: far above any real RRset or
 * chain, and small enough that n * element size cannot wrap (a table's #t
 * can be made to claim 2^62 entries). */
#define MAX_LIST (1 << 20)

typedef X509 *(*lsec_checkx509_fn)(lua_State *L, int idx);

typedef struct lrec {
	xdane_tlsa rec;
} lrec;

typedef struct lverifier {
	xdane_verifier *v;
	int lsec_state; /* 0 not looked up, 1 found, -1 not found */
	lsec_checkx509_fn lsec;
} lverifier;

typedef struct certholder { /* X509s we decoded ourselves; freed by __gc too */
	size_t n;
	X509 *x[1];
} certholder;

/* ---- records ---- */

/* new_rec - userdata first (zeroed, metatable set), then the C data. */
static lrec *new_rec(lua_State *L)
{
	lrec *r = lua_newuserdatauv(L, sizeof *r, 0);
	memset(r, 0, sizeof *r);
	luaL_setmetatable(L, XDANE_LUA_TLSA);
	return r;
}

/* xdane_lua_push_tlsa - push a record object copying rec (resolver answers). */
void xdane_lua_push_tlsa(lua_State *L, const struct xdane_tlsa *rec)
{
	lrec *r = new_rec(L);
	if (xdane_tlsa_copy(&r->rec, rec) < 0)
		luaL_error(L, "out of memory");
}

/* l_tlsa - xdane.tlsa(text) -> record | nil, message, "malformed" */
static int l_tlsa(lua_State *L)
{
	const char *text = luaL_checkstring(L, 1);
	char err[256];
	xdane_tlsa tmp;
	lrec *r = new_rec(L);
	int rc = xdane_tlsa_parse(text, &tmp, err, sizeof err);
	if (rc < 0)
		return luaL_error(L, "out of memory");
	if (rc == 0) {
		luaL_pushfail(L);
		lua_pushstring(L, err);
		lua_pushliteral(L, "malformed");
		return 3;
	}
	r->rec = tmp;
	return 1;
}

/* checkbyte - integer argument 0..255 or raise. */
static uint8_t checkbyte(lua_State *L, int i)
{
	lua_Integer n = luaL_checkinteger(L, i);
	luaL_argcheck(L, n >= 0 && n <= 255, i, "must be 0..255");
	return (uint8_t)n;
}

/* l_tlsa_rdata - xdane.tlsa_rdata(usage, selector, mtype, data) -> record */
static int l_tlsa_rdata(lua_State *L)
{
	uint8_t u = checkbyte(L, 1), s = checkbyte(L, 2), m = checkbyte(L, 3);
	size_t len;
	const char *data = luaL_checklstring(L, 4, &len);
	lrec *r = new_rec(L);
	xdane_tlsa src;
	src.usage = u;
	src.selector = s;
	src.mtype = m;
	src.len = len;
	src.data = (unsigned char *)data;
	if (xdane_tlsa_copy(&r->rec, &src) < 0)
		return luaL_error(L, "out of memory");
	return 1;
}

/* check_uses - nil (default), bit set integer, comma string or list table. */
static unsigned check_uses(lua_State *L, int i)
{
	unsigned uses = 0;
	char err[160];
	int t = lua_type(L, i);
	if (t == LUA_TNONE || t == LUA_TNIL)
		return XDANE_USES_DEFAULT;
	if (t == LUA_TNUMBER) {
		lua_Integer n = lua_tointeger(L, i);
		luaL_argcheck(L, n > 0 && n <= (lua_Integer)XDANE_USES_ALL, i, "uses bit set out of range");
		return (unsigned)n;
	}
	if (t == LUA_TSTRING) {
		if (xdane_uses_parse(lua_tostring(L, i), &uses, err, sizeof err) <= 0)
			luaL_argerror(L, i, err);
		return uses;
	}
	if (t == LUA_TTABLE) {
		size_t k, n = lua_rawlen(L, i);
		for (k = 1; k <= n; k++) {
			int u;
			lua_rawgeti(L, i, (int)k);
			u = lua_type(L, -1) == LUA_TSTRING ? xdane_usage_from_name(lua_tostring(L, -1)) : -1;
			if (u < 0)
				return (unsigned)luaL_error(L, "unknown DANE usage '%s' (want DANE-EE, DANE-TA, PKIX-EE, PKIX-TA)",
				                            lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1)
				                                                           : luaL_typename(L, -1));
			lua_pop(L, 1);
			uses |= 1u << u;
		}
		if (uses == 0)
			luaL_argerror(L, i, "empty DANE usage list");
		return uses;
	}
	luaL_argerror(L, i, "uses: want a list of usage names, a string or a bit set");
	return 0;
}

/* l_uses - xdane.uses(list) -> bit set */
static int l_uses(lua_State *L)
{
	luaL_checkany(L, 1);
	lua_pushinteger(L, (lua_Integer)check_uses(L, 1));
	return 1;
}

/* l_usage_name - xdane.usage_name(n) */
static int l_usage_name(lua_State *L)
{
	lua_pushstring(L, xdane_usage_name((int)luaL_checkinteger(L, 1)));
	return 1;
}

/* rec_gc - free the association data; never raises. The type is checked:
 * getmetatable(rec).__gc can be called by hand on any value. */
static int rec_gc(lua_State *L)
{
	lrec *r = luaL_testudata(L, 1, XDANE_LUA_TLSA);
	if (r != NULL)
		xdane_tlsa_clear(&r->rec);
	return 0;
}

/* rec_tostring - "3 1 1 abcd..." */
static int rec_tostring(lua_State *L)
{
	lrec *r = luaL_checkudata(L, 1, XDANE_LUA_TLSA);
	char *s = xdane_tlsa_format(&r->rec);
	if (s == NULL)
		return luaL_error(L, "out of memory");
	lua_pushstring(L, s);
	free(s);
	return 1;
}

/* rec_usable - rec:usable(uses) -> true | false, why */
static int rec_usable(lua_State *L)
{
	lrec *r = luaL_checkudata(L, 1, XDANE_LUA_TLSA);
	const char *why = NULL;
	if (xdane_tlsa_usable(&r->rec, check_uses(L, 2), &why)) {
		lua_pushboolean(L, 1);
		return 1;
	}
	lua_pushboolean(L, 0);
	lua_pushstring(L, why);
	return 2;
}

/* rec_eq - records are equal when all fields and data are. */
static int rec_eq(lua_State *L)
{
	lrec *a = luaL_checkudata(L, 1, XDANE_LUA_TLSA), *b = luaL_checkudata(L, 2, XDANE_LUA_TLSA);
	lua_pushboolean(L, a->rec.usage == b->rec.usage && a->rec.selector == b->rec.selector &&
	                       a->rec.mtype == b->rec.mtype && a->rec.len == b->rec.len &&
	                       (a->rec.len == 0 || !memcmp(a->rec.data, b->rec.data, a->rec.len)));
	return 1;
}

/* rec_index - fields usage, selector, mtype, data; method usable. */
static int rec_index(lua_State *L)
{
	lrec *r = luaL_checkudata(L, 1, XDANE_LUA_TLSA);
	const char *k = luaL_checkstring(L, 2);
	if (!strcmp(k, "usage"))
		lua_pushinteger(L, r->rec.usage);
	else if (!strcmp(k, "selector"))
		lua_pushinteger(L, r->rec.selector);
	else if (!strcmp(k, "mtype"))
		lua_pushinteger(L, r->rec.mtype);
	else if (!strcmp(k, "data"))
		lua_pushlstring(L, (const char *)r->rec.data, r->rec.len);
	else if (!strcmp(k, "usable"))
		lua_pushcfunction(L, rec_usable);
	else
		lua_pushnil(L);
	return 1;
}

/* ---- verifier ---- */

/* l_verifier - xdane.verifier([cafile]) */
static int l_verifier(lua_State *L)
{
	const char *ca = luaL_optstring(L, 1, NULL);
	char err[256];
	lverifier *lv = lua_newuserdatauv(L, sizeof *lv, 0);
	memset(lv, 0, sizeof *lv);
	luaL_setmetatable(L, XDANE_LUA_VERIFIER);
	lv->v = xdane_verifier_new(ca, err, sizeof err);
	if (lv->v == NULL)
		return luaL_error(L, "xdane.verifier: %s", err);
	return 1;
}

/* verifier_close - __gc, __close and close: idempotent, never raises; any
 * other value (a record, io.stdout: v.close(x), mt.__gc(x)) is ignored. */
static int verifier_close(lua_State *L)
{
	lverifier *lv = luaL_testudata(L, 1, XDANE_LUA_VERIFIER);
	if (lv != NULL && lv->v != NULL) {
		xdane_verifier_free(lv->v);
		lv->v = NULL;
	}
	return 0;
}

/* verifier_tostring - "xdane.verifier: 0x..." */
static int verifier_tostring(lua_State *L)
{
	lverifier *lv = luaL_checkudata(L, 1, XDANE_LUA_VERIFIER);
	lua_pushfstring(L, "%s: %p%s", XDANE_LUA_VERIFIER, (void *)lv, lv->v ? "" : " (closed)");
	return 1;
}

struct phdr_search {
	lsec_checkx509_fn fn;
};

/* sym_in - dlsym of lsec_checkx509 in an already-loaded object (NOLOAD). */
static lsec_checkx509_fn sym_in(const char *path)
{
	lsec_checkx509_fn fn = NULL;
	void *h, *p;
	if (path == NULL || *path == '\0')
		return NULL;
	h = dlopen(path, RTLD_NOLOAD | RTLD_NOW);
	if (h == NULL)
		return NULL;
	p = dlsym(h, "lsec_checkx509");
	memcpy(&fn, &p, sizeof fn < sizeof p ? sizeof fn : sizeof p); /* POSIX object-to-function pointer */
	dlclose(h); /* Lua keeps its own reference: the object stays loaded */
	return p ? fn : NULL;
}

/* phdr_cb - try every loaded object until one exports lsec_checkx509
 * (the object's name is the path Lua loaded: ".../lua/5.1/ssl.so" or any). */
static int phdr_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct phdr_search *s = arg;
	(void)size;
	if (info->dlpi_name != NULL)
		s->fn = sym_in(info->dlpi_name);
	return s->fn != NULL;
}

/* find_lsec - lsec_checkx509 from the ssl.so loaded in this process. */
static lsec_checkx509_fn find_lsec(lua_State *L)
{
	struct phdr_search s = { NULL };
	/* 1: package.searchpath("ssl", package.cpath) (Lua 5.2+), protected. */
	lua_getglobal(L, "package");
	if (lua_istable(L, -1)) {
		lua_getfield(L, -1, "searchpath");
		if (lua_isfunction(L, -1)) {
			lua_pushliteral(L, "ssl");
			lua_getfield(L, -3, "cpath");
			if (lua_pcall(L, 2, 1, 0) == LUA_OK && lua_isstring(L, -1))
				s.fn = sym_in(lua_tostring(L, -1));
		}
		lua_pop(L, 1);
	}
	lua_pop(L, 1);
	/* 2: every loaded object (Lua 5.1 has no package.searchpath). */
	if (s.fn == NULL)
		dl_iterate_phdr(phdr_cb, &s);
	return s.fn;
}

/* holder_free - free the X509s we decoded; idempotent. */
static void holder_free(certholder *h)
{
	size_t i;
	if (h == NULL)
		return;
	for (i = 0; i < h->n; i++) {
		X509_free(h->x[i]);
		h->x[i] = NULL;
	}
	h->n = 0;
}

/* holder_gc - the same when a raise skipped the normal cleanup; never raises. */
static int holder_gc(lua_State *L)
{
	holder_free(luaL_testudata(L, 1, HOLDER_MT));
	return 0;
}

/* holder_get - the call's holder in stack slot 7, created on first use. */
static certholder *holder_get(lua_State *L, certholder *h, size_t n)
{
	if (h != NULL)
		return h;
	h = lua_newuserdatauv(L, sizeof *h + n * sizeof(X509 *), 0);
	h->n = 0;
	luaL_setmetatable(L, HOLDER_MT);
	lua_replace(L, 7);
	return h;
}

/* holder_add - keep a decoded X509 for later freeing. */
static void holder_add(certholder *h, X509 *x)
{
	h->x[h->n++] = x;
}

/* pem_cert - decode the first certificate of a PEM string; NULL if none. */
static X509 *pem_cert(const char *pem, size_t len)
{
	X509 **list = NULL, *x = NULL;
	int n = xdane_chain_from_pem(pem, len, &list), i;
	if (n > 0) {
		x = list[0];
		for (i = 1; i < n; i++)
			X509_free(list[i]);
		free(list);
	}
	return x;
}

/* scratch - a GC-managed buffer (stack-allocated callers use it for large inputs). */
static void *scratch(lua_State *L, size_t n)
{
	return lua_newuserdatauv(L, n ? n : 1, 0);
}

/* push_info_common - fields every info table carries. */
static void push_info_common(lua_State *L, const xdane_result *res, const char *access)
{
	lua_pushinteger(L, res->usable);
	lua_setfield(L, -2, "usable");
	lua_pushstring(L, res->detail);
	lua_setfield(L, -2, "text");
	lua_pushstring(L, access);
	lua_setfield(L, -2, "cert_access");
	if (res->x509_error) {
		lua_pushinteger(L, res->x509_error);
		lua_setfield(L, -2, "x509_error");
	}
	if (res->usage >= 0) {
		lua_pushinteger(L, res->usage);
		lua_setfield(L, -2, "usage");
		lua_pushstring(L, xdane_usage_name(res->usage));
		lua_setfield(L, -2, "usage_name");
		lua_pushinteger(L, res->depth);
		lua_setfield(L, -2, "depth");
	}
}

/* list_len - raw length of the list at idx, raising above MAX_LIST. */
static size_t list_len(lua_State *L, int idx, const char *what)
{
	size_t n = (size_t)lua_rawlen(L, idx);
	if (n > MAX_LIST)
		luaL_error(L, "%s: too many entries (at most %d)", what, MAX_LIST);
	return n;
}

/* c_name - a reference name as a C string; NULL (matches nothing) when it
 * holds a NUL byte, which C would cut: "example.net\0.evil" must not be
 * checked as "example.net" (Prosody's nameprep lets a NUL through). */
static const char *c_name(lua_State *L, int idx)
{
	size_t len;
	const char *s = lua_tolstring(L, idx, &len);
	return strlen(s) == len ? s : NULL;
}

/* push_record - the record object at index i (parsed copy for strings). */
static void push_record(lua_State *L, int i)
{
	if (lua_istable(L, 6)) {
		lua_rawgeti(L, 6, i + 1);
		if (!lua_isnil(L, -1))
			return;
		lua_pop(L, 1);
	}
	lua_rawgeti(L, 3, i + 1);
}

/*
 * verifier_verify - v:verify{records=, chain=, names=, uses=, role=}
 * -> true, info | false, reason, info | nil, message, "internal"
 */
static int verifier_verify(lua_State *L)
{
	lverifier *lv = luaL_checkudata(L, 1, XDANE_LUA_VERIFIER);
	xdane_tlsa small_recs[SMALL], *recs = small_recs;
	X509 *small_chain[SMALL], **chain = small_chain;
	const char *small_names[SMALL], **names = small_names;
	size_t nrec, nchain, nnames = 0, i;
	const char *access = "x509";
	certholder *holder = NULL;
	xdane_verify_request req;
	xdane_result res;
	int rc, T = 2, RT, CT, NT, role = XDANE_ROLE_SERVER, malformed = 0;
	unsigned uses;

	if (lv->v == NULL)
		return luaL_error(L, "xdane.verifier: used after close");
	luaL_checktype(L, 2, LUA_TTABLE);
	lua_settop(L, 2);
	lua_getfield(L, T, "records"); /* 3 */
	lua_getfield(L, T, "chain");   /* 4 */
	lua_getfield(L, T, "names");   /* 5 */
	lua_getfield(L, T, "uses");    /* 6 */
	lua_getfield(L, T, "role");    /* 7 */
	RT = 3, CT = 4, NT = 5;
	if (!lua_istable(L, RT))
		return luaL_argerror(L, 2, "records: want a list of TLSA records");
	if (!lua_istable(L, CT))
		return luaL_argerror(L, 2, "chain: want a list of certificates (LuaSec objects or PEM strings)");
	uses = check_uses(L, 6);
	if (!lua_isnil(L, 7)) {
		const char *r = luaL_checkstring(L, 7);
		if (!strcmp(r, "client"))
			role = XDANE_ROLE_CLIENT;
		else if (strcmp(r, "server"))
			return luaL_argerror(L, 2, "role: want \"server\" or \"client\"");
	}
	lua_settop(L, 5);
	nrec = list_len(L, RT, "records");
	nchain = list_len(L, CT, "chain");
	nnames = lua_istable(L, NT) ? list_len(L, NT, "names") : 0;
	/* 6: anchor of every record object, name string and certificate whose
	 * C data we borrow: cert:pem() (fallback) and finalizers run Lua code
	 * during this call, which may empty the caller's tables and collect
	 * them. Records at [1, nrec], names after them, then the chain. */
	lua_createtable(L, (int)(nrec + nnames + nchain), 0);
	lua_pushnil(L); /* 7: holder of decoded certificates */

	/* Records: objects, or presentation strings (malformed ones raise). */
	if (nrec > SMALL)
		recs = scratch(L, nrec * sizeof *recs);
	for (i = 0; i < nrec; i++) {
		lrec *r;
		lua_rawgeti(L, RT, (int)i + 1);
		r = luaL_testudata(L, -1, XDANE_LUA_TLSA);
		if (r == NULL && lua_type(L, -1) == LUA_TSTRING) {
			lua_pushcfunction(L, l_tlsa);
			lua_pushvalue(L, -2);
			lua_call(L, 1, 1);
			r = luaL_testudata(L, -1, XDANE_LUA_TLSA);
			if (r == NULL)
				return luaL_error(L, "records[%d]: malformed TLSA record '%s'", (int)i + 1,
				                  lua_tostring(L, -2));
			lua_remove(L, -2);
		}
		if (r == NULL)
			return luaL_error(L, "records[%d]: want a TLSA record, got %s", (int)i + 1,
			                  luaL_typename(L, -1));
		recs[i] = r->rec; /* shallow: the object (anchored in 6) owns the data */
		lua_rawseti(L, 6, (int)i + 1);
	}

	/* Names: a list of strings or one string. */
	if (lua_type(L, NT) == LUA_TSTRING) {
		small_names[0] = c_name(L, NT);
		nnames = 1;
	} else if (lua_istable(L, NT)) {
		if (nnames > SMALL)
			names = scratch(L, nnames * sizeof *names);
		for (i = 0; i < nnames; i++) {
			lua_rawgeti(L, NT, (int)i + 1);
			if (lua_type(L, -1) != LUA_TSTRING)
				return luaL_error(L, "names[%d]: want a string", (int)i + 1);
			names[i] = c_name(L, -1);
			lua_rawseti(L, 6, (int)(nrec + i) + 1); /* anchored */
		}
	} else if (!lua_isnil(L, NT)) {
		return luaL_argerror(L, 2, "names: want a list of strings");
	}

	/* Chain: LuaSec objects used as they are, PEM strings decoded. Every
	 * raise happens before an X509 is decoded, or with it in the holder. */
	if (nchain > SMALL)
		chain = scratch(L, nchain * sizeof *chain);
	for (i = 0; i < nchain; i++) {
		X509 *x = NULL;
		lua_rawgeti(L, CT, (int)i + 1);
		if (lua_type(L, -1) == LUA_TSTRING) {
			size_t len;
			const char *pem = lua_tolstring(L, -1, &len);
			holder = holder_get(L, holder, nchain);
			x = pem_cert(pem, len);
			if (x != NULL)
				holder_add(holder, x);
			else
				malformed = 1;
			if (strcmp(access, "pem-fallback") != 0)
				access = "pem";
		} else if (luaL_testudata(L, -1, LSEC_CERT_MT) != NULL) {
			if (lv->lsec_state == 0) {
				lv->lsec = find_lsec(L);
				lv->lsec_state = lv->lsec ? 1 : -1;
			}
			if (lv->lsec_state > 0) {
				x = lv->lsec(L, lua_gettop(L)); /* metatable checked: cannot raise */
			} else {
				/* Fallback: re-decode through cert:pem() (costly, reported). */
				size_t len;
				const char *pem;
				holder = holder_get(L, holder, nchain);
				lua_getfield(L, -1, "pem");
				lua_pushvalue(L, -2);
				if (lua_pcall(L, 1, 1, 0) != LUA_OK || (pem = lua_tolstring(L, -1, &len)) == NULL) {
					holder_free(holder);
					lua_pushnil(L);
					lua_pushliteral(L, "cannot get PEM from a LuaSec certificate");
					lua_pushliteral(L, "internal");
					return 3;
				}
				x = pem_cert(pem, len);
				lua_pop(L, 1);
				if (x != NULL)
					holder_add(holder, x);
				else
					malformed = 1;
				access = "pem-fallback";
			}
		} else {
			return luaL_error(L, "chain[%d]: want a LuaSec certificate or a PEM string, got %s",
			                  (int)i + 1, luaL_typename(L, -1));
		}
		chain[i] = x;
		lua_rawseti(L, 6, (int)(nrec + nnames + i) + 1); /* a LuaSec object owns x */
	}

	memset(&req, 0, sizeof req);
	req.records = recs;
	req.nrecords = nrec;
	req.uses = uses;
	req.chain = chain;
	req.chain_len = nchain;
	req.names = names;
	req.nnames = nnames;
	req.role = role;
	if (malformed) {
		memset(&res, 0, sizeof res);
		res.reason = XDANE_REASON_MALFORMED_CHAIN;
		res.record = res.usage = res.depth = -1;
		strcpy(res.detail, "malformed chain: a certificate does not decode");
		rc = 0;
	} else {
		rc = xdane_verify(lv->v, &req, &res);
	}
	holder_free(holder);
	if (rc < 0) {
		lua_pushnil(L);
		lua_pushstring(L, res.detail);
		lua_pushliteral(L, "internal");
		return 3;
	}
	if (rc > 0) {
		lua_pushboolean(L, 1);
		lua_createtable(L, 0, 8);
		push_info_common(L, &res, access);
		push_record(L, res.record);
		lua_setfield(L, -2, "record");
		return 2;
	}
	lua_pushboolean(L, 0);
	lua_pushstring(L, xdane_reason_text(res.reason));
	lua_createtable(L, 0, 8);
	push_info_common(L, &res, access);
	if (res.record >= 0) {
		push_record(L, res.record);
		lua_setfield(L, -2, "record");
	}
	return 3;
}

/* xdane_lua_open_verify - metatables and functions into the module table. */
void xdane_lua_open_verify(lua_State *L)
{
	static const luaL_Reg rec_meta[] = {
		{ "__gc", rec_gc },
		{ "__tostring", rec_tostring },
		{ "__index", rec_index },
		{ "__eq", rec_eq },
		{ NULL, NULL },
	};
	static const luaL_Reg verifier_methods[] = {
		{ "verify", verifier_verify },
		{ "close", verifier_close },
		{ NULL, NULL },
	};
	static const luaL_Reg verifier_meta[] = {
		{ "__gc", verifier_close },
		{ "__tostring", verifier_tostring },
#if LUA_VERSION_NUM >= 504
		{ "__close", verifier_close },
#endif
		{ NULL, NULL },
	};
	static const luaL_Reg funcs[] = {
		{ "tlsa", l_tlsa },
		{ "tlsa_rdata", l_tlsa_rdata },
		{ "uses", l_uses },
		{ "usage_name", l_usage_name },
		{ "verifier", l_verifier },
		{ NULL, NULL },
	};

	luaL_newmetatable(L, XDANE_LUA_TLSA);
	luaL_setfuncs(L, rec_meta, 0);
	lua_pushliteral(L, XDANE_LUA_TLSA);
	lua_setfield(L, -2, "__name");
	lua_pop(L, 1);

	luaL_newmetatable(L, XDANE_LUA_VERIFIER);
	luaL_setfuncs(L, verifier_meta, 0);
	lua_newtable(L);
	luaL_setfuncs(L, verifier_methods, 0);
	lua_setfield(L, -2, "__index");
	lua_pop(L, 1);

	luaL_newmetatable(L, HOLDER_MT);
	lua_pushcfunction(L, holder_gc);
	lua_setfield(L, -2, "__gc");
	lua_pop(L, 1);

	luaL_setfuncs(L, funcs, 0);
}
