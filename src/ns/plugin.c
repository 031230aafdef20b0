/* SPDX-License-Identifier: MIT */
/*
 * plugin.c — modules from outside the library: an ltl_module_v1 (from a
 * shared object loaded with dlopen, or registered by the program) wrapped
 * as a namespace module. The module sees only bytes in and bytes (or
 * entries) out, through an ltl_ns_sink whose functions the library
 * supplies, so a plugin needs no libltl symbols at all.
 */
#include "ns/ns.h"

#include <dlfcn.h>
#include <stdio.h>

struct ns_plugin {
    struct ns_module module; /* first: the frames point at it */
    const ltl_module_v1 *def;
    void *dl;
    char *name;
    struct ns_plugin *next;
};

/* ---- the sink ---------------------------------------------------------------------------- */

struct sink_impl {
    const ltl_module_v1 *def;
    ltl__buf data;
    int kind;
    bool failed_with_message;
    ns_emit_fn emit; /* map */
    void *emit_ctx;
    int emit_rc;
};

static int sink_write(ltl_ns_sink *sink, const void *data, size_t len)
{
    struct sink_impl *s = sink->impl;
    if (!data && len)
        return LTL_EINVAL;
    return ltl__buf_append(&s->data, data, len) ? LTL_ENOMEM : LTL_OK;
}

static int sink_entry(ltl_ns_sink *sink, const char *name, int kind)
{
    struct sink_impl *s = sink->impl;
    if (!s->emit || !name || (kind != LTL_NS_FILE && kind != LTL_NS_DIR))
        return LTL_EINVAL;
    if (s->emit_rc)
        return s->emit_rc;
    int rc = s->emit(s->emit_ctx, name, strlen(name), kind);
    if (rc)
        s->emit_rc = rc;
    return rc;
}

static int sink_set_kind(ltl_ns_sink *sink, int kind)
{
    struct sink_impl *s = sink->impl;
    if (kind != LTL_NS_FILE && kind != LTL_NS_DIR)
        return LTL_EINVAL;
    s->kind = kind;
    return LTL_OK;
}

static int sink_error(ltl_ns_sink *sink, int rc, const char *message)
{
    struct sink_impl *s = sink->impl;
    s->failed_with_message = true;
    return ltl__errf(rc < 0 ? rc : LTL_EINVAL, "module %s: %s", s->def->name,
                     message ? message : ltl_strerror(rc));
}

static void sink_init(ltl_ns_sink *sink, struct sink_impl *s, const ltl_module_v1 *def)
{
    memset(s, 0, sizeof(*s));
    s->def = def;
    s->kind = LTL_NS_FILE;
    sink->write = sink_write;
    sink->entry = sink_entry;
    sink->set_kind = sink_set_kind;
    sink->error = sink_error;
    sink->impl = s;
}

/* A module's failure as ours: its message if it gave one. */
static int module_failed(const ltl_module_v1 *def, struct sink_impl *s, int rc, const char *what)
{
    if (rc > 0)
        rc = LTL_EINVAL;
    if (!s->failed_with_message)
        rc = ltl__errf(rc, "module %s: %s failed: %s", def->name, what, ltl_strerror(rc));
    return rc;
}

static void spec_from_sink(struct ns_spec *out, struct sink_impl *s, const struct ns_module *m,
                           const struct ns_frame *src)
{
    out->kind = s->kind;
    out->policy = NS_FIXED;
    out->module = m;
    out->len = s->data.len;
    out->has_data = true;
    out->owned = s->data.data;
    if (!out->owned)
        out->owned = ltl__strdup("");
    s->data.data = NULL;
    out->seq = src->seq;
    out->mtime = src->mtime;
}

/* ---- the module functions ------------------------------------------------------------------ */

static const struct ns_plugin *plugin_of(const struct ns_module *m)
{
    return (const struct ns_plugin *)(const void *)m;
}

static int plugin_transform(struct ns_walk *w, const struct ns_module *self, struct ns_frame *src,
                            struct ns_spec *out)
{
    LTL__UNUSED(w);
    const ltl_module_v1 *def = plugin_of(self)->def;
    if (src->flags & NSF_SEALED)
        return ns_sealed_error(src);
    const struct ns_cell *c = atomic_load(&src->cell);
    if (!c || !c->has_data)
        return ltl__errf(LTL_EINVAL, "'.%s' applies to data: '%s' is a directory", def->name,
                         src->name);
    if (src->policy != NS_FIXED)
        return ltl__errf(LTL_EINVAL,
                         "'.%s' applies to what never changes, and '%s' follows the store",
                         def->name, src->name);
    ltl_ns_sink sink;
    struct sink_impl s;
    sink_init(&sink, &s, def);
    int rc = def->transform(def->ctx, &sink, c->data ? c->data : "", c->len);
    if (rc) {
        ltl__buf_free(&s.data);
        return module_failed(def, &s, rc, "transform");
    }
    spec_from_sink(out, &s, self, src);
    if (!out->owned)
        return ltl__errf(LTL_ENOMEM, "out of memory");
    return LTL_OK;
}

static int plugin_find(struct ns_walk *w, struct ns_frame *dir, const struct ns_cell *cell,
                       const char *name, size_t len, struct ns_spec *out)
{
    LTL__UNUSED(w);
    const ltl_module_v1 *def = plugin_of(dir->module)->def;
    out->neg_policy = NS_FIXED;
    if (!def->find || !cell || !cell->has_data)
        return LTL_ENOTFOUND;
    char *z = ltl__strndup(name, len);
    if (!z)
        return ltl__errf(LTL_ENOMEM, "out of memory");
    ltl_ns_sink sink;
    struct sink_impl s;
    sink_init(&sink, &s, def);
    int rc = def->find(def->ctx, &sink, cell->data ? cell->data : "", cell->len, z);
    ltl__free(z);
    if (rc == LTL_ENOTFOUND && !s.failed_with_message) {
        ltl__buf_free(&s.data);
        return LTL_ENOTFOUND;
    }
    if (rc) {
        ltl__buf_free(&s.data);
        return module_failed(def, &s, rc, "find");
    }
    spec_from_sink(out, &s, dir->module, dir);
    if (!out->owned)
        return ltl__errf(LTL_ENOMEM, "out of memory");
    return LTL_OK;
}

