/*
 * frontend.h - the commands the `sheafbench` front end implements itself,
 * dispatch of the pattern-dependent ones to workers, and where its data is.
 */
#ifndef SB_FRONTEND_H
#define SB_FRONTEND_H

#include <stdbool.h>
#include <stddef.h>

int cmd_topo(int argc, char **argv);
int cmd_c2c(int argc, char **argv);
/* The pattern of lock, slab, page and slabinfo without --pattern. */
#define SB_DEFAULT_PATTERN	"sb"
/* lock, slab, page, slabinfo: exec sheafbench-<pattern> (never returns on success). */
int dispatch_to_worker(int argc, char **argv);
/* run: any program with an allocator preloaded (run.c). */
int cmd_run(int argc, char **argv);

/* paths.c */
/* This binary's path (/proc/self/exe): 0, or -errno. */
int sb_self_exe(char *buf, size_t len);
enum sb_data { SB_DATA_STUDIES, SB_DATA_PLOTS, SB_NR_DATA };
/* The installed data directory, else the source tree's; NULL if neither exists. */
const char *sb_data_dir(enum sb_data what);

#endif /* SB_FRONTEND_H */
