/*
 * test_options.c - option parsers: good values parse exactly; every bad value
 * (empty, trailing garbage, out of range, unknown choice) exits 2 with one
 * line naming the command, the option and the value.
 */
#include "check.h"
#include "harness.h"

enum parser { P_LONG, P_DOUBLE, P_DURATION, P_SIZE, P_CHOICE, P_FORMAT, P_PIN, P_CPUS };

struct bad_case {
	enum parser parser;
	const char *val;
	const char *expect;       /* part of what is allowed */
};

static const char *const kinds[] = { "tas", "ttas", "mcs", NULL };

static void run_parser(const void *arg)
{
	const struct bad_case *c = arg;
	enum sb_pin pin;
	int list[8];

	switch (c->parser) {
	case P_LONG: sb_parse_long("lock", "--threads", c->val, 1, 1024); break;
	case P_DOUBLE: sb_parse_double("lock", "--nolock-frac", c->val, 0, 1); break;
	case P_DURATION: sb_parse_duration_ns("lock", "--duration", c->val); break;
	case P_SIZE: sb_parse_size("slab", "--size", c->val, 8, 1 << 20); break;
	case P_CHOICE: sb_parse_choice("lock", "--kind", c->val, kinds); break;
	case P_FORMAT: sb_parse_format("lock", c->val); break;
	case P_PIN: sb_parse_pin("lock", c->val, &pin, list, 8); break;
	case P_CPUS: sb_parse_cpu_list("c2c", "--cpus", c->val, list, 8); break;
	}
}

static const char *const option_of[] = {
	"--threads", "--nolock-frac", "--duration", "--size", "--kind", "--format", "--pin", "--cpus",
};

static const struct bad_case bad[] = {
	{ P_LONG, "0", "(an integer from 1 to 1024)" },
	{ P_LONG, "1025", "from 1 to 1024" },
	{ P_LONG, "", "integer" },
	{ P_LONG, "4x", "integer" },
	{ P_LONG, " 4", "integer" },
	{ P_LONG, "-3", "integer" },
	{ P_LONG, "99999999999999999999999", "integer" },
	{ P_DOUBLE, "1.5", "from 0 to 1" },
	{ P_DOUBLE, "nan", "number" },
	{ P_DOUBLE, "0.5.", "number" },
	{ P_DOUBLE, "", "number" },
	{ P_DURATION, "2", "unit" },
	{ P_DURATION, "2sec", "unit" },
	{ P_DURATION, "", "unit" },
	{ P_DURATION, "-1s", "unit" },
	{ P_DURATION, "2days", "unit" },
	{ P_DURATION, "90000s", "1 day" },
	{ P_SIZE, "4", "from 8 to 1048576" },
	{ P_SIZE, "2M", "from 8 to 1048576" },
	{ P_SIZE, "4kb", "suffix" },
	{ P_SIZE, "", "size" },
	{ P_SIZE, "-8", "size" },
	{ P_CHOICE, "spin", "one of: tas, ttas, mcs" },
	{ P_CHOICE, "", "one of" },
	{ P_FORMAT, "xml", "one of: table, csv, json" },
	{ P_PIN, "random", "none, compact, scatter" },
	{ P_PIN, "0,", "CPU list" },
	{ P_PIN, "3-1", "CPU list" },
	{ P_PIN, "0-9", "at most 8" },
	{ P_CPUS, "a", "CPU list" },
	{ P_CPUS, "1,,2", "CPU list" },
	{ P_CPUS, "", "CPU list" },
};

static void check_bad_values(void)
{
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char quoted[128];
		const char *needles[] = { NULL, NULL, quoted, bad[i].expect, NULL };
		char prefix[64];

		snprintf(prefix, sizeof(prefix), "sheafbench %s: ",
			 bad[i].parser == P_SIZE ? "slab" : bad[i].parser == P_CPUS ? "c2c" : "lock");
		needles[0] = prefix;
		needles[1] = option_of[bad[i].parser];
		snprintf(quoted, sizeof(quoted), "'%s'", bad[i].val);
		expect_usage_exit(run_parser, &bad[i], needles);
	}
}

static void check_exact_message(void)
{
	static const struct bad_case zero = { P_LONG, "0", NULL };
	const char *needles[] = {
		"sheafbench lock: --threads: '0' is not allowed (an integer from 1 to 1024)\n", NULL,
	};

	expect_usage_exit(run_parser, &zero, needles);
}

static void check_good_values(void)
{
	enum sb_pin pin;
	int list[8];

	CHECK(sb_parse_long("lock", "--threads", "1024", 1, 1024) == 1024);
	CHECK(sb_parse_long("lock", "--delta", "-5", -10, 10) == -5);
	CHECK(sb_parse_double("lock", "--frac", "0.25", 0, 1) == 0.25);
	CHECK(sb_parse_duration_ns("lock", "--duration", "2s") == 2000000000ull);
	CHECK(sb_parse_duration_ns("lock", "--duration", "500ms") == 500000000ull);
	CHECK(sb_parse_duration_ns("lock", "--cs", "100us") == 100000ull);
	CHECK(sb_parse_duration_ns("lock", "--cs", "250ns") == 250ull);
	CHECK(sb_parse_duration_ns("lock", "--cs", "1.5s") == 1500000000ull);
	CHECK(sb_parse_duration_ns("lock", "--cs", "0") == 0);
	CHECK(sb_parse_size("slab", "--size", "64", 8, 1 << 20) == 64);
	CHECK(sb_parse_size("slab", "--size", "4k", 8, 1 << 20) == 4096);
	CHECK(sb_parse_size("slab", "--size", "1M", 8, 1 << 20) == 1 << 20);
	CHECK(sb_parse_choice("lock", "--kind", "mcs", kinds) == 2);
	CHECK(sb_parse_format("lock", "json") == SB_FMT_JSON);
	CHECK(sb_parse_format("lock", "table") == SB_FMT_TABLE);
	CHECK(sb_parse_pin("lock", "scatter", &pin, list, 8) == 0 && pin == SB_PIN_SCATTER);
	CHECK(sb_parse_pin("lock", "none", &pin, list, 8) == 0 && pin == SB_PIN_NONE);
	CHECK(sb_parse_pin("lock", "0,2,4-6", &pin, list, 8) == 5 && pin == SB_PIN_LIST);
	CHECK(list[0] == 0 && list[1] == 2 && list[2] == 4 && list[3] == 5 && list[4] == 6);
	CHECK(sb_parse_cpu_list("c2c", "--cpus", "7", list, 8) == 1 && list[0] == 7);
}

int main(void)
{
	alarm(60);
	check_good_values();
	check_exact_message();
	check_bad_values();
	printf("options: ok\n");
	return 0;
}
