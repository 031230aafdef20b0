/* SPDX-License-Identifier: MIT */
/*
 * fuzz_query.c — libFuzzer target for the query module. The input's first
 * line is a query, the rest a payload. A query that parses must print a
 * normalized text that parses back to the same text; evaluating it on the
 * payload must not fail except with LTL_EPARSE (payload not JSON), and give
 * the same answer for the normalized query; every constant's index key must
 * describe itself. Built by tests/query/CMakeLists.txt when clang has
 * libFuzzer; `query_fuzz_short` runs it for a few seconds from tests/query/seeds.
 */
#include "query/query.h"

#include <stdlib.h>
#include <string.h>

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            abort();                                                                               \
    } while (0)

static void check_keys(const ltl__query_node *node)
{
    for (size_t i = 0; i < node->nchildren; i++)
        check_keys(node->children[i]);
    ltl__buf key = {0}, text = {0};
    for (size_t i = 0; i < node->nvalues; i++) {
        key.len = text.len = 0;
        CHECK(ltl__value_key(&key, &node->values[i]) == LTL_OK);
        CHECK(key.len <= LTL__KEY_MAX);
        CHECK(ltl__key_describe(&text, key.data, key.len) == LTL_OK);
    }
    ltl__buf_free(&key);
    ltl__buf_free(&text);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    const char *text = (const char *)data;
    const char *nl = memchr(text, '\n', size);
    size_t qlen = nl ? (size_t)(nl - text) : size;
    ltl__query *q = NULL, *q2 = NULL;
    ltl__buf a = {0}, b = {0};
    ltl__err_begin();
    if (ltl__query_parse(&q, text, qlen, 1795257000000000000LL) != LTL_OK)
        return 0;
    CHECK(ltl__query_format(&a, q) == LTL_OK);
    CHECK(ltl__query_parse(&q2, a.data, a.len, 1795257000000000000LL) == LTL_OK);
    CHECK(ltl__query_format(&b, q2) == LTL_OK);
    CHECK(a.len == b.len && memcmp(a.data, b.data, a.len) == 0);
    check_keys(ltl__query_root(q));
    ltl__query_range range;
    ltl__query_range_of(&range, q);

    ltl__query_record rec = {.seq = 5, .ts = 1795257000000000000LL, .topic = "app", .user = "u"};
    rec.payload = nl ? nl + 1 : NULL;
    rec.payload_len = nl ? size - qlen - 1 : 0;
    bool yes = false, yes2 = false;
    int rc = ltl__query_match(&yes, q, &rec);
    CHECK(rc == LTL_OK || rc == LTL_EPARSE);
    int rc2 = ltl__query_match(&yes2, q2, &rec);
    CHECK(rc2 == rc && (rc != LTL_OK || yes == yes2));
    if (yes)
        CHECK(!range.empty && rec.seq >= range.seq_min && rec.seq <= range.seq_max &&
              rec.ts >= range.ts_min && rec.ts <= range.ts_max);
    ltl__query_free(q);
    ltl__query_free(q2);
    ltl__buf_free(&a);
    ltl__buf_free(&b);
    return 0;
}