static int plugin_map(struct ns_walk *w, struct ns_frame *dir, const struct ns_cell *cell,
                      ns_emit_fn emit, void *ctx)
{
    LTL__UNUSED(w);
    const ltl_module_v1 *def = plugin_of(dir->module)->def;
    if (!def->map || !cell || !cell->has_data)
        return LTL_OK;
    ltl_ns_sink sink;
    struct sink_impl s;
    sink_init(&sink, &s, def);
    s.emit = emit;
    s.emit_ctx = ctx;
    int rc = def->map(def->ctx, &sink, cell->data ? cell->data : "", cell->len);
    ltl__buf_free(&s.data);
    if (s.emit_rc)
        return s.emit_rc; /* the listing's caller stopped it (or failed) */
    if (rc)
        return module_failed(def, &s, rc, "map");
    return LTL_OK;
}

/* ---- wrappers and loading ------------------------------------------------------------------ */

static bool name_ok(const char *name)
{
    size_t n = name ? strlen(name) : 0;
    if (n == 0 || n > NS_MODNAME_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
            return false;
    }
    return true;
}

int ns_plugin_module(struct ns_module **out, const ltl_module_v1 *m)
{
    if (m->version != LTL_MODULE_VERSION)
        return ltl__errf(LTL_EINVAL, "module version %u (this library knows %d)", m->version,
                         LTL_MODULE_VERSION);
    if (!name_ok(m->name))
        return ltl__errf(LTL_EINVAL,
                         "module name '%s': 1 to %d characters of a-z, 0-9 and '_' expected",
                         m->name ? m->name : "(null)", NS_MODNAME_MAX);
    if (!m->transform)
        return ltl__errf(LTL_EINVAL, "module %s has no transform function", m->name);
    struct ns_plugin *p = ltl__calloc(1, sizeof(*p));
    if (!p || !(p->name = ltl__strdup(m->name))) {
        ltl__free(p);
        return ltl__errf(LTL_ENOMEM, "out of memory");
    }
    p->def = m;
    p->module = (struct ns_module){
        p->name, NSM_TRANSFORM, plugin_transform, plugin_find, plugin_map, NULL, m};
    *out = &p->module;
    return LTL_OK;
}

int ns_plugin_adopt(ltl_ns *ns, struct ns_module *m, void *dl)
{
    struct ns_plugin *p = (struct ns_plugin *)(void *)m;
    p->dl = dl;
    p->next = ns->plugins;
    ns->plugins = p;
    return LTL_OK;
}

void ns_plugins_free(ltl_ns *ns)
{
    for (struct ns_plugin *p = ns->plugins, *next; p; p = next) {
        next = p->next;
        if (p->def->unload)
            p->def->unload(p->def->ctx);
        if (p->dl)
            dlclose(p->dl);
        ltl__free(p->name);
        ltl__free(p);
    }
    ns->plugins = NULL;
}

int ns_plugin_load(ltl_ns *ns, const char *path, const char *file)
{
    void *dl = dlopen(file, RTLD_NOW | RTLD_LOCAL);
    if (!dl) {
        const char *why = dlerror();
        return ltl__errf(LTL_ECONFIG, "cannot load module %s: %s", file, why ? why : "dlopen");
    }
    const ltl_module_v1 *def = dlsym(dl, LTL_MODULE_SYMBOL);
    if (!def) {
        dlclose(dl);
        return ltl__errf(LTL_ECONFIG, "%s exports no '%s' (an ltl_module_v1)", file,
                         LTL_MODULE_SYMBOL);
    }
    struct ns_module *m;
    int rc = ns_plugin_module(&m, def);
    if (rc) {
        dlclose(dl);
        ltl__err_prefix("%s", file);
        return rc == LTL_EINVAL ? LTL_ECONFIG : rc;
    }
    if ((rc = ns_plugin_adopt(ns, m, dl)))
        return rc;
    return ns_register(ns, path, m);
}

/* "file[@path],file[@path]" (a comma inside a name is written "\,"). */
int ns_load_modules(ltl_ns *ns, const char *spec)
{
    ltl__buf item = {0};
    int rc = LTL_OK;
    for (const char *p = spec;; p++) {
        if (*p == '\\' && p[1] == ',') {
            p++;
            if (ltl__buf_append(&item, p, 1))
                rc = ltl__errf(LTL_ENOMEM, "out of memory");
        } else if (*p && *p != ',') {
            if (ltl__buf_append(&item, p, 1))
                rc = ltl__errf(LTL_ENOMEM, "out of memory");
        } else {
            if (rc == LTL_OK && item.len) {
                if (ltl__buf_append(&item, "", 1)) {
                    rc = ltl__errf(LTL_ENOMEM, "out of memory");
                } else {
                    char *at = strrchr(item.data, '@');
                    const char *where = "/";
                    if (at && at[1] == '/') {
                        *at = '\0';
                        where = at + 1;
                    }
                    rc = ns_plugin_load(ns, where, item.data);
                    if (rc)
                        ltl__err_prefix("ns.modules");
                }
            }
            item.len = 0;
            if (!*p || rc)
                break;
        }
        if (rc)
            break;
    }
    ltl__buf_free(&item);
    return rc;
}
