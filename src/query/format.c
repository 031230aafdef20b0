/* SPDX-License-Identifier: MIT */
/*
 * format.c — a parsed query back to text, normalized: canonical paths (the
 * JSON module's form), `==` for `=`, every string quoted, @ts constants as
 * RFC 3339 times when they round-trip, and each and/or/not group in
 * parentheses. ltl__query_parse() of the result gives the same tree, so
 * `--explain` and tests can show exactly what was understood.
 */
#include "query/query.h"

#include "json/json.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

static int put_string(ltl__buf *out, const char *text, size_t len)
{
    if (len > (SIZE_MAX - 3) / 6)
        return LTL_ENOMEM;
    int rc = ltl__buf_reserve(out, len * 6 + 3);
    if (rc)
        return rc;
    /* escape_key_to keeps lone surrogates (WTF-8) as \uD8xx, so the text round-trips */
    out->data[out->len++] = '"';
    out->len += ltl__json_escape_key_to(out->data + out->len, text, len);
    out->data[out->len++] = '"';
    out->data[out->len] = '\0';
    return LTL_OK;
}

/* The RFC 3339 text of an integer ns value, when it parses back to the same value. */
static bool ts_text(char *buf, size_t cap, const ltl__value *v)
{
    char num[24];
    if (v->len >= sizeof(num))
        return false;
    memcpy(num, v->text, v->len);
    num[v->len] = '\0';
    errno = 0;
    char *end;
    long long ns = strtoll(num, &end, 10);
    if (errno || *end || end == num)
        return false;
    char again[24];
    snprintf(again, sizeof(again), "%lld", ns);
    if (strcmp(again, num) != 0)
        return false; /* "-0", "007": keep the text as written */
    ltl_time_format(buf, cap, ns);
    int64_t back;
    return ltl_time_parse(&back, buf, 0) == LTL_OK && back == ns;
}

static int put_value(ltl__buf *out, const ltl__query_node *node, const ltl__value *v)
{
    switch (v->type) {
    case LTL_JSON_NUMBER:
        if (node->field == LTL__QUERY_TS) {
            /* an integer time that RFC 3339 text gives back exactly reads better as a time */
            char iso[48];
            if (ts_text(iso, sizeof(iso), v))
                return put_string(out, iso, strlen(iso));
        }
        return ltl__buf_append(out, v->text, v->len);
    case LTL_JSON_STRING:
        return put_string(out, v->text, v->len);
    case LTL_JSON_TRUE:
        return ltl__buf_append(out, "true", 4);
    case LTL_JSON_FALSE:
        return ltl__buf_append(out, "false", 5);
    default:
        return ltl__buf_append(out, "null", 4);
    }
}

/* Is s[0..n) a keyword of the language, in any case? */
static bool is_keyword(const char *s, size_t n)
{
    static const char *const keywords[] = {"and",    "or",   "not",   "in",
                                           "exists", "true", "false", "null"};
    for (size_t i = 0; i < LTL__ARRAY_LEN(keywords); i++)
        if (strlen(keywords[i]) == n && strncasecmp(keywords[i], s, n) == 0)
            return true;
    return false;
}

static int put_path(ltl__buf *out, const ltl__query_node *node)
{
    if (node->path_len == 0)
        return ltl__buf_append(out, ".", 1);
    /* the canonical path writes a key like "and" bare; as a query's first word it would
     * read as the keyword, so quote it there */
    size_t n = 0;
    while (n < node->path_len && node->path[n] != '.' && node->path[n] != '[')
        n++;
    if (node->field == LTL__QUERY_PAYLOAD && is_keyword(node->path, n)) {
        int rc = ltl__buf_appendf(out, "[\"%.*s\"]", (int)n, node->path);
        return rc ? rc : ltl__buf_append(out, node->path + n, node->path_len - n);
    }
    return ltl__buf_append(out, node->path, node->path_len);
}

static const char *op_name(int op)
{
    switch (op) {
    case LTL__QUERY_EQ:
        return "==";
    case LTL__QUERY_NE:
        return "!=";
    case LTL__QUERY_LT:
        return "<";
    case LTL__QUERY_LE:
        return "<=";
    case LTL__QUERY_GT:
        return ">";
    case LTL__QUERY_GE:
        return ">=";
    default:
        return "~";
    }
}

int ltl__query_node_format(ltl__buf *out, const ltl__query_node *node)
{
    int rc = LTL_OK;
    switch (node->kind) {
    case LTL__QUERY_AND:
    case LTL__QUERY_OR:
        rc = ltl__buf_append(out, "(", 1);
        for (size_t i = 0; i < node->nchildren && rc == LTL_OK; i++) {
            if (i)
                rc = ltl__buf_appendf(out, " %s ", node->kind == LTL__QUERY_AND ? "and" : "or");
            if (rc == LTL_OK)
                rc = ltl__query_node_format(out, node->children[i]);
        }
        return rc ? rc : ltl__buf_append(out, ")", 1);
    case LTL__QUERY_NOT:
        rc = ltl__buf_append(out, "(not ", 5);
        if (rc == LTL_OK)
            rc = ltl__query_node_format(out, node->children[0]);
        return rc ? rc : ltl__buf_append(out, ")", 1);
    case LTL__QUERY_EXISTS:
        rc = ltl__buf_append(out, "exists ", 7);
        return rc ? rc : put_path(out, node);
    case LTL__QUERY_IN:
        rc = put_path(out, node);
        if (rc == LTL_OK)
            rc = ltl__buf_append(out, " in [", 5);
        for (size_t i = 0; i < node->nvalues && rc == LTL_OK; i++) {
            if (i)
                rc = ltl__buf_append(out, ", ", 2);
            if (rc == LTL_OK)
                rc = put_value(out, node, &node->values[i]);
        }
        return rc ? rc : ltl__buf_append(out, "]", 1);
    default:
        rc = put_path(out, node);
        if (rc == LTL_OK)
            rc = ltl__buf_appendf(out, " %s ", op_name(node->op));
        if (rc == LTL_OK && node->op == LTL__QUERY_MATCH)
            return put_string(out, node->values[0].text, node->values[0].len);
        return rc ? rc : put_value(out, node, &node->values[0]);
    }
}

int ltl__query_format(ltl__buf *out, const ltl__query *q)
{
    return ltl__query_node_format(out, q->root);
}
