/* SPDX-License-Identifier: MIT */
/*
 * config.c — configuration keys and their layers. Every key is declared
 * once in `keys[]` with its default, a checker and a help line; values are
 * resolved from the lowest layer up: defaults, /etc/ltl/config, the user's
 * $XDG_CONFIG_HOME/ltl/config, STORE/config, LTL_* environment variables,
 * the --config layer, explicit flags. Each value remembers its origin for
 * `ltl config list --origin`. Unknown keys and bad values are errors that
 * name the file and line: a typo must not silently do nothing.
 */
#include "core/config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

enum key_type { T_ENUM, T_DURATION, T_SIZE, T_LEVEL, T_STRING, T_NAME };

struct key_def {
    const char *name;
    enum key_type type;
    const char *def;
    const char *choices; /* T_ENUM: "a|b|c" */
    int64_t min, max;    /* T_DURATION (ns), T_SIZE (bytes) */
    const char *help;
};

/* Sorted by name: `ltl config list` prints them in this order. */
static const struct key_def keys[] = {
    {"checkpoint.interval", T_DURATION, "10m", NULL, 0, 7LL * 86400 * 1000000000LL,
     "how often a writer appends a checkpoint when records came in (0: only at close)"},
    {"checkpoint.origin", T_NAME, "", NULL, 0, 0,
     "the origin line of checkpoints, e.g. example.com/log (empty: ltl/<store id>)"},
    {"durability", T_ENUM, "safe", "forgetful|casual|safe|paranoid", 0, 0,
     "when an append is acknowledged: forgetful|casual|safe|paranoid (docs/DURABILITY.md)"},
    {"index.defer", T_ENUM, "off", "off|on", 0, 0,
     "on: a writer leaves indexing to the next writer (appends never wait for it)"},
    {"index.enabled", T_ENUM, "on", "on|off", 0, 0,
     "index every JSON field in STORE/index (off: queries scan the log)"},
    {"index.max_paths", T_SIZE, "10000", NULL, 1, 1LL << 32,
     "distinct paths indexed at most; further ones are not indexed (a warning)"},
    {"index.paths", T_STRING, "", NULL, 0, 0,
     "paths to index: globs on wildcard paths, '-' denies (\"*,-payload.*\"); empty: all"},
    {"keys.check", T_STRING, "", NULL, 0, 0,
     "check key file that verifies checkpoints (empty: derived from keys.write)"},
    {"keys.read", T_STRING, "", NULL, 0, 0,
     "read key file: payloads are encrypted with it, and decrypted for readers that have it"},
    {"keys.write", T_STRING, "", NULL, 0, 0,
     "write key file (mode 0600) that signs checkpoints (empty: checkpoints are unsigned)"},
    {"log.level", T_LEVEL, "warn", "off|error|warn|info|debug|trace", 0, 0,
     "diagnostics threshold: off|error|warn|info|debug|trace"},
    {"message.max_size", T_SIZE, "16M", NULL, 1, 1LL << 30,
     "largest message accepted, in bytes (K/M/G suffixes), at most 1G"},
    {"ns.cache_size", T_SIZE, "64M", NULL, 64 << 10, 1LL << 40,
     "bound of the namespace's frame cache (docs/NAMESPACE.md), 64K..1T"},
    {"ns.modules", T_STRING, "", NULL, 0, 0,
     "plugin modules for the namespace: shared objects, FILE[@/PATH],... (docs/NAMESPACE.md)"},
    {"segment.size", T_SIZE, "64M", NULL, 64 << 10, 1LL << 32,
     "preallocated size of each segment file (64K..4G)"},
    {"sync.interval", T_DURATION, "100ms", NULL, 1000000LL, 3600LL * 1000000000LL,
     "longest delay before buffered records are written and synced (1ms..1h)"},
    {"verify.on_open", T_ENUM, "none", "none|tail|full", 0, 0,
     "what a writer verifies when it opens: none|tail (since the last checkpoint)|full"},
};

#define NKEYS LTL__ARRAY_LEN(keys)

struct ltl_config {
    char *value[NKEYS];
    char *origin[NKEYS];
    char *files[4]; /* indexed by LTL_CONFIG_FILE_* */
    char *store_path;
    bool lenient;      /* LTL_CONFIG_LENIENT: bad lines are skipped and noted */
    ltl__buf warnings; /* what a lenient load skipped, a line each */
};

