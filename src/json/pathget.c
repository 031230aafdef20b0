/* SPDX-License-Identifier: MIT */
/*
 * pathget.c — the value at a path of ltl's own syntax ("authors[0].key",
 * ["a.b"]): the path is turned into a JSON Pointer and resolved with
 * ltl_json_pointer_get, so the two agree on duplicate keys and escapes.
 */
#include "json/json.h"

int ltl_json_path_get(const char **out, size_t *out_len, const void *json, size_t len,
                      const char *path, ltl_json_error *err)
{
    if (!out || !out_len || !json || !path)
        return LTL_EINVAL;
    ltl__buf ptr = {0}, key = {0};
    size_t plen = strlen(path), pos = 0;
    int rc = ltl__buf_append(&ptr, "", 0) ? LTL_ENOMEM : LTL_OK;
    ltl__json_seg seg;
    int more;
    while (rc == LTL_OK && (more = ltl__json_path_next(&seg, path, plen, &pos)) == 1) {
        if (seg.wildcard) {
            rc = ltl__json_set_error(err, LTL_EINVAL, pos, 1, pos + 1,
                                     "[] stands for any element; name one");
            break;
        }
        if (seg.is_index) {
            rc = ltl__buf_appendf(&ptr, "/%llu", (unsigned long long)seg.index);
            continue;
        }
        key.len = 0;
        rc = seg.escaped ? ltl__json_unescape(&key, seg.raw, seg.raw_len)
                         : ltl__buf_append(&key, seg.raw, seg.raw_len);
        if (rc == LTL_OK)
            rc = ltl__buf_append(&ptr, "/", 1);
        for (size_t i = 0; rc == LTL_OK && i < key.len; i++) {
            char c = key.data[i];
            rc = c == '~'   ? ltl__buf_append(&ptr, "~0", 2)
                 : c == '/' ? ltl__buf_append(&ptr, "~1", 2)
                            : ltl__buf_append(&ptr, &c, 1);
        }
    }
    if (rc == LTL_OK && more < 0)
        rc = ltl__json_set_error(err, LTL_EINVAL, pos, 1, pos + 1, "malformed path");
    if (rc == LTL_OK)
        rc = ltl_json_pointer_get(out, out_len, json, len, ptr.data ? ptr.data : "", err);
    ltl__buf_free(&ptr);
    ltl__buf_free(&key);
    return rc;
}
