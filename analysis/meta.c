/*
 * meta.c - read a results directory's meta.json back: the one-line machine
 * description every compare block, plot and report is headed by.
 * (meta.json is written by the study runner, frontend/study_meta.c.)
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* First of several spellings of a key that the meta.json writer may use. */
static bool meta_get(const char *json, const char *const *keys, char *out, size_t len)
{
	for (int i = 0; keys[i]; i++)
		if (sb_json_lookup(json, keys[i], out, len) && *out && strcmp(out, "null"))
			return true;
	return false;
}

static const char *pmu_words(const char *v)
{
	if (!strcmp(v, "true") || !strcmp(v, "yes") || !strcmp(v, "1"))
		return "PMU";
	return "no PMU";
}

/* "Linux 6.1.0-27-amd64 #1 SMP ..." (uname -srvm) -> "6.1.0-27-amd64" */
static void kernel_release(char *k)
{
	char *s = k, *e;

	if (!strncmp(s, "Linux ", 6))
		s += 6;
	e = strchr(s, ' ');
	if (e)
		*e = '\0';
	memmove(k, s, strlen(s) + 1);
}

void sb_meta_describe_machine(const char *dir, char *out, size_t len)
{
	static const char *const cpu_keys[] = { "cpu_model", "model_name", "cpu", NULL };
	static const char *const nr_keys[] = { "nr_cpus_online", "nr_cpus", NULL };
	static const char *const kern_keys[] = { "kernel", "kernel_release", "uname_r", NULL };
	static const char *const pmu_keys[] = { "pmu_available", "pmu", NULL };
	static const char *const emu_keys[] = { "emulated", NULL };
	static const char *const emu_nodes_keys[] = { "emulated_nodes", NULL };
	char path[4096], cpu[128] = "unknown CPU", nr[16] = "?", kern[96] = "?", pmu[16] = "";
	char emu[32], nodes[16];
	char *json;

	snprintf(path, sizeof(path), "%s/meta.json", dir);
	json = sb_read_text_file(path);
	if (!json) {
		snprintf(out, len, "machine unknown (no meta.json)");
		return;
	}
	meta_get(json, cpu_keys, cpu, sizeof(cpu));
	meta_get(json, nr_keys, nr, sizeof(nr));
	if (meta_get(json, kern_keys, kern, sizeof(kern)))
		kernel_release(kern);
	meta_get(json, pmu_keys, pmu, sizeof(pmu));
	if (meta_get(json, emu_keys, emu, sizeof(emu))) {
		/* a guest is another machine than its host: never one section */
		if (!meta_get(json, emu_nodes_keys, nodes, sizeof(nodes)))
			snprintf(nodes, sizeof(nodes), "?");
		snprintf(out, len, "%s (%s CPUs, kernel %s, %s; emulated %s, %s nodes)", cpu, nr,
			 kern, pmu_words(pmu), emu, nodes);
	} else {
		snprintf(out, len, "%s (%s CPUs, kernel %s, %s)", cpu, nr, kern, pmu_words(pmu));
	}
	free(json);
}

void sb_meta_emulated(const char *dir, char *out, size_t len)
{
	static const char *const keys[] = { "emulated", NULL };
	char path[4096], *json;

	snprintf(path, sizeof(path), "%s/meta.json", dir);
	json = sb_read_text_file(path);
	if (!json || !meta_get(json, keys, out, len))
		*out = '\0';
	free(json);
}