static int find_key(const char *name, size_t len)
{
    for (size_t i = 0; i < NKEYS; i++)
        if (strlen(keys[i].name) == len && memcmp(keys[i].name, name, len) == 0)
            return (int)i;
    return -1;
}

/* Levenshtein distance, for "did you mean". Short strings only. */
static size_t edit_distance(const char *a, size_t la, const char *b)
{
    size_t lb = strlen(b), prev[64], cur[64];
    if (la >= 63 || lb >= 63)
        return 99;
    for (size_t j = 0; j <= lb; j++)
        prev[j] = j;
    for (size_t i = 1; i <= la; i++) {
        cur[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
            size_t del = prev[j] + 1, ins = cur[j - 1] + 1;
            cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
        }
        memcpy(prev, cur, sizeof(prev));
    }
    return prev[lb];
}

static int unknown_key(const char *where, const char *name, size_t len)
{
    const char *best = NULL;
    size_t best_d = 3;
    for (size_t i = 0; i < NKEYS; i++) {
        size_t d = edit_distance(name, len, keys[i].name);
        if (d < best_d) {
            best_d = d;
            best = keys[i].name;
        }
    }
    if (best)
        return ltl__errf(LTL_ECONFIG, "%s: unknown config key '%.*s' (did you mean '%s'?)", where,
                         (int)len, name, best);
    return ltl__errf(LTL_ECONFIG, "%s: unknown config key '%.*s' (see 'ltl config list')", where,
                     (int)len, name);
}

static bool enum_has(const char *choices, const char *v)
{
    size_t n = strlen(v);
    for (const char *p = choices; *p;) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        if (len == n && memcmp(p, v, n) == 0)
            return true;
        p += len + (bar != NULL);
    }
    return false;
}

/* The one check of a value, for the loader and for ltl_config_write() alike. */
static int check_value(const char *where, int k, const char *v)
{
    const struct key_def *d = &keys[k];
    int64_t x;
    switch (d->type) {
    case T_STRING:
        return LTL_OK;
    case T_NAME: {
        /* empty: the default; else what a checkpoint's origin line may be */
        if (!v[0] || ltl__name_check(v, strlen(v), d->name) == LTL_OK)
            return LTL_OK;
        char why[512];
        snprintf(why, sizeof(why), "%s", ltl__err_current());
        ltl__err_restate();
        return ltl__errf(LTL_ECONFIG, "%s: %s; an origin is a name like example.com/log", where,
                         why);
    }
    case T_ENUM:
    case T_LEVEL:
        if (!enum_has(d->choices, v))
            return ltl__errf(LTL_ECONFIG, "%s: %s: '%s' is not one of %s", where, d->name, v,
                             d->choices);
        return LTL_OK;
    case T_DURATION:
        x = ltl__duration_parse(v);
        if (x < 0)
            return ltl__errf(LTL_ECONFIG, "%s: %s: '%s' is not a duration (like 100ms, 2s, 1m)",
                             where, d->name, v);
        break;
    case T_SIZE:
        x = ltl__size_parse(v);
        if (x < 0)
            return ltl__errf(LTL_ECONFIG, "%s: %s: '%s' is not a size (like 4096, 64K, 16M, 1G)",
                             where, d->name, v);
        break;
    default:
        return LTL_ECONFIG;
    }
    if (x < d->min || x > d->max)
        return ltl__errf(LTL_ECONFIG, "%s: %s: '%s' is out of range", where, d->name, v);
    return LTL_OK;
}

static int set_value(ltl_config *cfg, int k, const char *v, size_t vlen, const char *origin)
{
    char *nv = ltl__strndup(v, vlen);
    char *no = ltl__strdup(origin);
    if (!nv || !no) {
        ltl__free(nv);
        ltl__free(no);
        return ltl__errf(LTL_ENOMEM, "out of memory");
    }
    ltl__free(cfg->value[k]);
    ltl__free(cfg->origin[k]);
    cfg->value[k] = nv;
    cfg->origin[k] = no;
    return LTL_OK;
}

static void trim(const char **s, const char **e)
{
    while (*s < *e && isspace((unsigned char)**s))
        (*s)++;
    while (*e > *s && isspace((unsigned char)(*e)[-1]))
        (*e)--;
}

