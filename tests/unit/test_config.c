/* SPDX-License-Identifier: MIT */
/*
 * test_config.c — configuration layers: defaults, /etc, the user's file,
 * STORE/config, LTL_* variables, --config, flags; origins; errors that name
 * file and line; writing a key keeps the other lines; a lenient load that
 * reports bad lines instead of failing; checkpoint.origin checked as a name.
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *dir, *sys_cfg, *store;

static int setup(void **state)
{
    (void)state;
    dir = tu_tmpdir();
    sys_cfg = tu_path(dir, "etc-config");
    store = tu_path(dir, "store");
    char *xdg = tu_path(dir, "xdg");
    setenv("LTL_SYSTEM_CONFIG", sys_cfg, 1);
    setenv("XDG_CONFIG_HOME", xdg, 1);
    unsetenv("LTL_DURABILITY");
    unsetenv("LTL_SYNC_INTERVAL");
    unsetenv("LTL_SEGMENT_SIZE");
    free(xdg);
    return 0;
}

static void write_text(const char *path, const char *text)
{
    char *copy = strdup(path);
    char *slash = strrchr(copy, '/');
    *slash = '\0';
    char cmd[4200];
    snprintf(cmd, sizeof(cmd), "mkdir -p '%s'", copy);
    assert_int_equal(system(cmd), 0);
    free(copy);
    tu_write_file(path, text, strlen(text));
}

struct origin_check {
    const char *key;
    const char *origin;
    int found;
};

static int find_origin(void *ctx, const char *key, const char *value, const char *origin,
                       const char *help)
{
    (void)value;
    assert_non_null(help);
    struct origin_check *c = ctx;
    if (strcmp(key, c->key) == 0) {
        c->origin = origin;
        c->found++;
    }
    return 0;
}

static const char *origin_of(ltl_config *cfg, const char *key)
{
    static char buf[512];
    struct origin_check c = {key, NULL, 0};
    assert_int_equal(ltl_config_foreach(cfg, find_origin, &c), LTL_OK);
    assert_int_equal(c.found, 1);
    snprintf(buf, sizeof(buf), "%s", c.origin);
    return buf;
}

static void layers_in_order(void **state)
{
    (void)state;
    ltl_config *cfg;
    assert_int_equal(ltl_config_load(&cfg, store, NULL, NULL, 0), LTL_OK);
    assert_string_equal(ltl_config_get(cfg, "durability"), "safe");
    assert_string_equal(origin_of(cfg, "durability"), "default");
    assert_null(ltl_config_get(cfg, "no.such.key"));
    ltl_config_free(cfg);

    write_text(sys_cfg, "# system\ndurability = casual\nsync.interval=1s\n");
    char *user = tu_path(dir, "xdg/ltl/config");
    write_text(user, "durability = forgetful\n\n  segment.size = 1M  \n");
    char *store_cfg = tu_path(dir, "store/config");
    write_text(store_cfg, "durability = \"paranoid\"\n");
    assert_int_equal(ltl_config_load(&cfg, store, NULL, NULL, 0), LTL_OK);
    assert_string_equal(ltl_config_get(cfg, "durability"), "paranoid");
    assert_string_equal(origin_of(cfg, "durability"), store_cfg);
    assert_string_equal(ltl_config_get(cfg, "sync.interval"), "1s");
    assert_string_equal(origin_of(cfg, "sync.interval"), sys_cfg);
    assert_string_equal(origin_of(cfg, "segment.size"), user);
    int64_t n;
    assert_int_equal(ltl_config_get_number(cfg, "segment.size", &n), LTL_OK);
    assert_true(n == 1 << 20);
    assert_int_equal(ltl_config_get_number(cfg, "sync.interval", &n), LTL_OK);
    assert_true(n == 1000000000LL);
    assert_int_equal(ltl_config_get_number(cfg, "durability", &n), LTL_EINVAL);
    ltl_config_free(cfg);

    setenv("LTL_DURABILITY", "casual", 1);
    assert_int_equal(ltl_config_load(&cfg, store, NULL, NULL, 0), LTL_OK);
    assert_string_equal(ltl_config_get(cfg, "durability"), "casual");
    assert_string_equal(origin_of(cfg, "durability"), "env LTL_DURABILITY");
    ltl_config_free(cfg);

    assert_int_equal(ltl_config_load(&cfg, store, "durability=safe, sync.interval = 5ms", NULL, 0),
                     LTL_OK);
    assert_string_equal(ltl_config_get(cfg, "durability"), "safe");
    assert_string_equal(origin_of(cfg, "durability"), "--config");
    assert_string_equal(ltl_config_get(cfg, "sync.interval"), "5ms");
    ltl_config_free(cfg);

    assert_int_equal(ltl_config_load(&cfg, store, "durability=safe", "durability=forgetful", 0),
                     LTL_OK);
    assert_string_equal(ltl_config_get(cfg, "durability"), "forgetful");
    assert_string_equal(origin_of(cfg, "durability"), "flag");
    ltl_config_free(cfg);

    /* LTL_OPEN_NO_ENV: only defaults, the store's file and the overrides */
    assert_int_equal(ltl_config_load(&cfg, store, NULL, NULL, LTL_OPEN_NO_ENV), LTL_OK);
    assert_string_equal(ltl_config_get(cfg, "durability"), "paranoid");
    assert_string_equal(ltl_config_get(cfg, "sync.interval"), "100ms");
    ltl_config_free(cfg);
    unsetenv("LTL_DURABILITY");
    remove(sys_cfg);
    remove(user);
    remove(store_cfg);
    free(user);
    free(store_cfg);
}

