/*
 * The host's one start path: a command line -> ivxs_config -> the machine, the app, the loop
 * until it ends. The `ivxs` program (main.c) and libivxs (hosts/linux/capi: the app on a
 * thread of a C firmware) both run through ivxs_main, so they cannot drift apart.
 *
 * Exit codes: 0 done, 1 uncaught exception / unhandled rejection / app exit
 * code, 2 bad command line, missing module or bad snapshot.
 */
#include "host.h"

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define kMaxPreload 256
#define kHeapLimitMin ((unsigned long long)64 * 1024)
/* XS chunk sizes are 32-bit; a 32-bit host cannot address more than 2 GiB of heap. */
#define kHeapLimitMax (sizeof(size_t) > 4 ? (unsigned long long)16 << 30 : (unsigned long long)2 << 30)

static void usage(FILE *out)
{
	fputs("usage: ivxs [options] <entry> [-- app arguments]\n"
		"  -m, --modules DIR          module root, searched for <module>.js (repeatable;\n"
		"                             default: build/ts and build/mods beside the binary)\n"
		"  -s, --snapshot FILE        boot from a heap snapshot (the entry is stored in it)\n"
		"  -w, --write-snapshot FILE  preload modules and the entry, write a snapshot, exit\n"
		"  -p, --preload LIST         comma-separated modules to preload (with -w)\n"
		"      --no-preload           run without preloading: by default what <entry>.preload\n"
		"                             lists is loaded into a shared, read-only machine first,\n"
		"                             as a board keeps it in flash, and the app runs in a clone\n"
		"      --heap-limit SIZE      most bytes the XS heap may take, 64k to 16g (e.g. 512k,\n"
		"                             4m); without it the heap is not limited\n"
		"      --creation C,CI,S,SI   the app machine's chunk bytes and slots, initial and\n"
		"                             incremental, as a Moddable manifest's creation sets\n"
		"                             them for a board (e.g. 64k,16k,4096,1024)\n"
		"      --log-level LEVEL      error | warn | info | debug (default warn)\n"
		"      --gc-stacks FILE       write the JS stack at each of the app's garbage collections\n"
		"                             to FILE, a line each: a sample of what allocates\n"
		"      --heap-census FILE     append what the app holds live, by class, to FILE at each\n"
		"                             collection it asks for (collectGarbage())\n"
		"      --cpu-profile FILE     XS's sampling profile of the app, written to FILE at exit\n"
		"                             (.cpuprofile: DevTools; node scripts/cpu-profile.mjs FILE);\n"
		"                             build/bin/ivxs-profile only (--variant profile)\n"
		"      --memory-report        print memory accounting at exit (SIGUSR1: any time)\n"
		"      --data DIR             persistent storage folder (default ./ivxs-data); its ota/\n"
		"                             folder holds OTA slots of the app layer (modules/ota)\n"
		"      --abi                  print the host ABI (what OTA bundles name) and exit\n"
		"  -h, --help                 this text\n", out);
}

static int fail(const char *fmt, const char *arg)
{
	fprintf(stderr, "ivxs: ");
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	return 2;
}

/* A size in bytes with an optional k/m/g suffix, digits only (no sign, no
 * spaces): "-1" or a value that would wrap is an error, never "no limit". */
static int parseSize(const char *text, unsigned long long min, unsigned long long max, size_t *out)
{
	unsigned long long value = 0, scale = 1;
	const char *p = text;
	if (*p < '0' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (value > (max - (unsigned long long)(*p - '0')) / 10)
			return -1;
		value = value * 10 + (unsigned long long)(*p - '0');
	}
	if (*p == 'k' || *p == 'K')
		scale = 1024, p++;
	else if (*p == 'm' || *p == 'M')
		scale = 1024 * 1024, p++;
	else if (*p == 'g' || *p == 'G')
		scale = 1024 * 1024 * 1024, p++;
	if (*p || value > max / scale || value * scale < min)
		return -1;
	*out = (size_t)(value * scale);
	return 0;
}