/* Apply one "key=value" assignment (text [s, e)); `where` names it for errors. */
static int apply_assignment(ltl_config *cfg, const char *s, const char *e, const char *where,
                            const char *origin)
{
    const char *eq = memchr(s, '=', (size_t)(e - s));
    if (!eq)
        return ltl__errf(LTL_ECONFIG, "%s: expected key=value, got '%.*s'", where, (int)(e - s), s);
    const char *ks = s, *ke = eq, *vs = eq + 1, *ve = e;
    trim(&ks, &ke);
    trim(&vs, &ve);
    if (ve - vs >= 2 && *vs == '"' && ve[-1] == '"') {
        vs++;
        ve--;
    }
    int k = find_key(ks, (size_t)(ke - ks));
    if (k < 0)
        return unknown_key(where, ks, (size_t)(ke - ks));
    char *v = ltl__strndup(vs, (size_t)(ve - vs));
    if (!v)
        return ltl__errf(LTL_ENOMEM, "out of memory");
    int rc = check_value(where, k, v);
    if (rc == LTL_OK)
        rc = set_value(cfg, k, v, strlen(v), origin);
    ltl__free(v);
    return rc;
}

/* A lenient load notes a bad line or value and goes on without it. */
static int skip_or_fail(ltl_config *cfg, int rc)
{
    if (rc != LTL_ECONFIG || !cfg->lenient)
        return rc;
    const char *why = ltl__err_current();
    bool nomem = ltl__buf_append(&cfg->warnings, why, strlen(why)) ||
                 ltl__buf_append(&cfg->warnings, "\n", 1) || ltl__buf_reserve(&cfg->warnings, 1);
    if (!nomem)
        cfg->warnings.data[cfg->warnings.len] = '\0';
    ltl__err_restate();
    return nomem ? ltl__errf(LTL_ENOMEM, "out of memory") : LTL_OK;
}

/* Read one config file layer; a missing file is no error. */
static int load_file(ltl_config *cfg, const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        if (errno == ENOENT || errno == ENOTDIR)
            return LTL_OK;
        return ltl__err_sys(errno, "open config file %s", path);
    }
    char line[4096];
    int rc = LTL_OK;
    for (int lineno = 1; fgets(line, sizeof(line), f); lineno++) {
        const char *s = line, *e = line + strlen(line);
        if (e > s && e[-1] != '\n' && !feof(f)) {
            int c;
            while ((c = fgetc(f)) != EOF && c != '\n') {
                /* the rest of the long line */
            }
            if ((rc = skip_or_fail(cfg,
                                   ltl__errf(LTL_ECONFIG, "%s:%d: line too long", path, lineno))))
                break;
            continue;
        }
        trim(&s, &e);
        if (s == e || *s == '#')
            continue;
        char where[4200];
        snprintf(where, sizeof(where), "%s:%d", path, lineno);
        rc = skip_or_fail(cfg, apply_assignment(cfg, s, e, where, path));
        if (rc)
            break;
    }
    if (rc == LTL_OK && ferror(f))
        rc = ltl__err_sys(EIO, "read config file %s", path);
    fclose(f);
    return rc;
}

/* Apply "k=v,k=v" (commas inside values escaped as "\,"). */
static int load_overrides(ltl_config *cfg, const char *text, const char *origin)
{
    if (!text)
        return LTL_OK;
    size_t n = strlen(text);
    char *item = ltl__malloc(n + 1);
    if (!item)
        return ltl__errf(LTL_ENOMEM, "out of memory");
    int rc = LTL_OK;
    const char *p = text;
    while (*p && rc == LTL_OK) {
        size_t len = 0;
        while (*p && *p != ',') {
            if (*p == '\\' && p[1] == ',')
                p++;
            item[len++] = *p++;
        }
        if (*p == ',')
            p++;
        const char *s = item, *e = item + len;
        trim(&s, &e);
        if (s != e)
            rc = apply_assignment(cfg, s, e, origin, origin);
    }
    ltl__free(item);
    return rc;
}

static void env_name(char *out, size_t cap, const char *key)
{
    size_t i = 0;
    i += (size_t)snprintf(out, cap, "LTL_");
    for (const char *k = key; *k && i + 1 < cap; k++)
        out[i++] = *k == '.' ? '_' : (char)toupper((unsigned char)*k);
    out[i] = '\0';
}

char *ltl__default_store_path(void)
{
    const char *env = getenv("LTL_STORE");
    if (env && *env)
        return ltl__strdup(env);
    const char *xdg = getenv("XDG_DATA_HOME");
    if (xdg && *xdg == '/')
        return ltl__sprintf("%s/ltl/default", xdg);
    const char *home = getenv("HOME");
    if (home && *home)
        return ltl__sprintf("%s/.local/share/ltl/default", home);
    return NULL;
}

