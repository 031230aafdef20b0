/* SPDX-License-Identifier: MIT */
/*
 * config.h — the configuration resolver's internal interface: load all
 * layers, then read the typed values the store needs.
 */
#ifndef LTL_CORE_CONFIG_H
#define LTL_CORE_CONFIG_H

#include "core/core.h"

/* Typed values of the resolved keys. */
struct ltl__config_values {
    int durability;           /* LTL_FORGETFUL..LTL_PARANOID */
    int64_t sync_interval_ns; /* sync.interval */
    uint64_t segment_size;    /* segment.size */
    uint64_t message_max;     /* message.max_size */
    int log_level;            /* log.level */
    int64_t checkpoint_interval_ns; /* checkpoint.interval; 0: only at close */
    const char *checkpoint_origin;  /* "" or the origin (borrowed from the config) */
    const char *key_write;          /* key file paths, "" when unset (borrowed) */
    const char *key_check;
    const char *key_read;
    int verify_on_open;             /* 0 none, 1 tail, 2 full */
    bool index_enabled;             /* index.enabled */
    bool index_defer;               /* index.defer */
    const char *index_paths;        /* index.paths (borrowed) */
    uint64_t index_max_paths;       /* index.max_paths */
    uint64_t digest;          /* fingerprint of every resolved value */
};

/* Resolve every layer (see ltl_config_load). *out is set even on failure
 * (unless allocation of the object itself failed); free with ltl__config_free. */
int ltl__config_load(ltl_config **out, const char *store_path, const char *overrides,
                     const char *flag_overrides, unsigned int flags) LTL__WUR;
void ltl__config_free(ltl_config *cfg);
/* The resolved text of a key; NULL for an unknown key. */
const char *ltl__config_str(const ltl_config *cfg, const char *key);
/* Typed values (the checkers already validated every value). */
int ltl__config_values(struct ltl__config_values *out, const ltl_config *cfg);
/* The store path the config was resolved for. */
const char *ltl__config_store_path(const ltl_config *cfg);
/* $LTL_STORE, else $XDG_DATA_HOME/ltl/default, else ~/.local/share/ltl/default;
 * NULL when none can be formed or out of memory. Caller frees. */
char *ltl__default_store_path(void);

#endif
