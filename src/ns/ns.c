/* SPDX-License-Identifier: MIT */
/*
 * ns.c — the namespace's API: open and close, the walk that resolves a
 * path (first without a lock through the cache; where a frame is missing
 * or no longer current, again under ns->mu, producing what is missing),
 * nodes, listings, bind (ordered unions), registration of modules (the
 * cascade), appends through the union's create member, counters.
 */
#include "ns/ns.h"

#include "core/config.h"
#include "store/store.h"

#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>

#define NS_SLOW 100 /* walk_fast: the lock-free walk cannot finish */

struct ltl_ns_node {
    ltl_ns *ns;
    struct ns_frame *frame; /* a reference */
    struct ns_cell *cell;   /* a reference unless embedded in the frame */
};

int ns_from_db(ltl_db *db, int rc)
{
    (void)db; /* the store's calls are internal ones: their message is still pending */
    if (!ltl__err_current()[0])
        return ltl__errf(rc, "%s", ltl_strerror(rc));
    return rc;
}

/* ---- name sets ----------------------------------------------------------------------- */

int ns_strset_add(struct ns_strset *s, const char *name, size_t len, bool *added)
{
    if ((s->used + 1) * 2 > (s->mask ? s->mask + 1 : 0)) {
        size_t cap = s->mask ? (s->mask + 1) * 2 : 64;
        uint64_t *h = ltl__calloc(cap, sizeof(*h));
        char **n = ltl__calloc(cap, sizeof(*n));
        if (!h || !n) {
            ltl__free(h);
            ltl__free(n);
            return ltl__errf(LTL_ENOMEM, "out of memory");
        }
        for (size_t i = 0; s->mask && i <= s->mask; i++) {
            if (!s->names[i])
                continue;
            size_t j = (size_t)s->hashes[i] & (cap - 1);
            while (n[j])
                j = (j + 1) & (cap - 1);
            h[j] = s->hashes[i];
            n[j] = s->names[i];
        }
        ltl__free(s->hashes);
        ltl__free(s->names);
        s->hashes = h;
        s->names = n;
        s->mask = cap - 1;
    }
    uint64_t hash = ns_hash(NULL, name, len);
    size_t j = (size_t)hash & s->mask;
    while (s->names[j]) {
        if (s->hashes[j] == hash && strlen(s->names[j]) == len &&
            memcmp(s->names[j], name, len) == 0) {
            *added = false;
            return LTL_OK;
        }
        j = (j + 1) & s->mask;
    }
    if (!(s->names[j] = ltl__strndup(name, len)))
        return ltl__errf(LTL_ENOMEM, "out of memory");
    s->hashes[j] = hash;
    s->used++;
    *added = true;
    return LTL_OK;
}

void ns_strset_free(struct ns_strset *s)
{
    for (size_t i = 0; s->names && i <= s->mask; i++)
        ltl__free(s->names[i]);
    ltl__free(s->names);
    ltl__free(s->hashes);
    memset(s, 0, sizeof(*s));
}

/* ---- stamps ---------------------------------------------------------------------------- */

void ns_walk_init(struct ns_walk *w, ltl_ns *ns)
{
    w->ns = ns;
    memset(w->memo_valid, 0, sizeof(w->memo_valid));
    w->shard = ns_my_shard();
    w->depth = 0;
}

int ns_stamp(struct ns_walk *w, struct ns_tree *tree, int policy, uint64_t *out)
{
    if (policy == NS_FIXED) {
        *out = 0;
        return LTL_OK;
    }
    unsigned t = tree->index;
    if (w->memo_valid[t] & (1u << policy)) {
        *out = w->memo[t][policy];
        return LTL_OK;
    }
    uint64_t v = 0;
    int rc = LTL_OK;
    switch (policy) {
    case NS_LOG:
        if ((rc = ltl__log_end(tree->db, &v)) == LTL_OK)
            atomic_store(&tree->seen_end, v);
        break;
    case NS_CHECKPOINTS: {
        char *path = ltl__path_join(tree->db->path, "checkpoints");
        if (!path)
            return ltl__errf(LTL_ENOMEM, "out of memory");
        struct stat st;
        if (stat(path, &st) == 0)
            v = (uint64_t)st.st_size + 1; /* 0 is "no file" */
        else if (errno != ENOENT)
            rc = ltl__err_sys(errno, "stat %s", path);
        ltl__free(path);
        break;
    }
    case NS_INDEX: {
        ltl_info info;
        if ((rc = ltl__stat(&info, tree->db)) != LTL_OK)
            return ns_from_db(tree->db, rc);
        v = info.index_enabled ? info.index_records + 1 : 0;
        break;
    }
    default:
        return ltl__errf(LTL_EINVAL, "no stamp for policy %d", policy);
    }
    if (rc)
        return rc;
    w->memo[t][policy] = v;
    w->memo_valid[t] |= 1u << policy;
    *out = v;
    return LTL_OK;
}

int ns_frame_stamp(struct ns_walk *w, const struct ns_frame *f, uint64_t *out)
{
    if (f->policy != NS_MIXED)
        return ns_stamp(w, f->tree, f->policy, out);
    /* an alias answered by a later member: valid while the members before it
     * (the trees in the mask) have not grown */
    uint64_t sum = 0;
    for (unsigned t = 0; t < NS_MAX_TREES; t++) {
        if (!(f->seq & (1ULL << t)))
            continue;
        uint64_t v;
        int rc = ns_stamp(w, w->ns->trees[t], NS_LOG, &v);
        if (rc)
            return rc;
        sum += v;
    }
    *out = sum;
    return LTL_OK;
}

/* ---- cells of changing frames ------------------------------------------------------------ */

/* The frame's current content; under ns->mu (no reference taken: nothing is
 * freed while the lock is held). */
