/* SPDX-License-Identifier: MIT */
/*
 * no_tree.c — for bench/trust_append only, never in the library: the stub
 * that the bench's second copy of db.c calls instead of ltl__tree_attach
 * (both are compiled with -Dltl__tree_attach=ltl_bench_no_tree_attach, see
 * bench/CMakeLists.txt). It attaches nothing, so a store opened by that
 * copy has no hash index: appends skip the leaf hash and the tree append,
 * nothing flushes the index, and no checkpoint is made at close. That is
 * the "without the index" side of the comparison.
 */
#include "store/store.h"

int ltl__tree_attach(struct ltl_db *db, uint64_t next_seq, ltl__buf *note)
{
    (void)db;
    (void)next_seq;
    (void)note;
    return LTL_OK;
}