static char *user_config_path(void)
{
    const char *xdg = getenv("XDG_CONFIG_HOME");
    if (xdg && *xdg == '/')
        return ltl__sprintf("%s/ltl/config", xdg);
    const char *home = getenv("HOME");
    if (home && *home)
        return ltl__sprintf("%s/.config/ltl/config", home);
    return NULL;
}

int ltl__config_load(ltl_config **out, const char *store_path, const char *overrides,
                     const char *flag_overrides, unsigned int flags)
{
    int rc = LTL_OK;
    ltl_config *cfg = ltl__calloc(1, sizeof(*cfg));
    *out = cfg;
    if (!cfg)
        return ltl__errf(LTL_ENOMEM, "out of memory");
    cfg->lenient = flags & LTL_CONFIG_LENIENT;
    for (size_t k = 0; k < NKEYS; k++) {
        rc = set_value(cfg, (int)k, keys[k].def, strlen(keys[k].def), "default");
        if (rc)
            return rc;
    }
    if (store_path && !store_path[0])
        return ltl__errf(LTL_EINVAL, "the store path is empty (NULL means the default store)");
    cfg->store_path = store_path ? ltl__strdup(store_path) : ltl__default_store_path();
    if (!cfg->store_path)
        return store_path ? ltl__errf(LTL_ENOMEM, "out of memory")
                          : ltl__errf(LTL_EINVAL, "no store given and neither LTL_STORE, "
                                                  "XDG_DATA_HOME nor HOME is set");
    const char *sys = getenv("LTL_SYSTEM_CONFIG");
    cfg->files[LTL_CONFIG_FILE_SYSTEM] = ltl__strdup(sys && *sys ? sys : "/etc/ltl/config");
    cfg->files[LTL_CONFIG_FILE_USER] = user_config_path();
    cfg->files[LTL_CONFIG_FILE_STORE] = ltl__sprintf("%s/config", cfg->store_path);
    if (!cfg->files[LTL_CONFIG_FILE_SYSTEM] || !cfg->files[LTL_CONFIG_FILE_STORE])
        return ltl__errf(LTL_ENOMEM, "out of memory");

    bool env = !(flags & LTL_OPEN_NO_ENV);
    if (env && (rc = load_file(cfg, cfg->files[LTL_CONFIG_FILE_SYSTEM])))
        return rc;
    if (env && cfg->files[LTL_CONFIG_FILE_USER] &&
        (rc = load_file(cfg, cfg->files[LTL_CONFIG_FILE_USER])))
        return rc;
    if ((rc = load_file(cfg, cfg->files[LTL_CONFIG_FILE_STORE])))
        return rc;
    for (size_t k = 0; env && k < NKEYS; k++) {
        char name[80], origin[96];
        env_name(name, sizeof(name), keys[k].name);
        const char *v = getenv(name);
        if (!v)
            continue;
        snprintf(origin, sizeof(origin), "env %s", name);
        if ((rc = check_value(origin, (int)k, v)) == LTL_OK)
            rc = set_value(cfg, (int)k, v, strlen(v), origin);
        if ((rc = skip_or_fail(cfg, rc)))
            return rc;
    }
    if ((rc = load_overrides(cfg, overrides, "--config")))
        return rc;
    return load_overrides(cfg, flag_overrides, "flag");
}

void ltl__config_free(ltl_config *cfg)
{
    if (!cfg)
        return;
    for (size_t k = 0; k < NKEYS; k++) {
        ltl__free(cfg->value[k]);
        ltl__free(cfg->origin[k]);
    }
    for (size_t i = 0; i < LTL__ARRAY_LEN(cfg->files); i++)
        ltl__free(cfg->files[i]);
    ltl__free(cfg->store_path);
    ltl__buf_free(&cfg->warnings);
    ltl__free(cfg);
}

const char *ltl__config_str(const ltl_config *cfg, const char *key)
{
    int k = find_key(key, strlen(key));
    return k < 0 ? NULL : cfg->value[k];
}