static int cell_locked(struct ns_walk *w, struct ns_frame *f, struct ns_cell **out)
{
    struct ns_cell *c = atomic_load(&f->cell);
    *out = c;
    if (!c || f->policy == NS_FIXED)
        return LTL_OK;
    uint64_t stamp;
    int rc = ns_stamp(w, f->tree, f->policy, &stamp);
    if (rc || c->stamp == stamp)
        return rc;
    bool made = c->stamp != UINT64_MAX;
    struct ns_cell *nc = NULL;
    rc = f->module->sync(w, f, made && c->scanned <= stamp ? c : NULL, stamp, &nc);
    if (rc) {
        ns_cell_unref(NULL, nc);
        return rc;
    }
    nc->stamp = stamp;
    if (!nc->gen)
        nc->gen = atomic_load(&f->tree->seen_end);
    ns_set_cell(w->ns, f, nc);
    if (made)
        atomic_fetch_add(&w->ns->resyncs, 1);
    *out = nc;
    return LTL_OK;
}

/* The frame's current content with a reference for the caller (none for an
 * embedded cell, which lives as long as the frame). */
static int cell_current(struct ns_walk *w, struct ns_frame *f, struct ns_cell **out)
{
    ltl_ns *ns = w->ns;
    struct ns_cell *c = atomic_load(&f->cell);
    *out = c;
    if (!c || f->policy == NS_FIXED)
        return LTL_OK;
    uint64_t stamp;
    int rc = ns_stamp(w, f->tree, f->policy, &stamp);
    if (rc)
        return rc;
    int parity = ns_read_enter(ns, w->shard);
    c = atomic_load(&f->cell);
    bool current = c->stamp == stamp;
    if (current)
        atomic_fetch_add(&c->refs, 1);
    ns_read_leave(ns, w->shard, parity);
    if (current) {
        *out = c;
        return LTL_OK;
    }
    pthread_mutex_lock(&ns->mu);
    rc = cell_locked(w, f, &c);
    if (rc == LTL_OK) {
        atomic_fetch_add(&c->refs, 1);
        *out = c;
    }
    ns_cache_trim(ns);
    pthread_mutex_unlock(&ns->mu);
    return rc;
}

/* ---- modules: the cascade ------------------------------------------------------------------ */

static const struct ns_module *modtab_find(const struct ns_modtab *t, const char *name, size_t len)
{
    for (const struct ns_reg *r = t ? t->regs : NULL; r; r = r->next)
        if (strlen(r->module->name) == len && memcmp(r->module->name, name, len) == 0)
            return r->module;
    return NULL;
}

/* A module name at frame f: the modules registered at f and its ancestors,
 * nearest first, then those registered at "/", then the built-ins. */
static const struct ns_module *module_lookup(ltl_ns *ns, const struct ns_frame *f, const char *name,
                                             size_t len)
{
    for (const struct ns_frame *x = f; x; x = x->parent) {
        const struct ns_module *m = modtab_find(x->modules, name, len);
        if (m)
            return m;
    }
    const struct ns_module *m = modtab_find(&ns->global, name, len);
    return m ? m : ns_builtin(name, len);
}

/* ---- the walk ---------------------------------------------------------------------------- */

static int child_locked(struct ns_walk *w, struct ns_frame *f, const char *name, size_t len,
                        struct ns_frame **out, int *miss_policy);

static void spec_drop(struct ns_spec *s)
{
    ltl__free(s->owned);
    s->owned = NULL;
    ns_cell_unref(NULL, s->cell);
    s->cell = NULL;
}

/* The trees whose growth could change a miss in frame f. */
static uint64_t trees_of(const struct ns_frame *f)
{
    if (f->kind != NS_UNION)
        return 1ULL << f->tree->index;
    uint64_t mask = 0;
    for (size_t i = 0; i < f->uni->n; i++)
        mask |= trees_of(f->uni->members[i].frame);
    return mask;
}

static int union_child(struct ns_walk *w, struct ns_frame *u, const char *name, size_t len,
                       struct ns_frame **out)
{
    if (++w->depth > NS_MAX_UNION) {
        w->depth--;
        return ltl__errf(LTL_EINVAL, "unions nest deeper than %d", NS_MAX_UNION);
    }
    uint64_t before = 0; /* trees of the members that did not have it */
    int rc = LTL_ENOTFOUND;
    for (size_t i = 0; i < u->uni->n; i++) {
        struct ns_frame *m = u->uni->members[i].frame, *c = NULL;
        int miss_policy;
        if (m->kind == NS_FILE) {
            rc = LTL_ENOTFOUND;
        } else {
            rc = child_locked(w, m, name, len, &c, &miss_policy);
        }
        if (rc == LTL_ENOTFOUND) {
            ltl__err_restate(); /* the union says it, not the member */
            before |= trees_of(m);
            continue;
        }
        if (rc)
            break;
        struct ns_spec spec = {.kind = NS_ALIAS, .source = c, .seq = before, .neg_policy = -1};
        spec.policy = before ? NS_MIXED : NS_FIXED;
        struct ns_frame *alias;
        rc = ns_insert(w, u, name, len, &spec, &alias);
        if (rc == LTL_OK && before) {
            alias->policy = NS_MIXED;
            if ((rc = ns_frame_stamp(w, alias, &alias->stamp)))
                ns_evict(w->ns, alias);
        }
        if (rc == LTL_OK)
            *out = c;
        break;
    }
    w->depth--;
    return rc;
}

/* Find before transform: the module's find for the whole name; failing
 * that, NAME.x as the transform x (a module found by the cascade) of NAME;
 * failing that, a miss, cached with what it depends on. */