/* --creation C,CI,S,SI: four sizes, each within its bounds (XS's sizes are ints). */
static int parseCreation(char *text, ivxs_host_config *config)
{
	size_t *fields[4] = { &config->chunks_initial, &config->chunks_incremental, &config->slots_initial, &config->slots_incremental };
	static const unsigned long long min[4] = { 16 * 1024, 1024, 256, 64 }, max[4] = { 1ull << 30, 1ull << 30, 1ull << 24, 1ull << 24 };
	char *next = text;
	int i;
	for (i = 0; i < 4; i++) {
		char *field = next, *comma = strchr(field, ',');
		if ((i < 3) != (comma != NULL))
			return -1;
		if (comma)
			*comma = 0, next = comma + 1;
		if (parseSize(field, min[i], max[i], fields[i]) < 0)
			return -1;
	}
	return 0;
}

int ivxs_main(int argc, char **argv)
{
	ivxs_host_config *config = &ivxs_config;
	static char defaultRoots[2][PATH_MAX];
	const char *entry = NULL, *snapshot = NULL, *writeSnapshot = NULL;
	char *preloadList = NULL, *preload[kMaxPreload];
	char snapshotEntry[PATH_MAX];
	int preloadCount = 0, preloaded = 1, loaded = 0, i, status;

	*config = (ivxs_host_config)IVXS_CONFIG_DEFAULTS;   /* a second run (libivxs) starts afresh */
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
		if (!strcmp(a, "--abi")) {
			printf("%016llx\n", (unsigned long long)ivxs_host_abi());
			return 0;
		}
		if (!strcmp(a, "--memory-report")) {
			config->memory_report = 1;
			continue;
		}
		if (!strcmp(a, "--no-preload")) {
			preloaded = 0;
			continue;
		}
		if (a[0] == '-' && !value)
			return fail("option %s needs a value (see --help)", a);
		if (!strcmp(a, "-m") || !strcmp(a, "--modules")) {
			if (config->module_root_count == IVXS_MAX_MODULE_ROOTS)
				return fail("too many module roots (at most 8): %s", value);
			config->module_roots[config->module_root_count++] = value;
		}
		else if (!strcmp(a, "-s") || !strcmp(a, "--snapshot"))
			snapshot = value;
		else if (!strcmp(a, "-w") || !strcmp(a, "--write-snapshot"))
			writeSnapshot = value;
		else if (!strcmp(a, "-p") || !strcmp(a, "--preload"))
			free(preloadList), preloadList = strdup(value);
		else if (!strcmp(a, "--heap-limit")) {
			if (parseSize(value, kHeapLimitMin, kHeapLimitMax, &config->heap_limit) < 0)
				return fail(sizeof(size_t) > 4 ? "invalid --heap-limit %s (a size from 64k to 16g, like 512k or 4m)"
					: "invalid --heap-limit %s (a size from 64k to 2g, like 512k or 4m)", value);
		}
		else if (!strcmp(a, "--creation")) {
			char copy[128];
			snprintf(copy, sizeof(copy), "%s", value);
			if (strlen(value) >= sizeof(copy) || parseCreation(copy, config) < 0)
				return fail("invalid --creation %s (chunk bytes, then slots, initial and incremental: like 64k,16k,4096,1024; "
					"chunks from 16k and 1k, slots from 256 and 64)", value);
		}
		else if (!strcmp(a, "--log-level")) {
			static const char *levels[] = { "error", "warn", "info", "debug" };
			int l;
			for (l = 0; l < 4 && strcmp(value, levels[l]); l++)
				;
			if (l == 4)
				return fail("invalid --log-level %s (error, warn, info or debug)", value);
			config->log_level = l;
		}
		else if (!strcmp(a, "--data"))
			config->data_dir = value;
		else if (!strcmp(a, "--gc-stacks"))
			config->gc_stacks = value;
		else if (!strcmp(a, "--heap-census"))
			config->heap_census = value;
		else if (!strcmp(a, "--cpu-profile")) {
			if (!ivxs_profile_available())
				return fail("%s", "--cpu-profile needs the profiling host: node scripts/build.mjs --variant profile, then build/bin/ivxs-profile");
			config->cpu_profile = value;
		}
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
	config->app_argc = argc - i;
	config->app_argv = argv + i;
	if (snapshot && writeSnapshot)
		return fail("%s", "--snapshot and --write-snapshot do not go together");
	if (!entry && !snapshot)
		return fail("%s", "no entry module given (see --help)");
	if (entry && strlen(entry) >= sizeof(snapshotEntry))
		return fail("entry name too long: %s", entry);
	if (!config->module_root_count) {
		/* <build>/bin/ivxs -> <build>/ts and <build>/mods */
		char self[PATH_MAX];
		ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
		if (n > 0) {
			self[n] = 0;
			char *dir = dirname(dirname(self));
			snprintf(defaultRoots[0], PATH_MAX, "%s/ts", dir);
			snprintf(defaultRoots[1], PATH_MAX, "%s/mods", dir);
			config->module_roots[0] = defaultRoots[0];
			config->module_roots[1] = defaultRoots[1];
			config->module_root_count = 2;
		}
	}
	if (snapshot) {
		if (entry)
			return fail("entry %s given with --snapshot (the snapshot names its entry)", entry);
		/* Checked before the OTA record moves on: an OTA slot boots the entry it names. */
		if (ivxs_snapshot_open(snapshot, snapshotEntry, sizeof(snapshotEntry)) < 0)
			return fail("%s", ivxs_machine_error());
		entry = snapshotEntry;
	}
	if (!writeSnapshot) {
		/* An OTA slot's modules come before the build's own (hosts/linux/src/ota.c). A snapshot
		 * holds the app layer it was written with: a slot (an update installed since, or its
		 * trial) is newer, so its modules boot instead, and the watchdog and rollback work as
		 * from source. With no slot (none yet, or rolled back) the snapshot boots. */
		const char *slotRoot = ivxs_ota_boot();
		if (slotRoot) {   /* room kept for it: -m gives at most IVXS_MAX_MODULE_ROOTS */
			memmove(config->module_roots + 1, config->module_roots, sizeof(config->module_roots[0]) * (size_t)config->module_root_count);
			config->module_roots[0] = slotRoot;
			config->module_root_count++;
			if (snapshot) {
				ivxs_log(IVXS_LOG_INFO, "ota: an update is installed: %s runs from %s, not from snapshot %s", entry, slotRoot, snapshot);
				ivxs_snapshot_close();
				snapshot = NULL;
			}
		}
	}
	if (preloadList) {
		char *save, *item;
		for (item = strtok_r(preloadList, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
			if (!*item)
				continue;
			if (preloadCount == kMaxPreload) {
				free(preloadList);
				return fail("%s", "too many modules to preload (at most 256)");
			}
			preload[preloadCount++] = item;
		}
	}
	if (ivxs_loop_init() < 0)
		return fail("%s", "cannot create the event loop");

	if (snapshot) {
		if (ivxs_snapshot_boot() < 0)
			return fail("%s", ivxs_machine_error());
	}
	else {
		/* The preloaded machine is what a board keeps in flash: --heap-limit is the app's heap
		 * beside it, so the limit waits until the app's own machine (the clone) runs. */
		ivxs_memory_unlimited(preloaded && !writeSnapshot);
		if (ivxs_machine_create(!(preloaded && !writeSnapshot)) < 0)
			return fail("%s", ivxs_machine_error());
		if (preloaded && !writeSnapshot && (loaded = ivxs_preload(entry)) <= 0 && (loaded < 0 || config->chunks_initial)) {
			/* A list that does not load (an OTA slot without one of its modules, a module that
			 * throws) costs the preloading, not the app. No list: the app runs in that machine,
			 * made again with --creation's sizes when they were given. */
			if (loaded < 0)
				ivxs_log(IVXS_LOG_WARN, "preload: %s; the app runs without preloading", ivxs_machine_error());
			ivxs_machine_delete();
			ivxs_memory_unlimited(0);
			if (ivxs_machine_create(1) < 0)
				return fail("%s", ivxs_machine_error());
		}
		ivxs_memory_unlimited(0);
	}

	if (writeSnapshot) {
		status = ivxs_snapshot_write(writeSnapshot, entry, (const char *const *)preload, preloadCount);
		if (status < 0)
			fprintf(stderr, "ivxs: %s\n", ivxs_machine_error());
		ivxs_machine_delete();
		ivxs_loop_deinit();
		free(preloadList);
		return status < 0 ? 2 : 0;
	}
	ivxs_count_collections();
	if (config->cpu_profile && ivxs_profile_start(config->cpu_profile) < 0)
		return fail("cannot write --cpu-profile %s", config->cpu_profile);
	status = ivxs_import(entry, 1);
	if (status == 0) {
		ivxs_loop_run();
		status = ivxs_loop_exit_code();
	}
	ivxs_profile_stop();
	ivxs_ota_exit(status);
	fflush(stdout);
	ivxs_memory_report("exit", 0);
	ivxs_machine_delete();
	ivxs_loop_deinit();
	free(preloadList);
	return status;
}
