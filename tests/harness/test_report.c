/*
 * test_report.c - the exact text of a small report in every format: column
 * order, n/a and null for unmeasured values, csv quoting, json escaping.
 */
#include "check.h"
#include "harness.h"

#include <math.h>

static char *print_to_string(const struct sb_report *r, enum sb_format fmt)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	CHECK(f);
	sb_report_print(r, fmt, f);
	CHECK(fclose(f) == 0);
	return buf;
}

static struct sb_report *two_runs(void)
{
	struct sb_report *r = sb_report_new();

	sb_report_row(r);
	sb_report_str(r, "workload", "lock");
	sb_report_u64(r, "threads", 2);
	sb_report_f64(r, "acq_per_s", 12345678.4);
	sb_report_f64(r, "ns_per_acq", 81.0123);
	sb_report_na(r, "cycles_per_acq");
	sb_report_row(r);
	sb_report_str(r, "workload", "say \"hi\", ok");
	sb_report_u64(r, "threads", 16);
	sb_report_f64(r, "acq_per_s", NAN);
	sb_report_f64(r, "ns_per_acq", 0.5);
	sb_report_str(r, "note", "tab\there");  /* a column only the second row has */
	return r;
}

static void check_csv_json_table(void)
{
	struct sb_report *r = two_runs();
	char *s;

	s = print_to_string(r, SB_FMT_CSV);
	CHECK_STR(s, "workload,threads,acq_per_s,ns_per_acq,cycles_per_acq,note\n"
		     "lock,2,12345678,81.01,n/a,n/a\n"
		     "\"say \"\"hi\"\", ok\",16,n/a,0.5,n/a,tab\there\n");
	free(s);
	s = print_to_string(r, SB_FMT_JSON);
	CHECK_STR(s, "[\n"
		     "  {\"workload\": \"lock\", \"threads\": 2, \"acq_per_s\": 12345678, "
		     "\"ns_per_acq\": 81.01, \"cycles_per_acq\": null, \"note\": null},\n"
		     "  {\"workload\": \"say \\\"hi\\\", ok\", \"threads\": 16, \"acq_per_s\": null, "
		     "\"ns_per_acq\": 0.5, \"cycles_per_acq\": null, \"note\": \"tab\\there\"}\n"
		     "]\n");
	free(s);
	s = print_to_string(r, SB_FMT_TABLE);
	CHECK_STR(s, "workload      threads  acq_per_s  ns_per_acq  cycles_per_acq  note\n"
		     "lock                2   12345678       81.01             n/a  n/a\n"
		     "say \"hi\", ok       16        n/a         0.5             n/a  tab\there\n");
	free(s);
	sb_report_free(r);
}

static void check_single_row_table(void)
{
	struct sb_report *r = sb_report_new();
	char *s;

	sb_report_str(r, "workload", "c2c");          /* no sb_report_row(): first row implied */
	sb_report_u64(r, "cpu_a", 0);
	sb_report_f64(r, "median_ns", 27.5);
	sb_report_u64(r, "cpu_a", 1);                 /* setting again overwrites */
	s = print_to_string(r, SB_FMT_TABLE);
	CHECK_STR(s, "workload   c2c\n"
		     "cpu_a      1\n"
		     "median_ns  27.5\n");
	free(s);
	sb_report_free(r);
}

static void check_empty(void)
{
	struct sb_report *r = sb_report_new();
	char *s = print_to_string(r, SB_FMT_JSON);

	CHECK_STR(s, "[]\n");
	free(s);
	s = print_to_string(r, SB_FMT_CSV);
	CHECK_STR(s, "");
	free(s);
	sb_report_free(r);
}

int main(void)
{
	check_csv_json_table();
	check_single_row_table();
	check_empty();
	printf("report: ok\n");
	return 0;
}