static int resolve(struct ns_walk *w, struct ns_frame *f, const char *name, size_t len,
                   struct ns_frame **out, int *miss_policy)
{
    ltl_ns *ns = w->ns;
    struct ns_cell *cell = atomic_load(&f->cell);
    struct ns_spec spec = {.neg_policy = -1, .seq = UINT64_MAX};
    int rc = LTL_ENOTFOUND;
    bool fixed_miss = false;
    /* a listing that only grows answers "yes" from what it had, and "no" for
     * a name it can never have (not a seq: "42.json"), without asking the
     * store where its log ends (a system call or two) first */
    if (cell && f->module && f->module->find && (f->module->flags & NSM_GROWS) &&
        cell->stamp != UINT64_MAX) {
        rc = f->module->find(w, f, cell, name, len, &spec);
        if (rc == LTL_OK)
            return ns_insert(w, f, name, len, &spec, out);
        spec_drop(&spec);
        if (rc != LTL_ENOTFOUND)
            return rc;
        if (!(fixed_miss = spec.neg_policy == NS_FIXED))
            spec = (struct ns_spec){.neg_policy = -1, .seq = UINT64_MAX};
    }
    if (!fixed_miss) {
        rc = cell_locked(w, f, &cell);
        if (rc == LTL_ECORRUPT && f->module && f->module->find && (f->module->flags & NSM_GROWS)) {
            /* The listing cannot be made (the end of the log is damaged), but a
             * member that reads on its own (a record before the damage) is still
             * there: a find without the listing says so, else the damage stands. */
            char why[LTL__LOG_LINE_MAX];
            snprintf(why, sizeof(why), "%s", ltl__err_current());
            ltl__err_restate();
            rc = f->module->find(w, f, NULL, name, len, &spec);
            if (rc == LTL_OK)
                return ns_insert(w, f, name, len, &spec, out);
            spec_drop(&spec);
            if (rc == LTL_ECORRUPT)
                return rc; /* its own message says why this member cannot be read */
            ltl__err_restate();
            return ltl__errf(LTL_ECORRUPT, "%s", why);
        }
        if (rc)
            return rc;
        rc = f->module && f->module->find ? f->module->find(w, f, cell, name, len, &spec)
                                          : LTL_ENOTFOUND;
    }
    if (rc == LTL_OK)
        return ns_insert(w, f, name, len, &spec, out);
    spec_drop(&spec);
    if (rc != LTL_ENOTFOUND)
        return rc;
    int neg_policy = spec.neg_policy >= 0 ? spec.neg_policy : f->policy;
    const char *dot = len > 2 ? memrchr(name, '.', len) : NULL;
    if (dot && dot > name && dot < name + len - 1) {
        size_t base_len = (size_t)(dot - name);
        const struct ns_module *m = module_lookup(ns, f, dot + 1, len - base_len - 1);
        if (m && m->transform) {
            struct ns_frame *base = NULL;
            int base_miss = f->policy;
            rc = child_locked(w, f, name, base_len, &base, &base_miss);
            if (rc == LTL_OK) {
                struct ns_spec ts = {.neg_policy = -1, .seq = UINT64_MAX};
                rc = m->transform(w, m, base, &ts);
                if (rc == LTL_OK)
                    return ns_insert(w, f, name, len, &ts, out);
                spec_drop(&ts);
                return rc;
            }
            if (rc != LTL_ENOTFOUND)
                return rc;
            ltl__err_restate();
            neg_policy = base_miss;
        }
    }
    /* a miss */
    struct ns_spec neg = {
        .kind = NS_NEG, .policy = neg_policy, .neg_policy = -1, .seq = UINT64_MAX};
    struct ns_frame *n;
    uint64_t stamp = 0;
    if (neg_policy != NS_FIXED && (rc = ns_stamp(w, f->tree, neg_policy, &stamp)))
        return rc;
    if ((rc = ns_insert(w, f, name, len, &neg, &n)))
        return rc;
    n->stamp = stamp;
    *miss_policy = neg_policy;
    return LTL_ENOTFOUND;
}

/* The child `name` of f, from the cache or made (under ns->mu). A miss is
 * LTL_ENOTFOUND with no message (the caller knows the path). */
static int child_locked(struct ns_walk *w, struct ns_frame *f, const char *name, size_t len,
                        struct ns_frame **out, int *miss_policy)
{
    ltl_ns *ns = w->ns;
    struct ns_shard *sh = &ns->shards[w->shard];
    *miss_policy = NS_FIXED;
    struct ns_frame *c = ns_table_find(ns, f, name, len, ns_hash(f, name, len));
    if (c) {
        bool current = true;
        if (c->kind == NS_ALIAS || c->kind == NS_NEG) {
            if (c->policy != NS_FIXED) {
                uint64_t stamp;
                int rc = ns_frame_stamp(w, c, &stamp);
                if (rc)
                    return rc;
                current = stamp == c->stamp;
            }
        }
        if (current) {
            if (c->kind == NS_NEG) {
                atomic_fetch_add_explicit(&sh->neg_hits, 1, memory_order_relaxed);
                *miss_policy = c->policy;
                return LTL_ENOTFOUND;
            }
            atomic_fetch_add_explicit(&sh->hits, 1, memory_order_relaxed);
            ns_touch(c);
            *out = c->kind == NS_ALIAS ? c->target : c;
            return LTL_OK;
        }
        ns_evict(ns, c); /* no longer current: made again below */
    }
    atomic_fetch_add_explicit(&sh->misses, 1, memory_order_relaxed);
    if (f->kind == NS_UNION)
        return union_child(w, f, name, len, out);
    return resolve(w, f, name, len, out, miss_policy);
}

static int miss_message(const struct ns_path *p, size_t i)
{
    ltl__buf prefix = {0};
    int rc = ns_path_text(&prefix, p, i);
    if (rc == LTL_OK)
        rc = ltl__errf(LTL_ENOTFOUND, "no '%.*s' in %.*s", (int)p->lens[i], p->segs[i],
                       (int)prefix.len, prefix.data);
    ltl__buf_free(&prefix);
    return rc;
}

/* The segment as a name: after .json a JSON Pointer token, decoded into buf
 * (room for len bytes). -1 for a bad escape. */
static long segment_name(const struct ns_frame *f, const char *seg, size_t len, char *buf,
                         const char **name)
{
    *name = seg;
    if (!(f->flags & NSF_POINTER) || !memchr(seg, '~', len))
        return (long)len;
    long n = ns_token_decode(buf, seg, len);
    *name = buf;
    return n;
}

/* The walk without a lock. LTL_OK with a reference on *out; LTL_ENOTFOUND
 * from a cached miss (*miss_at: the segment); NS_SLOW when something is
 * missing or no longer current. */