static void errors_name_the_place(void **state)
{
    (void)state;
    ltl_config *cfg;
    write_text(sys_cfg, "durability = safe\n\ndurabilty = casual\n");
    assert_int_equal(ltl_config_load(&cfg, store, NULL, NULL, 0), LTL_ECONFIG);
    const char *msg = ltl_config_errmsg(cfg);
    assert_non_null(strstr(msg, sys_cfg));
    assert_non_null(strstr(msg, ":3:"));
    assert_non_null(strstr(msg, "did you mean 'durability'"));
    ltl_config_free(cfg);

    write_text(sys_cfg, "segment.size = huge\n");
    assert_int_equal(ltl_config_load(&cfg, store, NULL, NULL, 0), LTL_ECONFIG);
    assert_non_null(strstr(ltl_config_errmsg(cfg), "'huge' is not a size"));
    ltl_config_free(cfg);

    write_text(sys_cfg, "just words\n");
    assert_int_equal(ltl_config_load(&cfg, store, NULL, NULL, 0), LTL_ECONFIG);
    assert_non_null(strstr(ltl_config_errmsg(cfg), "expected key=value"));
    ltl_config_free(cfg);
    remove(sys_cfg);

    assert_int_equal(ltl_config_load(&cfg, store, "sync.interval=1h1", NULL, 0), LTL_ECONFIG);
    assert_non_null(strstr(ltl_config_errmsg(cfg), "--config"));
    ltl_config_free(cfg);
    assert_int_equal(ltl_config_load(&cfg, store, "segment.size=1K", NULL, 0), LTL_ECONFIG);
    assert_non_null(strstr(ltl_config_errmsg(cfg), "out of range"));
    ltl_config_free(cfg);
    setenv("LTL_SYNC_INTERVAL", "often", 1);
    assert_int_equal(ltl_config_load(&cfg, store, NULL, NULL, 0), LTL_ECONFIG);
    assert_non_null(strstr(ltl_config_errmsg(cfg), "env LTL_SYNC_INTERVAL"));
    ltl_config_free(cfg);
    unsetenv("LTL_SYNC_INTERVAL");
}

