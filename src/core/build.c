/* SPDX-License-Identifier: MIT */
/*
 * build.c — the library's version and build manifest. The strings come
 * from build_info.c, which the build regenerates (scripts/build_info.cmake);
 * the options add what is chosen at run time (the CRC32C implementation).
 */
#include "core/core.h"

#include <pthread.h>
#include <stdio.h>

extern const char ltl__build_version[], ltl__build_commit[], ltl__build_compiler[],
    ltl__build_date[], ltl__build_type[], ltl__build_options[];

static ltl_build info;
static char options[256];
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void build_info_init(void)
{
    snprintf(options, sizeof(options), "%s crc32c=%s", ltl__build_options, ltl__crc32c_impl());
    info = (ltl_build){ltl__build_version, ltl__build_commit, ltl__build_compiler,
                       ltl__build_date,    ltl__build_type,   options};
}

const char *ltl_version(void)
{
    return ltl__build_version;
}

const ltl_build *ltl_build_info(void)
{
    pthread_once(&once, build_info_init);
    return &info;
}