static int walk_fast(struct ns_walk *w, const struct ns_path *p, struct ns_frame **out,
                     size_t *miss_at)
{
    ltl_ns *ns = w->ns;
    struct ns_shard *sh = &ns->shards[w->shard];
    int parity = ns_read_enter(ns, w->shard);
    struct ns_frame *f = atomic_load(&ns->root);
    int rc = LTL_OK;
    unsigned long hits = 0;
    char buf[256];
    for (size_t i = 0; i < p->n; i++) {
        size_t len = p->lens[i];
        if (len == 0 && !(f->flags & NSF_POINTER))
            continue; /* "//" outside JSON is "/" */
        const char *name;
        if (len > sizeof(buf) && (f->flags & NSF_POINTER) && memchr(p->segs[i], '~', len)) {
            rc = NS_SLOW;
            break;
        }
        long n = segment_name(f, p->segs[i], len, buf, &name);
        if (n < 0) {
            rc = NS_SLOW; /* the slow walk says what is wrong */
            break;
        }
        struct ns_frame *c = ns_table_find(ns, f, name, (size_t)n, ns_hash(f, name, (size_t)n));
        if (!c) {
            rc = NS_SLOW;
            break;
        }
        if (c->kind == NS_ALIAS || c->kind == NS_NEG) {
            if (c->policy != NS_FIXED) {
                uint64_t stamp;
                if (ns_frame_stamp(w, c, &stamp) || stamp != c->stamp) {
                    rc = NS_SLOW;
                    break;
                }
            }
            if (c->kind == NS_NEG) {
                *miss_at = i;
                rc = LTL_ENOTFOUND;
                break;
            }
            c = c->target;
        }
        ns_touch(c);
        hits++;
        f = c;
    }
    if (rc == LTL_OK) {
        if (p->dir && f->kind == NS_FILE) {
            rc = NS_SLOW;
        } else {
            ns_frame_ref(f);
            *out = f;
        }
    }
    ns_read_leave(ns, w->shard, parity);
    if (rc == LTL_OK)
        atomic_fetch_add_explicit(&sh->hits, hits, memory_order_relaxed);
    else if (rc == LTL_ENOTFOUND)
        atomic_fetch_add_explicit(&sh->neg_hits, 1, memory_order_relaxed);
    return rc;
}

/* The walk under ns->mu from `start`, making what is missing. */
static int walk_locked(struct ns_walk *w, struct ns_frame *start, const struct ns_path *p,
                       struct ns_frame **out)
{
    struct ns_frame *f = start;
    char small[256];
    char *buf = small;
    int rc = LTL_OK;
    for (size_t i = 0; i < p->n && rc == LTL_OK; i++) {
        size_t len = p->lens[i];
        if (len == 0 && !(f->flags & NSF_POINTER))
            continue;
        if (f->kind == NS_FILE) {
            ltl__buf text = {0};
            rc = ns_path_text(&text, p, i);
            if (rc == LTL_OK)
                rc = ltl__errf(LTL_ENOTFOUND, "%.*s is a file, not a directory: no '%s' in it",
                               (int)text.len, text.data, p->segs[i]);
            ltl__buf_free(&text);
            break;
        }
        if (len > sizeof(small) && buf == small && !(buf = ltl__malloc(LTL_NS_PATH_MAX + 1))) {
            rc = ltl__errf(LTL_ENOMEM, "out of memory");
            break;
        }
        const char *name;
        long n = segment_name(f, p->segs[i], len, buf, &name);
        if (n < 0) {
            rc = ltl__errf(LTL_EINVAL,
                           "'%s': a bad '~' escape (after .json, segments are JSON Pointer "
                           "tokens: ~0 is '~', ~1 is '/'; and ~. is '.', ~e the empty key, "
                           "~xHH a byte 80..ff that is not UTF-8)",
                           p->segs[i]);
            break;
        }
        struct ns_frame *c = NULL;
        int miss_policy;
        rc = child_locked(w, f, name, (size_t)n, &c, &miss_policy);
        if (rc == LTL_ENOTFOUND && !*ltl__err_current())
            rc = miss_message(p, i);
        f = c;
    }
    if (buf != small)
        ltl__free(buf);
    if (rc)
        return rc;
    if (p->dir && f->kind == NS_FILE) {
        ltl__buf text = {0};
        rc = ns_path_text(&text, p, p->n);
        if (rc == LTL_OK)
            rc = ltl__errf(LTL_ENOTFOUND, "%.*s is a file, not a directory", (int)text.len,
                           text.data);
        ltl__buf_free(&text);
        return rc;
    }
    ns_frame_ref(f);
    *out = f;
    return LTL_OK;
}

static int walk(struct ns_walk *w, const struct ns_path *p, struct ns_frame **out)
{
    ltl_ns *ns = w->ns;
    size_t miss_at = 0;
    atomic_fetch_add_explicit(&ns->shards[w->shard].lookups, 1, memory_order_relaxed);
    int rc = walk_fast(w, p, out, &miss_at);
    if (rc == LTL_ENOTFOUND)
        return miss_message(p, miss_at);
    if (rc != NS_SLOW)
        return rc;
    ltl__err_restate(); /* a stamp the fast walk could not read is read again */
    pthread_mutex_lock(&ns->mu);
    rc = walk_locked(w, atomic_load(&ns->root), p, out);
    ns_cache_trim(ns);
    pthread_mutex_unlock(&ns->mu);
    return rc;
}

/* ---- nodes ---------------------------------------------------------------------------- */

static int node_make(struct ns_walk *w, struct ns_frame *f, ltl_ns_node **out)
{
    ltl_ns_node *node = ltl__malloc(sizeof(*node));
    if (!node) {
        ns_frame_unref(w->ns, f);
        return ltl__errf(LTL_ENOMEM, "out of memory");
    }
    node->ns = w->ns;
    node->frame = f;
    node->cell = NULL;
    int rc = cell_current(w, f, &node->cell);
    if (rc) {
        ns_frame_unref(w->ns, f);
        ltl__free(node);
        return rc;
    }
    *out = node;
    return LTL_OK;
}

static int lookup(ltl_ns_node **out, ltl_ns *ns, const char *path)
{
    struct ns_path p;
    int rc = ns_path_parse(&p, path);
    if (rc)
        return rc;
    struct ns_walk w;
    ns_walk_init(&w, ns);
    struct ns_frame *f;
    if ((rc = walk(&w, &p, &f)) == LTL_OK)
        rc = node_make(&w, f, out);
    ns_path_free(&p);
    return rc;
}

int ltl_ns_lookup(ltl_ns_node **out, ltl_ns *ns, const char *path)
{
    if (!out || !ns || !path)
        return LTL_EINVAL;
    *out = NULL;
    ltl__err_begin();
    return ltl__err_end(ns, lookup(out, ns, path));
}