int ltl__config_values(struct ltl__config_values *out, const ltl_config *cfg)
{
    static const char *const modes[] = {"", "forgetful", "casual", "safe", "paranoid"};
    const char *d = ltl__config_str(cfg, "durability");
    out->durability = LTL_SAFE;
    for (int m = LTL_FORGETFUL; m <= LTL_PARANOID; m++)
        if (strcmp(d, modes[m]) == 0)
            out->durability = m;
    out->sync_interval_ns = ltl__duration_parse(ltl__config_str(cfg, "sync.interval"));
    out->segment_size = (uint64_t)ltl__size_parse(ltl__config_str(cfg, "segment.size"));
    out->message_max = (uint64_t)ltl__size_parse(ltl__config_str(cfg, "message.max_size"));
    out->log_level = ltl__log_level_parse(ltl__config_str(cfg, "log.level"));
    out->checkpoint_interval_ns = ltl__duration_parse(ltl__config_str(cfg, "checkpoint.interval"));
    out->checkpoint_origin = ltl__config_str(cfg, "checkpoint.origin");
    out->key_write = ltl__config_str(cfg, "keys.write");
    out->key_check = ltl__config_str(cfg, "keys.check");
    out->key_read = ltl__config_str(cfg, "keys.read");
    out->index_enabled = strcmp(ltl__config_str(cfg, "index.enabled"), "on") == 0;
    out->index_defer = strcmp(ltl__config_str(cfg, "index.defer"), "on") == 0;
    out->index_paths = ltl__config_str(cfg, "index.paths");
    out->index_max_paths = (uint64_t)ltl__size_parse(ltl__config_str(cfg, "index.max_paths"));
    const char *v = ltl__config_str(cfg, "verify.on_open");
    out->verify_on_open = strcmp(v, "full") == 0 ? 2 : strcmp(v, "tail") == 0 ? 1 : 0;
    /* FNV-1a over "key=value\n" lines: a cheap fingerprint for the manifest */
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t k = 0; k < NKEYS; k++) {
        const char *parts[3] = {keys[k].name, "=", cfg->value[k]};
        for (int p = 0; p < 3; p++)
            for (const char *c = parts[p]; *c; c++)
                h = (h ^ (unsigned char)*c) * 0x100000001b3ULL;
        h = (h ^ '\n') * 0x100000001b3ULL;
    }
    out->digest = h;
    return LTL_OK;
}

const char *ltl__config_store_path(const ltl_config *cfg)
{
    return cfg->store_path;
}

/* ---- public API ---------------------------------------------------------- */

int ltl_config_load(ltl_config **out, const char *store_path, const char *overrides,
                    const char *flag_overrides, unsigned int flags)
{
    ltl__err_begin();
    if (!out)
        return LTL_EINVAL;
    int rc = ltl__config_load(out, store_path, overrides, flag_overrides, flags);
    return ltl__err_end(*out, rc);
}

void ltl_config_free(ltl_config *cfg)
{
    ltl__config_free(cfg);
}

const char *ltl_config_errmsg(const ltl_config *cfg)
{
    return ltl__err_message(cfg);
}

const char *ltl_config_warnings(const ltl_config *cfg)
{
    return cfg && cfg->warnings.len ? cfg->warnings.data : "";
}

const char *ltl_config_get(const ltl_config *cfg, const char *key)
{
    return cfg && key ? ltl__config_str(cfg, key) : NULL;
}

int ltl_config_get_number(const ltl_config *cfg, const char *key, int64_t *out)
{
    if (!cfg || !key || !out)
        return LTL_EINVAL;
    int k = find_key(key, strlen(key));
    if (k < 0)
        return LTL_ENOTFOUND;
    if (keys[k].type == T_SIZE)
        *out = ltl__size_parse(cfg->value[k]);
    else if (keys[k].type == T_DURATION)
        *out = ltl__duration_parse(cfg->value[k]);
    else
        return LTL_EINVAL;
    return LTL_OK;
}

int ltl_config_foreach(const ltl_config *cfg, ltl_config_fn fn, void *ctx)
{
    if (!cfg || !fn)
        return LTL_EINVAL;
    for (size_t k = 0; k < NKEYS; k++) {
        int r = fn(ctx, keys[k].name, cfg->value[k], cfg->origin[k], keys[k].help);
        if (r)
            return r;
    }
    return LTL_OK;
}

const char *ltl_config_file(const ltl_config *cfg, int which)
{
    if (!cfg || which < LTL_CONFIG_FILE_SYSTEM || which > LTL_CONFIG_FILE_STORE)
        return NULL;
    return cfg->files[which];
}

