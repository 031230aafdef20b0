/* SPDX-License-Identifier: MIT */
/*
 * fuzz_unflatten.c — libFuzzer target for unflatten: any bytes as flat text
 * (format from the first byte, 0 = detect), whole and pushed in chunks. It
 * must never crash, both ways must agree, and what it returns must be valid
 * JSON (one document per line).
 */
#include "json/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(c)                                                                                   \
    do {                                                                                           \
        if (!(c)) {                                                                                \
            fprintf(stderr, "check failed: %s (%s:%d)\n", #c, __FILE__, __LINE__);                 \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

static int collect(void *ctx, const void *data, size_t len)
{
    return ltl__buf_append(ctx, data, len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    int format = data[0] % 5;
    size_t chunk = (size_t)(data[0] / 5 % 13) + 1;
    data++;
    size--;
    char *out = NULL;
    size_t len = 0;
    int rc = ltl_json_unflatten(&out, &len, data, size, format, NULL);

    ltl__buf got = {0};
    ltl_json_unflattener *u;
    CHECK(ltl_json_unflattener_new(&u, format, collect, &got) == LTL_OK);
    int rc2 = LTL_OK;
    for (size_t i = 0; i < size && rc2 == LTL_OK; i += chunk)
        rc2 = ltl_json_unflattener_feed(u, data + i, i + chunk > size ? size - i : chunk);
    if (rc2 == LTL_OK)
        rc2 = ltl_json_unflattener_finish(u);
    ltl_json_unflattener_free(u);
    CHECK(rc == rc2);
    if (rc == LTL_OK) {
        CHECK(got.len == len && (len == 0 || memcmp(got.data, out, len) == 0));
        ltl_json_options o = LTL_JSON_OPTIONS_INIT;
        o.mode = LTL_JSON_MODE_LINES;
        CHECK(ltl_json_parse(out, len, &o, NULL, NULL, NULL) == LTL_OK);
    } else {
        CHECK(rc == LTL_EPARSE);
    }
    ltl__buf_free(&got);
    ltl_free(out);
    return 0;
}