void ltl_ns_node_release(ltl_ns_node *node)
{
    if (!node)
        return;
    ns_cell_unref(node->ns, node->cell);
    ns_frame_unref(node->ns, node->frame);
    ltl__free(node);
}

int ltl_ns_node_stat(ltl_ns_stat *out, const ltl_ns_node *node)
{
    if (!out || !node)
        return LTL_EINVAL;
    const struct ns_frame *f = node->frame;
    const struct ns_cell *c = node->cell;
    memset(out, 0, sizeof(*out));
    out->kind = f->kind == NS_FILE ? LTL_NS_FILE : LTL_NS_DIR;
    out->has_data = c && c->has_data;
    out->changes = f->policy != NS_FIXED;
    out->size = c && c->has_data ? c->len : 0;
    out->entries = UINT64_MAX;
    if (c && c->list == NS_LIST_RANGE)
        out->entries = c->hi - c->lo;
    else if (c && c->list == NS_LIST_SEQS)
        out->entries = c->nseqs;
    else if (c && c->list == NS_LIST_NAMES)
        out->entries = c->nentries;
    out->generation = c ? c->gen : atomic_load(&f->tree->seen_end);
    out->mtime = f->seq != UINT64_MAX ? f->mtime : 0;
    out->seq = f->seq;
    out->module = f->kind == NS_UNION ? "union" : f->module ? f->module->name : "";
    return LTL_OK;
}

int ltl_ns_node_data(const void **out, size_t *out_len, const ltl_ns_node *node)
{
    if (!out || !out_len || !node)
        return LTL_EINVAL;
    if (node->frame->flags & NSF_SEALED) {
        *out = NULL;
        *out_len = 0;
        ltl__err_begin();
        return ltl__err_end(node->ns, ns_sealed_error(node->frame));
    }
    const struct ns_cell *c = node->cell;
    if (!c || !c->has_data) {
        *out = NULL;
        *out_len = 0;
        return LTL_EINVAL;
    }
    *out = c->data ? c->data : "";
    *out_len = c->len;
    return LTL_OK;
}

/* ---- listings ------------------------------------------------------------------------- */

struct list_ctx {
    ltl_ns_list_fn fn;
    void *ctx;
    struct ns_strset *seen; /* a union's names so far */
    int rc;                 /* an error of the set */
};

static int emit_user(void *ctx, const char *name, size_t len, int kind)
{
    struct list_ctx *lc = ctx;
    if (lc->seen) {
        bool added;
        int rc = ns_strset_add(lc->seen, name, len, &added);
        if (rc)
            return lc->rc = rc;
        if (!added)
            return 0;
    }
    return lc->fn(lc->ctx, name, kind);
}

static int list_frame(struct ns_walk *w, struct ns_frame *f, struct ns_cell *cell,
                      struct list_ctx *lc);

static int list_union(struct ns_walk *w, struct ns_frame *u, struct list_ctx *lc)
{
    ltl_ns *ns = w->ns;
    if (++w->depth > NS_MAX_UNION) {
        w->depth--;
        return ltl__errf(LTL_EINVAL, "unions nest deeper than %d", NS_MAX_UNION);
    }
    pthread_mutex_lock(&ns->mu);
    size_t n = u->uni->n;
    struct ns_frame **members = ltl__calloc(n ? n : 1, sizeof(*members));
    for (size_t i = 0; members && i < n; i++) {
        members[i] = u->uni->members[i].frame;
        ns_frame_ref(members[i]);
    }
    pthread_mutex_unlock(&ns->mu);
    if (!members) {
        w->depth--;
        return ltl__errf(LTL_ENOMEM, "out of memory");
    }
    struct ns_strset seen = {0};
    struct ns_strset *outer = lc->seen;
    if (!outer)
        lc->seen = &seen;
    int rc = LTL_OK;
    for (size_t i = 0; i < n && rc == LTL_OK; i++) {
        struct ns_cell *c = NULL;
        if (members[i]->kind == NS_FILE)
            continue;
        if ((rc = cell_current(w, members[i], &c)) == LTL_OK) {
            rc = list_frame(w, members[i], c, lc);
            ns_cell_unref(ns, c);
        }
    }
    if (!outer) {
        lc->seen = NULL;
        ns_strset_free(&seen);
    }
    for (size_t i = 0; i < n; i++)
        ns_frame_unref(ns, members[i]);
    ltl__free(members);
    w->depth--;
    return rc;
}

static int list_frame(struct ns_walk *w, struct ns_frame *f, struct ns_cell *cell,
                      struct list_ctx *lc)
{
    if (f->kind == NS_UNION)
        return list_union(w, f, lc);
    if (f->kind != NS_DIR)
        return ltl__errf(LTL_EINVAL, "'%s' is a file, not a directory", f->name);
    if (!f->module || !f->module->map)
        return LTL_OK;
    int rc = f->module->map(w, f, cell, emit_user, lc);
    return lc->rc ? lc->rc : rc;
}

int ltl_ns_node_list(const ltl_ns_node *node, ltl_ns_list_fn fn, void *ctx)
{
    if (!node || !fn)
        return LTL_EINVAL;
    ltl__err_begin();
    struct ns_walk w;
    ns_walk_init(&w, node->ns);
    struct list_ctx lc = {fn, ctx, NULL, LTL_OK};
    int rc = list_frame(&w, node->frame, node->cell, &lc);
    return ltl__err_end(node->ns, rc);
}

int ltl_ns_read(void **out, size_t *out_len, ltl_ns *ns, const char *path)
{
    if (!out || !ns || !path)
        return LTL_EINVAL;
    *out = NULL;
    if (out_len)
        *out_len = 0;
    ltl__err_begin();
    ltl_ns_node *node = NULL;
    int rc = lookup(&node, ns, path);
    if (rc == LTL_OK) {
        const struct ns_cell *c = node->cell;
        if (node->frame->flags & NSF_SEALED) {
            rc = ns_sealed_error(node->frame);
        } else if (!c || !c->has_data) {
            rc = ltl__errf(LTL_EINVAL, "%s is a directory without data: list it", path);
        } else {
            char *copy = ltl__malloc(c->len + 1);
            if (!copy) {
                rc = ltl__errf(LTL_ENOMEM, "out of memory");
            } else {
                if (c->len)
                    memcpy(copy, c->data, c->len);
                copy[c->len] = '\0';
                *out = copy;
                if (out_len)
                    *out_len = c->len;
            }
        }
    }
    ltl_ns_node_release(node);
    return ltl__err_end(ns, rc);
}

