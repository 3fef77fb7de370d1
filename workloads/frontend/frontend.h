/*
 * frontend.h - the commands the `sheafbench` front end implements itself,
 * dispatch of the pattern-dependent ones to workers, and its option helper.
 */
#ifndef SB_FRONTEND_H
#define SB_FRONTEND_H

int cmd_topo(int argc, char **argv);
int cmd_c2c(int argc, char **argv);
/* lock, slab, page, slabinfo: exec sheafbench-<pattern> (never returns on success). */
int dispatch_to_worker(int argc, char **argv);
/* run: any program with an allocator preloaded (run.c). */
int cmd_run(int argc, char **argv);

/*
 * If argv[*i] is "--name VALUE" or "--name=VALUE", returns VALUE and leaves *i
 * on the last word used; returns NULL if argv[*i] is something else.  A missing
 * value is a usage error (exit 2).
 */
const char *option_value(const char *cmd, int argc, char **argv, int *i, const char *name);
/* The one line for an argument no option of cmd accepts (exit 2). */
_Noreturn void die_unknown_option(const char *cmd, const char *arg, const char *allowed);

#endif /* SB_FRONTEND_H */
