/* SPDX-License-Identifier: MIT */
/* ltl.h must compile alone as strict C11 (-std=c11 -pedantic -Werror). */
#include "ltl.h"

int headertest_c(void);
int headertest_c(void)
{
    ltl_options opts = LTL_OPTIONS_INIT;
    ltl_cursor_options copts = LTL_CURSOR_OPTIONS_INIT;
    return (int)opts.version + (int)copts.version;
}