int ltl_ns_list(ltl_ns *ns, const char *path, ltl_ns_list_fn fn, void *ctx)
{
    if (!ns || !path || !fn)
        return LTL_EINVAL;
    ltl__err_begin();
    ltl_ns_node *node = NULL;
    int rc = lookup(&node, ns, path);
    if (rc == LTL_OK) {
        struct ns_walk w;
        ns_walk_init(&w, ns);
        struct list_ctx lc = {fn, ctx, NULL, LTL_OK};
        rc = list_frame(&w, node->frame, node->cell, &lc);
    }
    ltl_ns_node_release(node);
    return ltl__err_end(ns, rc);
}

/* ---- trees (the stores of the namespace) ------------------------------------------------- */

static int tree_for(ltl_ns *ns, ltl_db *db, struct ns_tree **out)
{
    for (unsigned i = 0; i < ns->ntrees; i++) {
        if (ns->trees[i]->db == db) {
            *out = ns->trees[i];
            return LTL_OK;
        }
    }
    if (ns->ntrees >= NS_MAX_TREES)
        return ltl__errf(LTL_EINVAL, "a namespace holds at most %d stores", NS_MAX_TREES);
    struct ns_tree *t = ltl__calloc(1, sizeof(*t));
    if (!t)
        return ltl__errf(LTL_ENOMEM, "out of memory");
    t->db = db;
    t->index = ns->ntrees;
    struct ns_spec spec = {.kind = NS_DIR,
                           .policy = NS_FIXED,
                           .flags = NSF_PINNED,
                           .module = &ns_mod_root,
                           .seq = UINT64_MAX,
                           .neg_policy = -1};
    int rc = ns_frame_new(ns, NULL, "", 0, &spec, &t->root);
    if (rc) {
        ltl__free(t);
        return rc;
    }
    t->root->tree = t;
    ns->trees[ns->ntrees++] = t;
    *out = t;
    return LTL_OK;
}

/* ---- open, close ---------------------------------------------------------------------------- */

void ltl_ns_options_init(ltl_ns_options *opts)
{
    if (opts)
        *opts = (ltl_ns_options)LTL_NS_OPTIONS_INIT;
}

static int ns_open(ltl_ns *ns, ltl_db *db, const ltl_ns_options *opts)
{
    int rc;
    if (opts->version != LTL_NS_OPTIONS_VERSION)
        return ltl__errf(LTL_EINVAL, "ltl_ns_options.version is %u", opts->version);
    if (opts->flags & ~(unsigned)LTL_NS_NO_PLUGINS)
        return ltl__errf(LTL_EINVAL, "unknown namespace flags 0x%x", opts->flags);
    ns->bound = opts->cache_bytes;
    if (!ns->bound) {
        const char *v = ltl__config_str(db->config, "ns.cache_size");
        int64_t b = v ? ltl__size_parse(v) : -1;
        ns->bound = b > 0 ? (uint64_t)b : 64u << 20;
    }
    if ((rc = ns_cache_init(ns)))
        return rc;
    struct ns_tree *t;
    if ((rc = tree_for(ns, db, &t)))
        return rc;
    atomic_store(&ns->root, t->root);
    if (opts->flags & LTL_NS_NO_PLUGINS)
        return LTL_OK;
    const char *mods = opts->modules ? opts->modules : ltl__config_str(db->config, "ns.modules");
    if (mods && *mods && (rc = ns_load_modules(ns, mods)))
        return rc;
    return LTL_OK;
}

int ltl_ns_open(ltl_ns **out, ltl_db *db, const ltl_ns_options *opts)
{
    if (!out || !db)
        return LTL_EINVAL;
    *out = NULL;
    ltl__err_begin();
    ltl_ns_options defaults = LTL_NS_OPTIONS_INIT;
    ltl_ns *ns = ltl__calloc(1, sizeof(*ns));
    if (!ns)
        return ltl__err_end(NULL, ltl__errf(LTL_ENOMEM, "out of memory"));
    ns->db = db;
    pthread_mutex_init(&ns->mu, NULL);
    *out = ns;
    int rc = ns_open(ns, db, opts ? opts : &defaults);
    return ltl__err_end(ns, rc);
}

void ltl_ns_close(ltl_ns *ns)
{
    if (!ns)
        return;
    /* the cache first: frames point at plugin modules */
    ns_cache_free(ns);
    struct ns_frame *root = atomic_load(&ns->root);
    if (root && root->kind == NS_UNION)
        ns_frame_unref(ns, root); /* the union bound at "/" */
    for (struct ns_pin *p = ns->pins, *next; p; p = next) {
        next = p->next;
        ns_frame_unref(ns, p->frame);
        ltl__free(p);
    }
    for (unsigned i = 0; i < ns->ntrees; i++) {
        ns_frame_unref(ns, ns->trees[i]->root);
        ltl__free(ns->trees[i]);
    }
    for (struct ns_reg *r = ns->global.regs, *next; r; r = next) {
        next = r->next;
        ltl__free(r);
    }
    ns_plugins_free(ns);
    pthread_mutex_destroy(&ns->mu);
    ltl__free(ns);
}

const char *ltl_ns_errmsg(const ltl_ns *ns)
{
    return ltl__err_message(ns);
}

void ltl_ns_stats_read(ltl_ns_stats *out, ltl_ns *ns)
{
    if (!out)
        return;
    memset(out, 0, sizeof(*out));
    if (!ns)
        return;
    for (unsigned s = 0; s < NS_SHARDS; s++) {
        out->lookups += atomic_load_explicit(&ns->shards[s].lookups, memory_order_relaxed);
        out->hits += atomic_load_explicit(&ns->shards[s].hits, memory_order_relaxed);
        out->misses += atomic_load_explicit(&ns->shards[s].misses, memory_order_relaxed);
        out->negative_hits += atomic_load_explicit(&ns->shards[s].neg_hits, memory_order_relaxed);
    }
    out->produced = atomic_load(&ns->produced);
    out->resyncs = atomic_load(&ns->resyncs);
    out->evictions = atomic_load(&ns->evictions);
    out->frames = atomic_load(&ns->frames);
    out->bytes = atomic_load(&ns->bytes);
    out->peak_bytes = atomic_load(&ns->peak_bytes);
    out->bound = ns->bound;
}

