/*
 * internal.h - what the analysis files share among themselves and nobody
 * else needs; grouped by the file that defines it.
 */
#ifndef SB_ANALYSIS_INTERNAL_H
#define SB_ANALYSIS_INTERNAL_H

#include "analysis.h"

/* util.c */
bool sb_has_suffix(const char *s, const char *suffix);
/* Write the message into err; return -1 (damaged data or I/O). */
int sb_err(char *err, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The same, returning -2: an option that does not fit this file (sb_cmp_build). */
int sb_err_not_applicable(char *err, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* columns.c */
bool sb_runs_is_param(const struct sb_csv_doc *doc, int c);
/* Cell (r, c) as a number; "n/a" and "" are NaN.  0, or -1 + "FILE:LINE: ...". */
int sb_runs_value(const struct sb_csv_doc *doc, int r, int c, double *v, char *err, size_t len);

/* runs_check.c: 0, or -1 + "FILE:LINE: column C: ..." for input not to be trusted. */
int sb_runs_check(const struct sb_csv_doc *doc, char *err, size_t len);
bool sb_is_decimal(const char *s);	/* plain decimal notation, no hex/inf/nan */

/* meta.c: "CPU model (N CPUs, kernel K, no PMU)" from DIR/meta.json. */
void sb_meta_describe_machine(const char *dir, char *out, size_t len);
/* meta.json's "emulated" (what ran the guest: "qemu-tcg"), or "" natively. */
void sb_meta_emulated(const char *dir, char *out, size_t len);

/* group.c: levels, key columns and the cells of one metric (sb_cmp_build's middle). */
int sb_cmp_group(struct sb_cmp *cmp, const struct sb_cmp_opts *o, int bc, int mc,
		 char *err, size_t len);

#endif /* SB_ANALYSIS_INTERNAL_H */
