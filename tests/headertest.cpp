// SPDX-License-Identifier: MIT
// ltl.h must compile alone as C++ (-std=c++11 -pedantic -Werror).
#include "ltl.h"

int headertest_cxx();
int headertest_cxx()
{
    ltl_options opts = LTL_OPTIONS_INIT;
    ltl_cursor_options copts = LTL_CURSOR_OPTIONS_INIT;
    return static_cast<int>(opts.version + copts.version);
}