/* ---- bind ------------------------------------------------------------------------------ */

static bool union_contains(const struct ns_frame *u, const struct ns_frame *f, int depth)
{
    if (u == f)
        return true;
    if (u->kind != NS_UNION || depth > NS_MAX_UNION)
        return false;
    for (size_t i = 0; i < u->uni->n; i++)
        if (union_contains(u->uni->members[i].frame, f, depth + 1))
            return true;
    return false;
}

/* Aliases under unions were answered by the members as they were: a bind
 * changes that, so they all go (a bind is rare). */
static void drop_aliases(ltl_ns *ns)
{
    struct ns_frame *f = ns->hand;
    for (size_t n = ns->ring_count; n && f; n--) {
        struct ns_frame *next = f->ring_next;
        if (f->kind == NS_ALIAS)
            ns_evict(ns, f);
        f = ns->hand ? next : NULL;
    }
}

static int path_text_of(char **out, const struct ns_path *p)
{
    ltl__buf b = {0};
    if (ns_path_text(&b, p, p->n) || ltl__buf_append(&b, "", 1)) {
        ltl__buf_free(&b);
        return ltl__errf(LTL_ENOMEM, "out of memory");
    }
    *out = b.data;
    return LTL_OK;
}

static int bind_locked(ltl_ns *ns, const struct ns_path *dst, ltl_db *db, const struct ns_path *src,
                       unsigned flags)
{
    struct ns_walk w;
    ns_walk_init(&w, ns);
    struct ns_frame *start = atomic_load(&ns->root), *s = NULL, *d = NULL;
    int rc;
    if (db) {
        struct ns_tree *t;
        if ((rc = tree_for(ns, db, &t)))
            return rc;
        start = t->root;
    }
    if ((rc = walk_locked(&w, start, src, &s)))
        return rc;
    if ((rc = walk_locked(&w, atomic_load(&ns->root), dst, &d))) {
        ns_frame_unref(ns, s);
        return rc;
    }
    char *where = NULL;
    if (d->kind == NS_FILE || s->kind == NS_FILE) {
        rc = ltl__errf(LTL_EINVAL, "bind joins directories: %s is a file",
                       d->kind == NS_FILE ? "the bind point" : "the bound path");
        goto out;
    }
    if (s == d || union_contains(s, d, 0)) {
        rc = ltl__errf(LTL_EINVAL, "bind would put a directory inside itself");
        goto out;
    }
    if ((rc = path_text_of(&where, dst)))
        goto out;
    struct ns_member added = {s, flags, false};
    if (d->kind == NS_UNION) {
        struct ns_union *u = d->uni;
        if (flags == LTL_NS_BIND_REPLACE || flags == LTL_NS_BIND_CREATE) {
            for (size_t i = 0; i < u->n; i++)
                ns_frame_unref(ns, u->members[i].frame);
            u->n = 0;
        }
        struct ns_member *m = ltl__realloc(u->members, (u->n + 1) * sizeof(*m));
        if (!m) {
            rc = ltl__errf(LTL_ENOMEM, "out of memory");
            goto out;
        }
        u->members = m;
        if (flags & LTL_NS_BIND_BEFORE) {
            memmove(m + 1, m, u->n * sizeof(*m));
            m[0] = added;
        } else {
            m[u->n] = added;
        }
        u->n++;
        s = NULL; /* the member owns the reference now */
    } else {
        struct ns_union *u = ltl__calloc(1, sizeof(*u));
        struct ns_member *m = ltl__calloc(2, sizeof(*m));
        struct ns_spec spec = {.kind = NS_UNION,
                               .policy = NS_FIXED,
                               .flags = NSF_PINNED,
                               .seq = UINT64_MAX,
                               .neg_policy = -1};
        struct ns_frame *uf = NULL;
        bool at_root = d == atomic_load(&ns->root) || !d->parent;
        if (!u || !m ||
            (rc = ns_frame_new(ns, d->parent, d->name, d->name_len, &spec, &uf)) != LTL_OK) {
            ltl__free(u);
            ltl__free(m);
            rc = rc ? rc : ltl__errf(LTL_ENOMEM, "out of memory");
            goto out;
        }
        uf->tree = d->tree;
        uf->module = d->module;
        u->frame = uf;
        u->path = where;
        where = NULL;
        u->members = m;
        struct ns_member original = {d, 0, true};
        if (flags == LTL_NS_BIND_REPLACE || flags == LTL_NS_BIND_CREATE) {
            m[0] = added;
            u->n = 1;
        } else if (flags & LTL_NS_BIND_BEFORE) {
            m[0] = added;
            m[1] = original;
            u->n = 2;
            ns_frame_ref(d);
        } else {
            m[0] = original;
            m[1] = added;
            u->n = 2;
            ns_frame_ref(d);
        }
        uf->uni = u;
        s = NULL;
        if (at_root) {
            atomic_store(&ns->root, uf);
        } else if ((rc = ns_table_replace(ns, d, uf)) != LTL_OK) {
            ns_frame_unref(ns, uf);
            goto out;
        }
        u->next = ns->unions;
        ns->unions = u;
    }
    drop_aliases(ns);
out:
    ltl__free(where);
    ns_frame_unref(ns, s);
    ns_frame_unref(ns, d);
    return rc;
}

