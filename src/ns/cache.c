/* SPDX-License-Identifier: MIT */
/*
 * cache.c — the frame cache: frames and cells with their reference counts,
 * the open-addressing table that maps (parent, name) to a frame and is read
 * without locks, the epochs that say when what a change unlinked can be
 * freed, and the CLOCK sweep that keeps the cache within its bound.
 *
 * Epochs (an SRCU-like scheme with two parities): a reader adds one to its
 * shard's counter of the current parity, reads, and takes it back. A flip
 * (under ns->mu) is allowed only when no reader is counted on the other
 * parity; it then frees what was retired before the previous flip and makes
 * the other parity current. An object unlinked before flip k is freed at
 * flip k+1: a reader that could still hold it entered before flip k, so it
 * counted on the parity current before flip k (whose drain flip k+1
 * checks) or on the one before (which flip k itself checked); a reader that
 * counts later reads the table after the unlink (every access involved is
 * sequentially consistent) and cannot find it. docs/NAMESPACE.md has it
 * with a picture.
 */
#include "ns/ns.h"

#define NS_TOMB      ((struct ns_frame *)(uintptr_t)1)
#define NS_TABLE_MIN 64

static uint64_t mix(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
}

uint64_t ns_hash(const struct ns_frame *parent, const char *name, size_t len)
{
    uint64_t h = mix((uint64_t)(uintptr_t)parent ^ ((uint64_t)len << 48));
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t k;
        memcpy(&k, name + i, 8);
        h = (h ^ k) * 0x9E3779B97F4A7C15ULL;
        h ^= h >> 29;
    }
    uint64_t tail = 0;
    for (size_t j = 0; i < len; i++, j++)
        tail |= (uint64_t)(unsigned char)name[i] << (8 * j);
    return mix(h ^ tail);
}

/* ---- readers --------------------------------------------------------------------- */

static atomic_uint shard_next;
static _Thread_local unsigned tls_shard;

unsigned ns_my_shard(void)
{
    if (!tls_shard)
        tls_shard = atomic_fetch_add(&shard_next, 1) % NS_SHARDS + 1;
    return tls_shard - 1;
}

int ns_read_enter(ltl_ns *ns, unsigned shard)
{
    int parity = atomic_load(&ns->parity);
    atomic_fetch_add(&ns->shards[shard].active[parity], 1);
    return parity;
}

void ns_read_leave(ltl_ns *ns, unsigned shard, int parity)
{
    atomic_fetch_sub(&ns->shards[shard].active[parity], 1);
}

/* ---- cells ------------------------------------------------------------------------ */

struct ns_cell *ns_cell_new(void)
{
    struct ns_cell *c = ltl__calloc(1, sizeof(*c));
    if (c)
        atomic_init(&c->refs, 1);
    return c;
}

static void cell_release_content(struct ns_cell *c)
{
    ltl__free(c->owned);
    ltl__free(c->seqs);
    ltl__free(c->entries);
    ltl__free(c->names);
    ltl__free(c->counts);
}

void ns_cell_unref(ltl_ns *ns, struct ns_cell *c)
{
    if (!c || c->embedded)
        return;
    if (atomic_fetch_sub(&c->refs, 1) != 1)
        return;
    if (c->accounted && ns)
        atomic_fetch_sub(&ns->bytes, c->bytes);
    cell_release_content(c);
    ltl__free(c);
}

void ns_cell_size(struct ns_cell *c)
{
    size_t b = c->embedded ? 0 : sizeof(*c);
    if (c->owned)
        b += c->len;
    b += c->nseqs * sizeof(uint64_t);
    b += c->nentries * (sizeof(struct ns_entry) + sizeof(uint64_t) * (c->counts != NULL));
    for (size_t i = 0; i < c->nentries; i++)
        b += c->entries[i].len + 1;
    c->bytes = b;
}

int ns_cell_set_names(struct ns_cell *c, char *names, size_t names_len, const uint8_t *kinds,
                      size_t n)
{
    struct ns_entry *e = n ? ltl__calloc(n, sizeof(*e)) : NULL;
    if (n && !e) {
        ltl__free(names);
        return ltl__errf(LTL_ENOMEM, "out of memory");
    }
    const char *p = names;
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(p);
        e[i] = (struct ns_entry){p, (uint32_t)len, kinds ? kinds[i] : (uint8_t)NS_FILE};
        p += len + 1;
    }
    LTL__UNUSED(names_len);
    c->names = names;
    c->entries = e;
    c->nentries = n;
    c->list = NS_LIST_NAMES;
    return LTL_OK;
}