static void write_keeps_other_lines(void **state)
{
    (void)state;
    ltl_config *cfg;
    char *store_cfg = tu_path(dir, "store/config");
    write_text(store_cfg, "# my notes\nlog.level = info\ndurability = casual\ndurability = safe\n");
    assert_int_equal(ltl_config_load(&cfg, store, NULL, NULL, 0), LTL_OK);
    assert_int_equal(ltl_config_write(cfg, LTL_CONFIG_FILE_STORE, "durability", "paranoid"),
                     LTL_OK);
    char *text = tu_read_file(store_cfg, NULL);
    assert_string_equal(text, "# my notes\nlog.level = info\ndurability = paranoid\n");
    free(text);
    assert_int_equal(ltl_config_write(cfg, LTL_CONFIG_FILE_STORE, "log.level", NULL), LTL_OK);
    text = tu_read_file(store_cfg, NULL);
    assert_string_equal(text, "# my notes\ndurability = paranoid\n");
    free(text);
    assert_int_equal(ltl_config_write(cfg, LTL_CONFIG_FILE_STORE, "sync.interval", "2s"), LTL_OK);
    text = tu_read_file(store_cfg, NULL);
    assert_string_equal(text, "# my notes\ndurability = paranoid\nsync.interval = 2s\n");
    free(text);
    assert_int_equal(ltl_config_write(cfg, LTL_CONFIG_FILE_STORE, "durability", "fast"),
                     LTL_ECONFIG);
    assert_int_equal(ltl_config_write(cfg, LTL_CONFIG_FILE_STORE, "nope", "1"), LTL_ECONFIG);
    assert_int_equal(ltl_config_write(cfg, LTL_CONFIG_FILE_USER, "durability", "casual"), LTL_OK);
    ltl_config_free(cfg);
    assert_int_equal(ltl_config_load(&cfg, store, NULL, NULL, 0), LTL_OK);
    assert_string_equal(ltl_config_get(cfg, "durability"), "paranoid"); /* store beats user */
    assert_string_equal(ltl_config_get(cfg, "sync.interval"), "2s");
    ltl_config_free(cfg);
    free(store_cfg);
}

/* LTL_CONFIG_LENIENT: bad lines and variables are left out and reported, the rest
 * loads; a strict load of the same fails on the first. */
