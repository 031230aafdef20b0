/* SPDX-License-Identifier: MIT */
/*
 * query.h — the query language's internal interface (docs/QUERY.md is the
 * normative description of the language). The module parses query text into
 * an immutable tree, prints it back in a normalized form (for --explain and
 * tests), evaluates it against one record without building a document tree
 * (one streaming parse of the payload serves every term), and gives the
 * planner what it needs: a read-only view of the tree, the seq and time
 * ranges a query implies, and the typed values with an order-preserving byte
 * encoding that the index keys use, so that the index and the evaluator
 * agree by construction.
 *
 * Thread-safety: a parsed query is immutable and may be shared by threads.
 * A matcher (ltl__query_matcher) holds per-evaluation state: one per thread.
 */
#ifndef LTL_QUERY_QUERY_H
#define LTL_QUERY_QUERY_H

#include "core/core.h"
#include "json/json.h"

/* ---- limits ------------------------------------------------------------------------------- */

/* The longest query text accepted, in bytes. */
#define LTL__QUERY_MAX_LEN 65536
/* The deepest nesting of '(' and 'not' accepted (the parser and the evaluator recurse). */
#define LTL__QUERY_MAX_DEPTH 100
/* A regex whose repetitions would expand (inside regcomp) to more items is refused. */
#define LTL__QUERY_REGEX_MAX_ITEMS 10000
/* ---- the tree --------------------------------------------------------------------------- */

/* Node kinds. */
enum {
    LTL__QUERY_AND = 1, /* children[0..nchildren): all true (n >= 2; nested ANDs are merged) */
    LTL__QUERY_OR,      /* any true (n >= 2; nested ORs are merged) */
    LTL__QUERY_NOT,     /* children[0] false */
    LTL__QUERY_CMP,     /* path op values[0] */
    LTL__QUERY_IN,      /* path in [values[0..nvalues)] (nvalues may be 0) */
    LTL__QUERY_EXISTS,  /* exists path */
};

/* Comparison operators (CMP). */
enum {
    LTL__QUERY_EQ = 1, /* == (also written =) */
    LTL__QUERY_NE,     /* != : exists path and not path == value */
    LTL__QUERY_LT,
    LTL__QUERY_LE,
    LTL__QUERY_GT,
    LTL__QUERY_GE,
    LTL__QUERY_MATCH, /* ~ : values[0] is the pattern (a STRING) */
};

/* What a path addresses: the payload, or an envelope field. */
enum {
    LTL__QUERY_PAYLOAD = 0,
    LTL__QUERY_SEQ,      /* @seq: number (uint64) */
    LTL__QUERY_TS,       /* @ts: number, ns since the epoch (time literals become ns) */
    LTL__QUERY_TOPIC,    /* @topic: string */
    LTL__QUERY_USER,     /* @user: string; missing when the manifest is unknown */
    LTL__QUERY_HOST,     /* @host: string; missing when the manifest is unknown */
    LTL__QUERY_PID,      /* @pid: number; missing when the manifest is unknown */
    LTL__QUERY_MANIFEST, /* @manifest: number, seq of the manifest record that applies */
};

/* A node of a parsed query: a read-only view for the planner. Every pointer lives as long
 * as the query. */
typedef struct ltl__query_node {
    int kind;        /* LTL__QUERY_AND ... LTL__QUERY_EXISTS */
    uint32_t column; /* where the node's text starts in the query, in bytes from 1 */

    /* AND, OR, NOT */
    struct ltl__query_node **children;
    size_t nchildren;

    /* CMP, IN, EXISTS */
    int field;            /* LTL__QUERY_PAYLOAD or LTL__QUERY_SEQ ... */
    const char *path;     /* canonical path text: "authors[0].key", "" for the root, "@seq" */
    size_t path_len;      /* NUL-terminated too */
    const char *wildcard; /* the path with [] for every index: the index's path key */
    size_t wildcard_len;
    bool concrete; /* the path has a concrete index ([3]): index postings under `wildcard`
                      hold a superset of its matches (re-check) */
    int op;        /* CMP: LTL__QUERY_EQ ... LTL__QUERY_MATCH */
    const ltl__value *values; /* CMP: one; IN: nvalues */
    size_t nvalues;

    /* internal */
    void *regex;   /* MATCH: the compiled pattern (regex_t) */
    uint32_t term; /* leaf number, 0..nleaves-1 */
} ltl__query_node;

typedef struct ltl__query ltl__query;

/* Parse `len` bytes of query text. `now` (ns since the epoch) fixes relative times (-15m,
 * today). On failure *out is NULL and the message, recorded with ltl__errf, reads
 * "column N: what was expected, found what" (N in bytes from 1).
 * Returns LTL_OK; LTL_EPARSE (malformed, too long, too deep, bad regex or time); LTL_ENOMEM. */
int ltl__query_parse(ltl__query **out, const char *text, size_t len, int64_t now) LTL__WUR;

/* Free a query (NULL does nothing). */
void ltl__query_free(ltl__query *q);

/* The root of the tree (never NULL for a parsed query). Borrowed. */
const ltl__query_node *ltl__query_root(const ltl__query *q);

/* true when some term reads the payload (else the payload need not be read or decrypted). */
bool ltl__query_needs_payload(const ltl__query *q);

/* Append the normalized text of the query: canonical paths, `==` for `=`, strings quoted,
 * @ts values as RFC 3339 times, every and/or/not group in parentheses. Parsing it gives
 * the same tree (and the same text again). LTL_OK or LTL_ENOMEM. */
int ltl__query_format(ltl__buf *out, const ltl__query *q) LTL__WUR;

