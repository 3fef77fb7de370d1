/*
 * test_parse_options.c - the option table: both spellings of every kind of
 * option set the variable; every kind of bad input is one line naming the
 * option and what is allowed, exit 2; --help exits 0 (SB_OPTIONS_HELP) with
 * a usage that lists every option of the table and its default.
 */
#include <stdbool.h>
#include <stdint.h>

#include "check.h"
#include "harness.h"

static const char *const orders[] = { "in", "shuffled", NULL };
static const char *const patterns[] = { "sb", NULL };

/* Everything one table can set, with the defaults a command would give. */
struct vals {
	int threads;
	uint64_t iterations;
	unsigned int high;
	long hz;
	double frac;
	uint64_t duration_ns, size;
	const char *name, *workload;
	int order;
	bool flag;
	enum sb_format format;
	struct sb_pin_arg pin;
	int latency;
};

static void parse_latency(const char *cmd, const char *opt, const char *val, void *data)
{
	if (strcmp(val, "on") && strcmp(val, "off"))
		sb_die_usage(cmd, "%s: '%s' is not allowed (on or off)", opt, val);
	*(int *)data = !strcmp(val, "on");
}

static void vals_defaults(struct vals *v)
{
	memset(v, 0, sizeof(*v));
	v->threads = 2;
	v->iterations = 0;
	v->high = 186;
	v->hz = 20000;
	v->duration_ns = 1000000000ull;
	v->size = 64;
	v->pin.pin = SB_PIN_COMPACT;
	v->pin.text = "compact";
	v->latency = -1;
}

#define TABLE(v) {								\
	SB_OPT_INT("threads", &(v)->threads, 1, 1024, "worker threads"),	\
	SB_OPT_UINT("iterations", &(v)->iterations, 1, 1L << 40, "calls per thread"), \
	SB_OPT_UINT("pcp-high", &(v)->high, 1, 1 << 20, "pcp high mark"),	\
	SB_OPT_INT("nmi-hz", &(v)->hz, 0, 1000000, "timer signals per second"), \
	SB_OPT_DOUBLE("nolock-fraction", &(v)->frac, 0.0, 1.0, "nolock share"), \
	SB_OPT_DURATION("duration", &(v)->duration_ns, 1, "run time"),		\
	SB_OPT_SIZE("size", &(v)->size, 8, 8192, "object size"),		\
	SB_OPT_STRING("name", &(v)->name, "NAME", "a label"),			\
	SB_OPT_CHOICE("order", &(v)->order, orders, "free order"),		\
	SB_OPT_CHOICE("pattern", NULL, patterns, "must be this worker's"),	\
	SB_OPT_BOOL("no-c2c", &(v)->flag, "skip the calibration"),		\
	SB_OPT_FORMAT(&(v)->format),						\
	SB_OPT_PIN(&(v)->pin, 8, "thread placement"),				\
	SB_OPT_CALLBACK("latency", "on|off", parse_latency, &(v)->latency,	\
			"time acquisitions (default sample=16)"),		\
	SB_OPT_ARG("WORKLOAD", &(v)->workload, "what to run"),			\
	SB_OPT_END,								\
}

static const char *const all_options[] = {
	"--threads", "--iterations", "--pcp-high", "--nmi-hz", "--nolock-fraction",
	"--duration", "--size", "--name", "--order", "--pattern", "--no-c2c", "--format",
	"--pin", "--latency", "--help", NULL,
};

static int parse(struct vals *v, char **argv)
{
	struct sb_option opts[] = TABLE(v);
	int argc = 0;

	while (argv[argc])
		argc++;
	vals_defaults(v);
	return sb_parse_options("slab", opts, argc, argv, "usage: sheafbench slab [OPTIONS]");
}

static void check_valid(void)
{
	char *space[] = {
		"slab", "--threads", "8", "--iterations", "1099511627776", "--pcp-high", "77",
		"--nmi-hz", "0", "--nolock-fraction", "0.25", "--duration", "300ms",
		"--size", "4k", "--name", "x y", "--order", "shuffled", "--pattern", "sb",
		"--no-c2c", "--format", "csv", "--pin", "0,2-3", "--latency", "on", "churn", NULL,
	};
	char *equals[] = {
		"slab", "churn", "--threads=8", "--iterations=1099511627776", "--pcp-high=77",
		"--nmi-hz=0", "--nolock-fraction=0.25", "--duration=300ms", "--size=4k",
		"--name=x y", "--order=shuffled", "--pattern=sb", "--no-c2c", "--format=csv",
		"--pin=0,2-3", "--latency=on", NULL,
	};
	char **spellings[] = { space, equals };

	for (int s = 0; s < 2; s++) {
		struct vals v;

		CHECK(parse(&v, spellings[s]) == SB_OPTIONS_RUN);
		EXPECT(v.threads == 8);
		EXPECT(v.iterations == 1ull << 40);
		EXPECT(v.high == 77);
		EXPECT(v.hz == 0);
		EXPECT(v.frac == 0.25);
		EXPECT(v.duration_ns == 300000000ull);
		EXPECT(v.size == 4096);
		EXPECT_STR(v.name, "x y");
		EXPECT(v.order == 1);
		EXPECT(v.flag);
		EXPECT(v.format == SB_FMT_CSV);
		EXPECT(v.pin.pin == SB_PIN_LIST && v.pin.len == 3 && v.pin.list[2] == 3);
		EXPECT_STR(v.pin.text, "0,2-3");
		EXPECT(v.latency == 1);
		EXPECT_STR(v.workload, "churn");
	}
}