static void lenient_load_reports_bad_lines(void **state)
{
    (void)state;
    ltl_config *cfg;
    char *store_cfg = tu_path(dir, "store/config");
    write_text(sys_cfg, "durability = casual\n");
    write_text(store_cfg, "segment.size = huge\nsync.interval = 2s\nno equals sign\n"
                          "durabilty = safe\ncheckpoint.origin = a b\n");
    setenv("LTL_SEGMENT_SIZE", "tiny", 1);
    assert_int_equal(ltl_config_load(&cfg, store, NULL, NULL, 0), LTL_ECONFIG);
    assert_string_equal(ltl_config_warnings(cfg), "");
    ltl_config_free(cfg);
    assert_int_equal(ltl_config_load(&cfg, store, NULL, NULL, LTL_CONFIG_LENIENT), LTL_OK);
    const char *w = ltl_config_warnings(cfg);
    assert_non_null(strstr(w, ":1: segment.size: 'huge' is not a size"));
    assert_non_null(strstr(w, ":3: expected key=value"));
    assert_non_null(strstr(w, ":4: unknown config key 'durabilty'"));
    assert_non_null(strstr(w, ":5: checkpoint.origin \"a b\" contains a space"));
    assert_non_null(strstr(w, "env LTL_SEGMENT_SIZE"));
    size_t lines = 0;
    for (const char *p = w; *p; p++)
        lines += *p == '\n';
    assert_int_equal(lines, 5);
    /* the good lines, and the layers below the bad ones */
    assert_string_equal(ltl_config_get(cfg, "sync.interval"), "2s");
    assert_string_equal(ltl_config_get(cfg, "durability"), "casual");
    assert_string_equal(ltl_config_get(cfg, "segment.size"), "64M");
    assert_string_equal(ltl_config_get(cfg, "checkpoint.origin"), "");
    /* the fixes: set replaces the bad line, unset removes a misspelt key */
    assert_int_equal(ltl_config_write(cfg, LTL_CONFIG_FILE_STORE, "segment.size", "1M"), LTL_OK);
    assert_int_equal(ltl_config_write(cfg, LTL_CONFIG_FILE_STORE, "durabilty", NULL), LTL_OK);
    assert_int_equal(ltl_config_write(cfg, LTL_CONFIG_FILE_STORE, "durabilty", NULL), LTL_ECONFIG);
    assert_int_equal(ltl_config_write(cfg, LTL_CONFIG_FILE_STORE, "checkpoint.origin", NULL),
                     LTL_OK);
    ltl_config_free(cfg);
    char *text = tu_read_file(store_cfg, NULL);
    assert_string_equal(text, "segment.size = 1M\nsync.interval = 2s\nno equals sign\n");
    free(text);
    unsetenv("LTL_SEGMENT_SIZE");
    write_text(store_cfg, "segment.size = 1M\n");
    assert_int_equal(ltl_config_load(&cfg, store, NULL, NULL, 0), LTL_OK);
    ltl_config_free(cfg);
    /* --config stays strict: it is the command line of the call itself */
    assert_int_equal(ltl_config_load(&cfg, store, "sync.interval=soon", NULL, LTL_CONFIG_LENIENT),
                     LTL_ECONFIG);
    ltl_config_free(cfg);
    remove(store_cfg);
    remove(sys_cfg);
    free(store_cfg);
}

/* checkpoint.origin: the loader and ltl_config_write() refuse the same values (one
 * check), those a checkpoint's origin line cannot carry. */
static void origin_is_checked_as_a_name(void **state)
{
    (void)state;
    ltl_config *cfg;
    assert_int_equal(ltl_config_load(&cfg, store, NULL, NULL, 0), LTL_OK);
    static const char *const bad[] = {"a b", "a+b", "tab\there", "\xff\xfe"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(ltl_config_write(cfg, LTL_CONFIG_FILE_STORE, "checkpoint.origin", bad[i]),
                         LTL_ECONFIG);
        char over[64];
        snprintf(over, sizeof(over), "checkpoint.origin=%s", bad[i]);
        ltl_config *c2;
        assert_int_equal(ltl_config_load(&c2, store, over, NULL, 0), LTL_ECONFIG);
        assert_non_null(strstr(ltl_config_errmsg(c2), "checkpoint.origin"));
        ltl_config_free(c2);
    }
    char longest[300];
    memset(longest, 'x', sizeof(longest) - 1);
    longest[sizeof(longest) - 1] = '\0';
    assert_int_equal(ltl_config_write(cfg, LTL_CONFIG_FILE_STORE, "checkpoint.origin", longest),
                     LTL_ECONFIG);
    assert_int_equal(
        ltl_config_write(cfg, LTL_CONFIG_FILE_STORE, "checkpoint.origin", "example.com/log"),
        LTL_OK);
    assert_int_equal(ltl_config_write(cfg, LTL_CONFIG_FILE_STORE, "checkpoint.origin", ""), LTL_OK);
    ltl_config_free(cfg);
    assert_int_equal(ltl_config_load(&cfg, "", NULL, NULL, 0), LTL_EINVAL);
    ltl_config_free(cfg);
    char *store_cfg = tu_path(dir, "store/config");
    remove(store_cfg);
    free(store_cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(layers_in_order),
        cmocka_unit_test(errors_name_the_place),
        cmocka_unit_test(write_keeps_other_lines),
        cmocka_unit_test(lenient_load_reports_bad_lines),
        cmocka_unit_test(origin_is_checked_as_a_name),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