/* The same for one subtree (for --explain of residual terms). */
int ltl__query_node_format(ltl__buf *out, const ltl__query_node *node) LTL__WUR;

/* ---- seq and time ranges -----------------------------------------------------------------
 * The seq and ts ranges outside which no record can match, from the @seq and @ts
 * comparisons and `in` lists: AND intersects, OR takes the hull of its children, NOT and
 * everything else gives no bound. `@ts >= T1 and @ts < T2` gives ts_min = T1,
 * ts_max = T2 - 1. Bounds are inclusive; non-integer constants are rounded inward
 * (@seq < 2.5 gives seq_max 2). */
typedef struct ltl__query_range {
    bool empty; /* no record can match (e.g. @seq > 5 and @seq < 3): the rest is meaningless */
    uint64_t seq_min, seq_max; /* 0 .. UINT64_MAX when unbounded */
    int64_t ts_min, ts_max;    /* INT64_MIN .. INT64_MAX when unbounded */
} ltl__query_range;

void ltl__query_range_of(ltl__query_range *out, const ltl__query *q);
void ltl__query_node_range(ltl__query_range *out, const ltl__query_node *node);

/* ---- evaluation ---------------------------------------------------------------------------- */

/* One record, as the evaluator sees it. Strings are NUL-terminated; NULL means unknown
 * (the field is then missing: `exists @user` is false). */
typedef struct ltl__query_record {
    uint64_t seq;
    int64_t ts;
    const char *topic;
    const char *user;
    const char *host;
    int64_t pid;
    bool has_pid;
    uint64_t manifest;
    bool has_manifest;
    const void *payload; /* the JSON text, or NULL when the payload is not JSON (or is
                            encrypted and cannot be read): payload paths then hold nothing */
    size_t payload_len;
} ltl__query_record;

typedef struct ltl__query_matcher ltl__query_matcher;

/* A matcher: the state of evaluating `q` on records, reused from record to record (no
 * allocation per record once warm). `q` must outlive it. LTL_OK or LTL_ENOMEM. */
int ltl__query_matcher_new(ltl__query_matcher **out, const ltl__query *q) LTL__WUR;

/* Does `rec` match? Envelope terms are decided first; the payload is parsed (once, streaming,
 * collecting only the paths the query names) only when they do not decide, and the parse
 * stops as soon as the answer is known. Returns LTL_OK; LTL_EPARSE (the payload is not one
 * valid JSON document; message recorded); LTL_ENOMEM. */
int ltl__query_matcher_run(bool *out, ltl__query_matcher *m, const ltl__query_record *rec) LTL__WUR;

/* Free a matcher (NULL does nothing). */
void ltl__query_matcher_free(ltl__query_matcher *m);

/* One-off evaluation (a matcher made and freed inside). Returns as ltl__query_matcher_run. */
int ltl__query_match(bool *out, const ltl__query *q, const ltl__query_record *rec) LTL__WUR;

/* ---- inside the module ------------------------------------------------------------------ */

/* Whether x op v holds, for op LTL__QUERY_EQ, LT, LE, GT, GE (not NE: it is not a per-value
 * test). Values of different types never compare (false). */
bool ltl__query_holds(int op, const ltl__value *x, const ltl__value *v);

/* Compile a POSIX ERE (REG_EXTENDED | REG_NOSUB, C.UTF-8 locale). Patterns that would
 * make regcomp() expand hugely (repeated repetitions, more than LTL__QUERY_REGEX_MAX_ITEMS
 * items) and back-references are refused. *out is an allocated regex_t. LTL_OK;
 * LTL_EPARSE (the reason in err[0..errlen), no message recorded); LTL_ENOMEM. */
int ltl__query_regex_compile(void **out, const char *pattern, char *err, size_t errlen) LTL__WUR;
void ltl__query_regex_free(void *regex);
/* Does the pattern match somewhere in text[0..len)? */
bool ltl__query_regex_search(const void *regex, const char *text, size_t len);

/* Internal layout shared by parse.c, format.c, match.c and range.c. */
typedef struct ltl__query_slot {
    const char *path; /* canonical payload path */
    size_t path_len;
    const char *wildcard;
    size_t wildcard_len;
    const uint64_t *indexes; /* the path's index segments in order; UINT64_MAX for [] */
    size_t nindexes;
    bool concrete;   /* some index is concrete: check events' paths against indexes */
    uint32_t *terms; /* leaves on this path */
    size_t nterms;
} ltl__query_slot;

typedef struct ltl__query_group {
    const char *wildcard;
    size_t wildcard_len;
    uint64_t hash;
    uint32_t *slots; /* slots whose wildcard this is */
    size_t nslots;
} ltl__query_group;

struct ltl__query_regex_entry {
    struct ltl__query_regex_entry *next;
    void *regex;
};

struct ltl__query {
    struct ltl__query_arena *arena;         /* every allocation of the tree */
    struct ltl__query_regex_entry *regexes; /* compiled patterns, freed with the query */
    ltl__query_node *root;
    ltl__query_node **leaves;
    size_t nleaves;
    ltl__query_slot *slots;
    size_t nslots;
    ltl__query_group *groups;
    size_t ngroups;
    uint32_t *table; /* open addressing over groups by hash: group index + 1, 0 = empty */
    size_t table_mask;
    uint64_t wildcard_lens[5]; /* bit n: some group's wildcard is n bytes (n < 256); [4]: longer */
    bool needs_payload;
    bool needs_containers; /* exists or != on a payload path: container events are needed */
};

#endif /* LTL_QUERY_QUERY_H */