int ltl_ns_bind(ltl_ns *ns, const char *path, ltl_db *db, const char *src_path, unsigned int flags)
{
    if (!ns || !path || !src_path)
        return LTL_EINVAL;
    ltl__err_begin();
    if ((flags & ~7u) || (flags & (LTL_NS_BIND_BEFORE | LTL_NS_BIND_AFTER)) ==
                             (LTL_NS_BIND_BEFORE | LTL_NS_BIND_AFTER))
        return ltl__err_end(ns, ltl__errf(LTL_EINVAL, "bad bind flags 0x%x", flags));
    struct ns_path dst, src;
    int rc = ns_path_parse(&dst, path);
    if (rc)
        return ltl__err_end(ns, rc);
    if ((rc = ns_path_parse(&src, src_path))) {
        ns_path_free(&dst);
        return ltl__err_end(ns, rc);
    }
    pthread_mutex_lock(&ns->mu);
    rc = bind_locked(ns, &dst, db, &src, flags);
    ns_cache_trim(ns);
    pthread_mutex_unlock(&ns->mu);
    ns_path_free(&dst);
    ns_path_free(&src);
    return ltl__err_end(ns, rc);
}

/* ---- appends ------------------------------------------------------------------------------ */

/* The store a create at the union bound at `where` goes to; NULL when no union is there. */
static ltl_db *create_target(ltl_ns *ns, const char *where)
{
    for (struct ns_union *u = ns->unions; u; u = u->next) {
        if (strcmp(u->path, where) != 0)
            continue;
        for (size_t i = 0; i < u->n; i++)
            if (u->members[i].flags & LTL_NS_BIND_CREATE)
                return u->members[i].frame->tree->db;
        for (size_t i = 0; i < u->n; i++)
            if (u->members[i].original)
                return u->members[i].frame->tree->db;
        return u->n ? u->members[0].frame->tree->db : NULL;
    }
    return NULL;
}

int ltl_ns_append(uint64_t *out, ltl_ns *ns, const char *path, const void *data, size_t len,
                  unsigned int flags)
{
    if (!ns || !path || (!data && len))
        return LTL_EINVAL;
    ltl__err_begin();
    struct ns_path p;
    int rc = ns_path_parse(&p, path);
    if (rc)
        return ltl__err_end(ns, rc);
    const char *segs[3];
    size_t n = 0;
    for (size_t i = 0; i < p.n; i++) {
        if (!p.lens[i])
            continue;
        if (n == 2) {
            n = 3;
            break;
        }
        segs[n++] = p.segs[i];
    }
    char *topic = NULL;
    const char *dir = NULL;
    if (n == 2 && strcmp(segs[0], "topics") == 0) {
        topic = ltl__strdup(segs[1]);
        dir = "/topics";
    } else if (n == 1 && strcmp(segs[0], "seq") == 0) {
        dir = "/seq";
    }
    ns_path_free(&p);
    if (!dir)
        return ltl__err_end(ns, ltl__errf(LTL_EINVAL,
                                          "'%s': appends go to /topics/TOPIC or /seq (the "
                                          "default topic)",
                                          path));
    if (dir[1] == 't' && !topic)
        return ltl__err_end(ns, ltl__errf(LTL_ENOMEM, "out of memory"));
    pthread_mutex_lock(&ns->mu);
    ltl_db *db = create_target(ns, dir);
    if (!db)
        db = create_target(ns, "/");
    if (!db)
        db = ns->db;
    pthread_mutex_unlock(&ns->mu);
    rc = ltl__append(out, db, topic, data, len, flags);
    ltl__free(topic);
    if (rc)
        rc = ns_from_db(db, rc);
    return ltl__err_end(ns, rc);
}

/* ---- modules ------------------------------------------------------------------------------- */

int ns_register(ltl_ns *ns, const char *path, const struct ns_module *m)
{
    struct ns_path p;
    int rc = ns_path_parse(&p, path);
    if (rc)
        return rc;
    bool global = true;
    for (size_t i = 0; i < p.n; i++)
        if (p.lens[i])
            global = false;
    pthread_mutex_lock(&ns->mu);
    struct ns_modtab *tab = &ns->global;
    struct ns_frame *f = NULL;
    struct ns_pin *pin = NULL;
    size_t name_len = strlen(m->name);
    if (!global) {
        struct ns_walk w;
        ns_walk_init(&w, ns);
        if ((rc = walk_locked(&w, atomic_load(&ns->root), &p, &f)))
            goto out;
        if (f->kind == NS_FILE) {
            rc = ltl__errf(LTL_EINVAL, "%s is a file: modules are registered at directories", path);
            goto out;
        }
        if (!f->modules && !(f->modules = ltl__calloc(1, sizeof(*f->modules)))) {
            rc = ltl__errf(LTL_ENOMEM, "out of memory");
            goto out;
        }
        tab = f->modules;
    }
    if (modtab_find(tab, m->name, name_len)) {
        rc = ltl__errf(LTL_EEXIST, "a module '%s' is registered at %s already", m->name, path);
        goto out;
    }
    struct ns_reg *r = ltl__calloc(1, sizeof(*r));
    if (!global && !(pin = ltl__calloc(1, sizeof(*pin)))) {
        ltl__free(r);
        r = NULL;
    }
    if (!r) {
        rc = ltl__errf(LTL_ENOMEM, "out of memory");
        goto out;
    }
    r->module = m;
    r->next = tab->regs;
    tab->regs = r;
    if (pin) {
        /* the directory carries the registration: it stays */
        pin->frame = f;
        pin->next = ns->pins;
        ns->pins = pin;
        f = NULL;
    }
    /* what the cache made may have used another module of that name */
    ns_cache_flush(ns);
out:
    if (f)
        ns_frame_unref(ns, f);
    pthread_mutex_unlock(&ns->mu);
    ns_path_free(&p);
    return rc;
}

int ltl_ns_register(ltl_ns *ns, const char *path, const ltl_module_v1 *module)
{
    if (!ns || !path || !module)
        return LTL_EINVAL;
    ltl__err_begin();
    struct ns_module *m;
    int rc = ns_plugin_module(&m, module);
    /* the namespace owns the wrapper from here (freed at close) */
    if (rc == LTL_OK && (rc = ns_plugin_adopt(ns, m, NULL)) == LTL_OK)
        rc = ns_register(ns, path, m);
    return ltl__err_end(ns, rc);
}

int ltl_ns_load_module(ltl_ns *ns, const char *path, const char *file)
{
    if (!ns || !file)
        return LTL_EINVAL;
    ltl__err_begin();
    return ltl__err_end(ns, ns_plugin_load(ns, path ? path : "/", file));
}