/* mkdir -p of the directory part of path. */
static int make_parent_dirs(const char *path)
{
    char *dir = ltl__strdup(path);
    if (!dir)
        return ltl__errf(LTL_ENOMEM, "out of memory");
    int rc = LTL_OK;
    for (char *p = dir + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
            rc = ltl__err_sys(errno, "mkdir %s", dir);
            break;
        }
        *p = '/';
    }
    ltl__free(dir);
    return rc;
}

/* Set key to value in the file at path (value NULL: remove its lines). With
 * only_if_found, a file without a line of key is left as it is (*found false). */
static int write_config_file(const char *path, const char *key, const char *value,
                             bool only_if_found, bool *found)
{
    ltl__buf text = {0};
    char *tmp = NULL;
    int rc = LTL_OK, fd = -1;
    bool written = false;
    FILE *f = fopen(path, "r");
    if (!f && errno != ENOENT)
        return ltl__err_sys(errno, "open %s", path);
    if (f) {
        char line[4096];
        while (fgets(line, sizeof(line), f)) {
            const char *s = line, *e = line + strlen(line);
            trim(&s, &e);
            const char *eq = memchr(s, '=', (size_t)(e - s));
            if (s != e && *s != '#' && eq) {
                const char *ke = eq;
                trim(&s, &ke);
                if ((size_t)(ke - s) == strlen(key) && memcmp(s, key, (size_t)(ke - s)) == 0) {
                    if (value && !written) /* replace the first, drop duplicates */
                        rc = ltl__buf_appendf(&text, "%s = %s\n", key, value);
                    written = true;
                    if (rc)
                        break;
                    continue;
                }
            }
            if ((rc = ltl__buf_append(&text, line, strlen(line))))
                break;
        }
        fclose(f);
        if (rc)
            goto out;
    }
    *found = written;
    if (only_if_found && !written)
        goto out;
    if (value && !written && (rc = ltl__buf_appendf(&text, "%s = %s\n", key, value)))
        goto out;
    if ((rc = make_parent_dirs(path)))
        goto out;
    tmp = ltl__sprintf("%s.tmp.%ld", path, (long)getpid());
    if (!tmp) {
        rc = ltl__errf(LTL_ENOMEM, "out of memory");
        goto out;
    }
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        rc = ltl__err_sys(errno, "create %s", tmp);
        goto out;
    }
    for (size_t done = 0; done < text.len;) {
        ssize_t n = write(fd, text.data + done, text.len - done);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            rc = ltl__err_sys(errno, "write %s", tmp);
            goto out;
        }
        done += (size_t)n;
    }
    if (fsync(fd) < 0) {
        rc = ltl__err_sys(errno, "fsync %s", tmp);
        goto out;
    }
    if (close(fd) < 0) {
        fd = -1;
        rc = ltl__err_sys(errno, "close %s", tmp);
        goto out;
    }
    fd = -1;
    if (rename(tmp, path) < 0) {
        rc = ltl__err_sys(errno, "rename %s to %s", tmp, path);
        goto out;
    }
out:
    if (fd >= 0)
        close(fd);
    if (rc && tmp)
        unlink(tmp);
    ltl__free(tmp);
    ltl__buf_free(&text);
    return rc;
}

int ltl_config_write(ltl_config *cfg, int which, const char *key, const char *value)
{
    ltl__err_begin();
    if (!cfg || !key)
        return LTL_EINVAL;
    const char *path = ltl_config_file(cfg, which);
    if (!path)
        return ltl__err_end(cfg, ltl__errf(LTL_EINVAL, "no such config file layer"));
    int k = find_key(key, strlen(key));
    bool found = false;
    int rc = LTL_OK;
    if (k < 0 && !value) {
        /* a line of an unknown key (a typo) can be removed: that is how it is fixed */
        rc = write_config_file(path, key, NULL, true, &found);
        if (rc == LTL_OK && !found)
            rc = unknown_key(path, key, strlen(key));
        return ltl__err_end(cfg, rc);
    }
    if (k < 0)
        return ltl__err_end(cfg, unknown_key(path, key, strlen(key)));
    if (value && (rc = check_value(path, k, value)))
        return ltl__err_end(cfg, rc);
    if (value && strchr(value, '\n'))
        return ltl__err_end(cfg, ltl__errf(LTL_ECONFIG, "%s: a value cannot hold a newline", path));
    rc = write_config_file(path, key, value, false, &found);
    if (rc == LTL_OK && value)
        rc = set_value(cfg, k, value, strlen(value), path);
    return ltl__err_end(cfg, rc);
}