static int name_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
    int r = memcmp(a, b, alen < blen ? alen : blen);
    if (r)
        return r;
    return alen < blen ? -1 : (alen > blen);
}

long ns_cell_find_name(const struct ns_cell *c, const char *name, size_t len)
{
    size_t lo = 0, hi = c->nentries;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int r = name_cmp(c->entries[mid].name, c->entries[mid].len, name, len);
        if (r == 0)
            return (long)mid;
        if (r < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

bool ns_cell_has_seq(const struct ns_cell *c, uint64_t seq)
{
    if (c->list == NS_LIST_RANGE)
        return seq >= c->lo && seq < c->hi;
    if (c->list != NS_LIST_SEQS)
        return false;
    size_t lo = 0, hi = c->nseqs;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (c->seqs[mid] == seq)
            return true;
        if (c->seqs[mid] < seq)
            lo = mid + 1;
        else
            hi = mid;
    }
    return false;
}

/* ---- frames ----------------------------------------------------------------------- */

void ns_frame_ref(struct ns_frame *f)
{
    atomic_fetch_add(&f->refs, 1);
}

static void push_if_last(struct ns_frame **dying, struct ns_frame *f)
{
    if (f && atomic_fetch_sub(&f->refs, 1) == 1) {
        f->ring_next = *dying;
        *dying = f;
    }
}

/* Frees iteratively: a chain of parents can be long (a deep JSON walk). */
void ns_frame_unref(ltl_ns *ns, struct ns_frame *f)
{
    struct ns_frame *dying = NULL;
    push_if_last(&dying, f);
    while (dying) {
        struct ns_frame *d = dying;
        dying = d->ring_next;
        push_if_last(&dying, d->parent);
        push_if_last(&dying, d->source);
        push_if_last(&dying, d->target);
        if (d->uni) {
            for (size_t i = 0; i < d->uni->n; i++)
                push_if_last(&dying, d->uni->members[i].frame);
            ltl__free(d->uni->members);
            ltl__free(d->uni->path);
            ltl__free(d->uni);
        }
        if (d->modules) {
            for (struct ns_reg *r = d->modules->regs, *next; r; r = next) {
                next = r->next;
                ltl__free(r);
            }
            ltl__free(d->modules);
        }
        struct ns_cell *c = atomic_load(&d->cell);
        if (c && c->embedded)
            cell_release_content(c);
        else if (c)
            ns_cell_unref(ns, c);
        atomic_fetch_sub(&ns->bytes, d->bytes);
        ltl__free(d);
    }
}

int ns_frame_new(ltl_ns *ns, struct ns_frame *parent, const char *name, size_t len,
                 struct ns_spec *spec, struct ns_frame **out)
{
    size_t copy = spec->copy ? spec->len : 0;
    size_t size = sizeof(struct ns_frame) + len + 1 + (spec->copy ? copy + 1 : 0);
    struct ns_frame *f = ltl__malloc(size);
    if (!f) {
        ltl__free(spec->owned);
        spec->owned = NULL;
        ns_cell_unref(NULL, spec->cell);
        spec->cell = NULL;
        return ltl__errf(LTL_ENOMEM, "out of memory");
    }
    memset(f, 0, sizeof(*f));
    memcpy(f->name, name, len);
    f->name[len] = '\0';
    f->name_len = (uint32_t)len;
    f->parent = parent;
    if (parent)
        ns_frame_ref(parent);
    f->source = spec->source;
    if (f->source)
        ns_frame_ref(f->source);
    f->tree = parent ? parent->tree : NULL;
    f->module = spec->module;
    f->hash = ns_hash(parent, name, len);
    f->seq = spec->seq;
    f->mtime = spec->mtime;
    f->kind = (uint8_t)spec->kind;
    f->policy = (uint8_t)spec->policy;
    f->flags = (uint8_t)spec->flags;
    f->json_type = spec->json_type;
    f->rflags = spec->rflags;
    atomic_init(&f->refs, 1);
    atomic_init(&f->referenced, 1);
    f->bytes = size;
    if (spec->kind == NS_FILE || spec->kind == NS_DIR) {
        struct ns_cell *c;
        if (spec->policy != NS_FIXED) {
            c = spec->cell;
            spec->cell = NULL;
            if (!c) {
                if (!(c = ns_cell_new())) {
                    ltl__free(f);
                    if (parent)
                        atomic_fetch_sub(&parent->refs, 1);
                    if (spec->source)
                        atomic_fetch_sub(&spec->source->refs, 1);
                    return ltl__errf(LTL_ENOMEM, "out of memory");
                }
                c->stamp = UINT64_MAX; /* never made: the first use syncs it */
            }
            ns_cell_size(c);
            c->accounted = true;
            atomic_fetch_add(&ns->bytes, c->bytes);
        } else {
            c = &f->inline_cell;
            c->embedded = true;
            c->has_data = spec->has_data;
            c->gen = f->tree ? atomic_load(&f->tree->seen_end) : 0;
            if (spec->copy) {
                char *dst = f->name + len + 1;
                if (copy)
                    memcpy(dst, spec->data, copy);
                dst[copy] = '\0';
                c->data = dst;
                c->len = copy;
            } else if (spec->owned) {
                c->owned = spec->owned;
                c->data = spec->owned;
                c->len = spec->len;
                f->bytes += spec->len;
                spec->owned = NULL;
            } else {
                c->data = spec->data;
                c->len = spec->len;
            }
            if (spec->cell) {
                /* a fixed listing (root): take its entries over */
                struct ns_cell *l = spec->cell;
                c->list = l->list;
                c->names = l->names;
                c->entries = l->entries;
                c->nentries = l->nentries;
                l->names = NULL;
                l->entries = NULL;
                ns_cell_unref(NULL, l);
                spec->cell = NULL;
                ns_cell_size(c);
                f->bytes += c->bytes;
            }
        }
        atomic_init(&f->cell, c);
    }
    ltl__free(spec->owned);
    spec->owned = NULL;
    atomic_fetch_add(&ns->bytes, f->bytes);
    uint64_t now = atomic_load(&ns->bytes), peak = atomic_load(&ns->peak_bytes);
    while (now > peak && !atomic_compare_exchange_weak(&ns->peak_bytes, &peak, now)) {
    }
    *out = f;
    return LTL_OK;
}

/* ---- the table (under ns->mu for changes) -------------------------------------------- */

static struct ns_table *table_new(size_t cap)
{
    struct ns_table *t = ltl__calloc(1, sizeof(*t) + cap * sizeof(t->slot[0]));
    if (t)
        t->mask = cap - 1;
    return t;
}

struct ns_frame *ns_table_find(ltl_ns *ns, const struct ns_frame *parent, const char *name,
                               size_t len, uint64_t hash)
{
    struct ns_table *t = atomic_load(&ns->table);
    size_t i = (size_t)hash & t->mask;
    for (size_t n = 0; n <= t->mask; n++, i = (i + 1) & t->mask) {
        struct ns_frame *f = atomic_load(&t->slot[i]);
        if (!f)
            return NULL;
        if (f != NS_TOMB && f->hash == hash && f->parent == parent && f->name_len == len &&
            memcmp(f->name, name, len) == 0)
            return f;
    }
    return NULL;
}

static void slot_put(struct ns_table *t, struct ns_frame *f)
{
    size_t i = (size_t)f->hash & t->mask;
    for (;;) {
        struct ns_frame *s = atomic_load_explicit(&t->slot[i], memory_order_relaxed);
        if (!s || s == NS_TOMB) {
            if (s == NS_TOMB)
                t->tombs--;
            atomic_store(&t->slot[i], f);
            t->used++;
            return;
        }
        i = (i + 1) & t->mask;
    }
}

static size_t slot_of(struct ns_table *t, const struct ns_frame *f)
{
    size_t i = (size_t)f->hash & t->mask;
    for (size_t n = 0; n <= t->mask; n++, i = (i + 1) & t->mask) {
        struct ns_frame *s = atomic_load_explicit(&t->slot[i], memory_order_relaxed);
        if (s == f)
            return i;
        if (!s)
            break;
    }
    return SIZE_MAX;
}

/* Rebuild the table with room for `live` frames at a load of at most 1/4;
 * the old one is retired (readers may be probing it). */
static int table_rebuild(ltl_ns *ns, size_t live)
{
    size_t cap = NS_TABLE_MIN;
    while (cap < live * 4)
        cap <<= 1;
    struct ns_table *old = atomic_load(&ns->table);
    struct ns_table *t = table_new(cap);
    if (!t)
        return ltl__errf(LTL_ENOMEM, "out of memory");
    for (size_t i = 0; i <= old->mask; i++) {
        struct ns_frame *f = atomic_load_explicit(&old->slot[i], memory_order_relaxed);
        if (f && f != NS_TOMB)
            slot_put(t, f);
    }
    atomic_store(&ns->table, t);
    old->limbo_next = ns->limbo_tables[0];
    ns->limbo_tables[0] = old;
    return LTL_OK;
}

static void ring_add(ltl_ns *ns, struct ns_frame *f)
{
    if (!ns->hand) {
        f->ring_next = f->ring_prev = f;
        ns->hand = f;
    } else {
        /* just behind the hand: the last to be looked at */
        struct ns_frame *h = ns->hand;
        f->ring_next = h;
        f->ring_prev = h->ring_prev;
        h->ring_prev->ring_next = f;
        h->ring_prev = f;
    }
    ns->ring_count++;
}

static void ring_remove(ltl_ns *ns, struct ns_frame *f)
{
    if (f->ring_next == f) {
        ns->hand = NULL;
    } else {
        f->ring_prev->ring_next = f->ring_next;
        f->ring_next->ring_prev = f->ring_prev;
        if (ns->hand == f)
            ns->hand = f->ring_next;
    }
    f->ring_next = f->ring_prev = NULL;
    ns->ring_count--;
}

int ns_insert(struct ns_walk *w, struct ns_frame *parent, const char *name, size_t len,
              struct ns_spec *spec, struct ns_frame **out)
{
    ltl_ns *ns = w->ns;
    struct ns_table *t = atomic_load(&ns->table);
    int rc;
    if ((t->used + t->tombs + 1) * 2 > t->mask + 1) {
        if ((rc = table_rebuild(ns, t->used + 1))) {
            ltl__free(spec->owned);
            spec->owned = NULL;
            ns_cell_unref(NULL, spec->cell);
            spec->cell = NULL;
            return rc;
        }
        t = atomic_load(&ns->table);
    }
    struct ns_frame *f;
    if ((rc = ns_frame_new(ns, parent, name, len, spec, &f)))
        return rc;
    if (spec->kind == NS_ALIAS) {
        f->target = spec->source;
        f->source = NULL; /* the reference taken for source now counts for target */
    }
    f->in_cache = true;
    if (!(f->flags & NSF_PINNED))
        ring_add(ns, f);
    slot_put(t, f); /* publishes it: readers may find it from now on */
    atomic_fetch_add(&ns->frames, 1);
    atomic_fetch_add(&ns->produced, 1);
    *out = f;
    return LTL_OK;
}

int ns_table_replace(ltl_ns *ns, struct ns_frame *old, struct ns_frame *f)
{
    struct ns_table *t = atomic_load(&ns->table);
    size_t i = slot_of(t, old);
    if (i == SIZE_MAX)
        return ltl__errf(LTL_EINVAL, "'%s' is not in the cache", old->name);
    f->in_cache = true;
    atomic_store(&t->slot[i], f);
    /* old leaves the cache; the union that replaces it keeps its own reference */
    if (old->ring_next)
        ring_remove(ns, old);
    old->in_cache = false;
    old->ring_next = ns->limbo_frames[0];
    ns->limbo_frames[0] = old;
    return LTL_OK;
}

void ns_evict(ltl_ns *ns, struct ns_frame *f)
{
    if (!f->in_cache)
        return;
    struct ns_table *t = atomic_load(&ns->table);
    size_t i = slot_of(t, f);
    if (i != SIZE_MAX) {
        atomic_store(&t->slot[i], NS_TOMB);
        t->used--;
        t->tombs++;
    }
    if (f->ring_next)
        ring_remove(ns, f);
    f->in_cache = false;
    atomic_fetch_sub(&ns->frames, 1);
    f->ring_next = ns->limbo_frames[0];
    ns->limbo_frames[0] = f;
}

void ns_set_cell(ltl_ns *ns, struct ns_frame *f, struct ns_cell *c)
{
    ns_cell_size(c);
    c->accounted = true;
    atomic_fetch_add(&ns->bytes, c->bytes);
    uint64_t now = atomic_load(&ns->bytes), peak = atomic_load(&ns->peak_bytes);
    while (now > peak && !atomic_compare_exchange_weak(&ns->peak_bytes, &peak, now)) {
    }
    struct ns_cell *old = atomic_exchange(&f->cell, c);
    if (old && !old->embedded) {
        old->limbo_next = ns->limbo_cells[0];
        ns->limbo_cells[0] = old;
    }
}

/* ---- grace periods ----------------------------------------------------------------- */

static void free_limbo(ltl_ns *ns, int which)
{
    struct ns_frame *f = ns->limbo_frames[which];
    ns->limbo_frames[which] = NULL;
    while (f) {
        struct ns_frame *next = f->ring_next;
        f->ring_next = NULL;
        ns_frame_unref(ns, f); /* the cache's reference */
        f = next;
    }
    struct ns_cell *c = ns->limbo_cells[which];
    ns->limbo_cells[which] = NULL;
    while (c) {
        struct ns_cell *next = c->limbo_next;
        ns_cell_unref(ns, c); /* the frame's reference */
        c = next;
    }
    struct ns_table *t = ns->limbo_tables[which];
    ns->limbo_tables[which] = NULL;
    while (t) {
        struct ns_table *next = t->limbo_next;
        ltl__free(t);
        t = next;
    }
}

bool ns_try_flip(ltl_ns *ns)
{
    int parity = atomic_load(&ns->parity), other = parity ^ 1;
    if (!ns->limbo_frames[0] && !ns->limbo_cells[0] && !ns->limbo_tables[0] &&
        !ns->limbo_frames[1] && !ns->limbo_cells[1] && !ns->limbo_tables[1])
        return true; /* nothing waits */
    for (unsigned s = 0; s < NS_SHARDS; s++)
        if (atomic_load(&ns->shards[s].active[other]) != 0)
            return false;
    free_limbo(ns, 1);
    ns->limbo_frames[1] = ns->limbo_frames[0];
    ns->limbo_cells[1] = ns->limbo_cells[0];
    ns->limbo_tables[1] = ns->limbo_tables[0];
    ns->limbo_frames[0] = NULL;
    ns->limbo_cells[0] = NULL;
    ns->limbo_tables[0] = NULL;
    atomic_store(&ns->parity, other);
    return true;
}

static size_t frame_footprint(struct ns_frame *f)
{
    size_t b = f->bytes;
    struct ns_cell *c = atomic_load_explicit(&f->cell, memory_order_relaxed);
    if (c && !c->embedded)
        b += c->bytes;
    return b;
}

void ns_cache_trim(ltl_ns *ns)
{
    ns_try_flip(ns);
    ns_try_flip(ns);
    size_t budget = 4 * ns->ring_count + 16;
    int idle_laps = 0;
    while (atomic_load(&ns->bytes) > ns->bound && ns->ring_count && budget) {
        uint64_t excess = atomic_load(&ns->bytes) - ns->bound, retired = 0;
        for (size_t lap = ns->ring_count; lap && budget && ns->hand && retired < excess;
             lap--, budget--) {
            struct ns_frame *f = ns->hand;
            ns->hand = f->ring_next;
            if (atomic_load(&f->refs) != 1)
                continue; /* pinned: held by a child, a transform, a node */
            if (atomic_exchange(&f->referenced, 0))
                continue; /* used since the hand last passed: a second chance */
            retired += frame_footprint(f);
            ns_evict(ns, f);
            atomic_fetch_add(&ns->evictions, 1);
        }
        /* what was retired is freed after two flips (when no reader is inside) */
        bool freed = ns_try_flip(ns) && ns_try_flip(ns);
        if (!freed)
            break;
        if (!retired && ++idle_laps >= 3)
            break;
    }
    /* a table much larger than what it holds shrinks */
    struct ns_table *t = atomic_load(&ns->table);
    if (t->mask + 1 > NS_TABLE_MIN * 4 && t->used * 16 < t->mask + 1)
        (void)table_rebuild(ns, t->used);
}

void ns_cache_flush(ltl_ns *ns)
{
    for (int round = 0; round < 1000 && ns->ring_count; round++) {
        size_t evicted = 0;
        struct ns_frame *f = ns->hand;
        for (size_t n = ns->ring_count; n && f; n--) {
            struct ns_frame *next = f->ring_next;
            if (atomic_load(&f->refs) == 1) {
                ns_evict(ns, f);
                evicted++;
            }
            f = ns->hand ? next : NULL;
        }
        atomic_fetch_add(&ns->evictions, evicted);
        if (!(ns_try_flip(ns) && ns_try_flip(ns)) || !evicted)
            break;
    }
}

int ns_cache_init(ltl_ns *ns)
{
    struct ns_table *t = table_new(NS_TABLE_MIN);
    if (!t)
        return ltl__errf(LTL_ENOMEM, "out of memory");
    atomic_init(&ns->table, t);
    return LTL_OK;
}

/* Everything goes, whatever the epochs: no reader may be left (ltl_ns_close). */
void ns_cache_free(ltl_ns *ns)
{
    struct ns_table *t = atomic_load(&ns->table);
    if (!t)
        return;
    for (size_t i = 0; i <= t->mask; i++) {
        struct ns_frame *f = atomic_load(&t->slot[i]);
        if (f && f != NS_TOMB) {
            atomic_store(&t->slot[i], NULL);
            f->in_cache = false;
            ns_frame_unref(ns, f);
        }
    }
    ns->hand = NULL;
    ns->ring_count = 0;
    free_limbo(ns, 1);
    free_limbo(ns, 0);
    ltl__free(t);
    atomic_store(&ns->table, NULL);
}