static void check_defaults_and_given(void)
{
	char *argv[] = { "slab", "--threads", "3", "--threads=4", NULL };
	struct vals v;
	struct sb_option opts[] = TABLE(&v);

	vals_defaults(&v);
	CHECK(sb_parse_options("slab", opts, 4, argv, "usage") == SB_OPTIONS_RUN);
	EXPECT(v.threads == 4);                        /* the last one wins */
	EXPECT(sb_option_given(opts, "threads") == 2);
	EXPECT(sb_option_given(opts, "duration") == 0);
	EXPECT(v.duration_ns == 1000000000ull && v.size == 64 && v.hz == 20000);
	EXPECT(v.workload == NULL && !v.flag && v.format == SB_FMT_TABLE);
	EXPECT(v.pin.pin == SB_PIN_COMPACT);
}

struct bad_case {
	const char *argv[4];
	const char *needle[3];         /* besides "sheafbench slab: " */
};

static const struct bad_case bad[] = {
	{ { "--threads", "0" },		{ "--threads: '0'", "from 1 to 1024" } },
	{ { "--threads=two" },		{ "--threads: 'two'", "integer" } },
	{ { "--iterations", "-1" },	{ "--iterations: '-1'", "integer" } },
	{ { "--pcp-high", "1048577" },	{ "--pcp-high: '1048577'", "1048576" } },
	{ { "--nolock-fraction", "2" },	{ "--nolock-fraction: '2'", "from 0 to 1" } },
	{ { "--duration", "soon" },	{ "--duration: 'soon'", "unit" } },
	{ { "--duration", "0" },	{ "--duration: '0'", "at least 1 ns" } },
	{ { "--size", "4kb" },		{ "--size: '4kb'", "suffix" } },
	{ { "--order", "random" },	{ "--order: 'random'", "one of: in, shuffled" } },
	{ { "--pattern", "ttl" },	{ "--pattern: 'ttl'", "one of: sb" } },
	{ { "--format=xml" },		{ "--format: 'xml'", "table, csv, json" } },
	{ { "--pin", "0-9" },		{ "--pin: '0-9'", "at most 8" } },
	{ { "--latency", "maybe" },	{ "--latency: 'maybe'", "on or off" } },
	{ { "--no-c2c=yes" },		{ "--no-c2c: 'yes'", "takes no value" } },
	{ { "--threads" },		{ "--threads: needs a value" } },
	{ { "--frobnicate", "1" },	{ "--frobnicate: is not an option", "--threads", "--pin" } },
	{ { "--frob=1" },		{ "--frob: is not an option" } },
	{ { "-x" },			{ "-x: is not an option" } },
	{ { "--thread", "2" },		{ "--thread: is not an option" } },   /* no prefixes */
	{ { "churn", "remote" },	{ "'remote': unexpected argument" } },
};

static void run_bad(const void *arg)
{
	const struct bad_case *c = arg;
	char *argv[6] = { "slab" };
	struct vals v;
	int argc = 1;

	for (int i = 0; c->argv[i]; i++)
		argv[argc++] = (char *)c->argv[i];
	argv[argc] = NULL;
	parse(&v, argv);
}

static void check_bad_input(void)
{
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *needles[5] = { "sheafbench slab: " };

		for (int n = 0; n < 3 && bad[i].needle[n]; n++)
			needles[n + 1] = bad[i].needle[n];
		expect_usage_exit(run_bad, &bad[i], needles);
	}
}

static void check_exact_line(void)
{
	static const struct bad_case zero = { { "--threads", "0" }, { NULL } };
	const char *needles[] = {
		"sheafbench slab: --threads: '0' is not allowed (an integer from 1 to 1024)\n", NULL,
	};

	expect_usage_exit(run_bad, &zero, needles);
}

/* The usage printed by --help, captured through a temporary file. */
static void check_help(void)
{
	char *argv[] = { "slab", "--threads", "9", "--help", NULL };
	char text[8192];
	struct vals v;
	struct sb_option opts[] = TABLE(&v);
	FILE *f = tmpfile();
	size_t n;

	vals_defaults(&v);
	CHECK(sb_parse_options("slab", opts, 4, argv, "usage: x") == SB_OPTIONS_HELP);
	CHECK(f);
	vals_defaults(&v);
	sb_options_usage(opts, "usage: sheafbench slab [OPTIONS] WORKLOAD", f);
	rewind(f);
	n = fread(text, 1, sizeof(text) - 1, f);
	text[n] = '\0';
	fclose(f);
	EXPECT(!strncmp(text, "usage: sheafbench slab [OPTIONS] WORKLOAD\n", 42));
	for (int i = 0; all_options[i]; i++)
		EXPECT_MSG(strstr(text, all_options[i]), "usage lacks %s:\n%s", all_options[i], text);
	EXPECT(strstr(text, "--threads N"));
	EXPECT(strstr(text, "(1..1024, default 2)"));
	EXPECT(strstr(text, "--order in|shuffled"));
	EXPECT(strstr(text, "(default 1s)"));
	EXPECT(strstr(text, "--pin none|compact|scatter|LIST"));
	EXPECT(strstr(text, "--format table|csv|json"));
	EXPECT(strstr(text, "(default sample=16)\n"));   /* its own default, no second one */
	EXPECT(!strstr(text, "WORKLOAD "));              /* positionals are the caller's text */
}

int main(void)
{
	alarm(60);
	check_valid();
	check_defaults_and_given();
	check_exact_line();
	check_bad_input();
	check_help();
	if (!check_report())
		printf("parse_options: ok\n");
	return check_report();
}
