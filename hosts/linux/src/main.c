/*
 * ivxs — the headless XS host for Linux. Runs an app from compiled modules
 * (development) or boots it from a heap snapshot (production).
 *
 * Exit codes: 0 done, 1 uncaught exception / unhandled rejection / app exit
 * code, 2 bad command line, missing module or bad snapshot.
 */
#include "host.h"
#include "machine.h"

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern int ivxs_argc;
extern char **ivxs_argv;
extern int ivxs_memory_report_enabled;
extern const char *ivxs_data_dir;

static void usage(FILE *out)
{
	fputs("usage: ivxs [options] <entry> [-- app arguments]\n"
		"  -m, --modules DIR          module root, searched for <module>.js (repeatable;\n"
		"                             default: build/ts and build/mods beside the binary)\n"
		"  -s, --snapshot FILE        boot from a heap snapshot (the entry is stored in it)\n"
		"  -w, --write-snapshot FILE  preload modules and the entry, write a snapshot, exit\n"
		"  -p, --preload LIST         comma-separated modules to preload (with -w)\n"
		"      --heap-limit SIZE      most bytes the XS heap may take (e.g. 512k, 4m)\n"
		"      --log-level LEVEL      error | warn | info | debug (default warn)\n"
		"      --memory-report        print memory accounting at exit (SIGUSR1: any time)\n"
		"      --data DIR             persistent storage folder (default ./ivxs-data)\n"
		"  -h, --help                 this text\n", out);
}

static int fail(const char *fmt, const char *arg)
{
	fprintf(stderr, "ivxs: ");
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	return 2;
}

static int parseSize(const char *text, size_t *out)
{
	char *end;
	unsigned long long value;
	errno = 0;
	value = strtoull(text, &end, 10);
	if (errno || end == text)
		return -1;
	if (*end == 'k' || *end == 'K')
		value *= 1024, end++;
	else if (*end == 'm' || *end == 'M')
		value *= 1024 * 1024, end++;
	if (*end || value < 64 * 1024 || value > SIZE_MAX)   /* 32-bit hosts: no silent truncation */
		return -1;
	*out = (size_t)value;
	return 0;
}

int main(int argc, char **argv)
{
	ivxs_machine_options options;
	static char defaultRoots[2][PATH_MAX];
	const char *entry = NULL, *snapshot = NULL, *writeSnapshot = NULL;
	char *preloadList = NULL, *preload[256];
	char snapshotEntry[PATH_MAX];
	int preloadCount = 0, i, status;

	memset(&options, 0, sizeof(options));
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *value = (i + 1 < argc) ? argv[i + 1] : NULL;
		if (!strcmp(a, "--")) {
			i++;
			break;
		}
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			return 0;
		}
		if (!strcmp(a, "--memory-report")) {
			ivxs_memory_report_enabled = 1;
			continue;
		}
		if (a[0] == '-' && !value)
			return fail("option %s needs a value (see --help)", a);
		if (!strcmp(a, "-m") || !strcmp(a, "--modules")) {
			if (options.module_root_count == 8)
				return fail("too many module roots (%s)", value);
			options.module_roots[options.module_root_count++] = value;
		}
		else if (!strcmp(a, "-s") || !strcmp(a, "--snapshot"))
			snapshot = value;
		else if (!strcmp(a, "-w") || !strcmp(a, "--write-snapshot"))
			writeSnapshot = value;
		else if (!strcmp(a, "-p") || !strcmp(a, "--preload"))
			preloadList = strdup(value);
		else if (!strcmp(a, "--heap-limit")) {
			if (parseSize(value, &options.heap_limit) < 0)
				return fail("invalid --heap-limit %s (a size of at least 64k, like 512k or 4m)", value);
		}
		else if (!strcmp(a, "--log-level")) {
			static const char *levels[] = { "error", "warn", "info", "debug" };
			int l;
			for (l = 0; l < 4 && strcmp(value, levels[l]); l++)
				;
			if (l == 4)
				return fail("invalid --log-level %s (error, warn, info or debug)", value);
			ivxs_log_level = l;
		}
		else if (!strcmp(a, "--data"))
			ivxs_data_dir = value;
		else if (a[0] == '-')
			return fail("unknown option %s (see --help)", a);
		else if (!entry) {
			entry = a;
			continue;
		}
		else
			return fail("unexpected argument %s (app arguments go after --)", a);
		i++;
	}
	ivxs_argc = argc - i;
	ivxs_argv = argv + i;
	if (snapshot && writeSnapshot)
		return fail("%s", "--snapshot and --write-snapshot do not go together");
	if (!entry && !snapshot)
		return fail("%s", "no entry module given (see --help)");
	if (entry && strlen(entry) >= sizeof(snapshotEntry))
		return fail("entry name too long: %s", entry);
	if (!options.module_root_count) {
		/* <build>/bin/ivxs -> <build>/ts and <build>/mods */
		char self[PATH_MAX];
		ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
		if (n > 0) {
			self[n] = 0;
			char *dir = dirname(dirname(self));
			snprintf(defaultRoots[0], PATH_MAX, "%s/ts", dir);
			snprintf(defaultRoots[1], PATH_MAX, "%s/mods", dir);
			options.module_roots[0] = defaultRoots[0];
			options.module_roots[1] = defaultRoots[1];
			options.module_root_count = 2;
		}
	}
	if (preloadList) {
		char *save, *item;
		for (item = strtok_r(preloadList, ",", &save); item && preloadCount < 256; item = strtok_r(NULL, ",", &save))
			if (*item)
				preload[preloadCount++] = item;
	}
	if (ivxs_loop_init() < 0)
		return fail("%s", "cannot create the event loop");

	if (snapshot) {
		if (entry)
			return fail("entry %s given with --snapshot (the snapshot names its entry)", entry);
		if (ivxs_machine_read_snapshot(&options, snapshot, snapshotEntry, sizeof(snapshotEntry)) < 0)
			return fail("%s", ivxs_machine_error());
		entry = snapshotEntry;
	}
	else if (ivxs_machine_create(&options) < 0)
		return fail("%s", ivxs_machine_error());

	if (writeSnapshot) {
		status = ivxs_machine_write_snapshot(writeSnapshot, entry, (const char *const *)preload, preloadCount);
		if (status < 0)
			fprintf(stderr, "ivxs: %s\n", ivxs_machine_error());
		ivxs_machine_delete();
		ivxs_loop_deinit();
		free(preloadList);
		return status < 0 ? 2 : 0;
	}
	status = ivxs_machine_run_entry(entry);
	if (status == 0) {
		ivxs_loop_run();
		status = ivxs_loop_exit_code();
	}
	fflush(stdout);
	ivxs_memory_report("exit");
	ivxs_machine_delete();
	ivxs_loop_deinit();
	free(preloadList);
	return status;
}
