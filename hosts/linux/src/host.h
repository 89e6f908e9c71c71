/*
 * ivxs headless Linux host — the one internal header of hosts/linux/src.
 *
 * One XS machine, one event-loop thread. Only the loop thread calls into XS;
 * other threads (capture, ring writers) hand work over with ivxs_loop_post(),
 * which wakes the loop through an eventfd.
 *
 * The host's files, by concern:
 *   main.c      the program: ivxs_main()
 *   start.c     the one start path: command line -> ivxs_config -> machine, app, loop
 *   machine.c   the machine: creation, platform hooks, abort (stack overflow), jobs
 *   memory.c    XS chunk/slot allocation, accounting, the heap limit, reports
 *   loader.c    module resolution and loading, host-function binding, internal modules
 *   snapshot.c  the snapshot file format
 *   preload.c   preloading (default): the entry's preload list in a shared machine, the app in a clone
 *   runtime.c   what is written against the public xs.h API (import, reporting)
 *   loop.c      poll loop, timers, posts from other threads, logging
 *   mod_*.c     the host's own modules (xsmc)
 * Files that include the engine's internals (xsAll.h) see the extra section at
 * the end; everything else sees only plain C types.
 */
#ifndef IVXS_HOST_H
#define IVXS_HOST_H

#include <stddef.h>
#include <stdint.h>

#include "ivxs_host.h"   /* the part native modules see */

/* ---- settings: one record, filled by main() before the machine exists ---- */
#define IVXS_MAX_MODULE_ROOTS 8
typedef struct {
	const char *module_roots[IVXS_MAX_MODULE_ROOTS + 1];   /* searched for <key>.js, in order; +1: an OTA slot's */
	int module_root_count;
	size_t heap_limit;          /* bytes of chunks + slots XS may take; 0 = no limit */
	/* the app machine's creation (--creation; 0: the host's own): chunk bytes and slots, initial
	 * and incremental — what a Moddable manifest's "creation" sets for a board */
	size_t chunks_initial, chunks_incremental, slots_initial, slots_incremental;
	int log_level;              /* IVXS_LOG_* */
	const char *data_dir;       /* preference storage */
	int memory_report;          /* print the memory report at exit */
	const char *gc_stacks;      /* a file: the JS stack at each of the app's collections (memory.c) */
	const char *heap_census;    /* a file: what is live, by class, at each collection the app asks for (census.c) */
	const char *cpu_profile;    /* a file: XS's sampling profile of the app, written at exit (profile.c) */
	int app_argc;               /* arguments after "--" */
	char **app_argv;
} ivxs_host_config;
extern ivxs_host_config ivxs_config;
#define IVXS_CONFIG_DEFAULTS { .log_level = IVXS_LOG_WARN, .data_dir = "ivxs-data" }
/* The command line of `ivxs` (its --help) -> the app run to its end -> the exit code
 * (start.c): main() of the program, and the thread libivxs starts for a C firmware. */
int ivxs_main(int argc, char **argv);

/* ---- logging (stderr), filtered by ivxs_config.log_level ---- */
enum { IVXS_LOG_ERROR = 0, IVXS_LOG_WARN, IVXS_LOG_INFO, IVXS_LOG_DEBUG };
void ivxs_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- monotonic time ---- */
uint64_t ivxs_now_us(void);

/* ---- event loop ---- */
typedef void (*ivxs_fd_callback)(void *ctx, int fd, int events);

int ivxs_loop_init(void);
void ivxs_loop_deinit(void);
/* Watch fd for events (POLLIN/POLLOUT mask). events 0 = stop watching.
 * Returns 0, or -1 when the watch table is full. Loop thread only. */
int ivxs_loop_watch(int fd, int events, ivxs_fd_callback callback, void *ctx);
void ivxs_loop_unwatch(int fd);
/* Runs until there is nothing left to wait for (no timers, no watches, no
 * holds) or ivxs_loop_stop() is called. */
void ivxs_loop_run(void);
void ivxs_loop_stop(int exit_code);
int ivxs_loop_exit_code(void);

/* Timers (loop thread). A timer fires callback(ctx) at its deadline. */
typedef struct ivxs_timer ivxs_timer;
typedef void (*ivxs_timer_callback)(void *ctx);
struct ivxs_timer {
	uint64_t deadline_us;   /* µs, so a timer never fires before its delay */
	uint32_t interval_ms;   /* 0 = one-shot */
	uint32_t order;         /* ties fire in creation order */
	ivxs_timer_callback callback;
	void *ctx;
	ivxs_timer *next;
	int armed;
};
void ivxs_timer_arm(ivxs_timer *timer, uint32_t delay_ms, uint32_t interval_ms);
void ivxs_timer_disarm(ivxs_timer *timer);

/* ---- the machine (machine.c, snapshot.c, runtime.c) ---- */
/* One line describing why the last call failed. */
const char *ivxs_machine_error(void);
void ivxs_machine_set_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int ivxs_machine_create(int app);
void ivxs_machine_delete(void);
/* Shares the machine: a last compacting collection, then every slot stays marked (preload.c). */
void ivxs_machine_share(void);
/* Makes the app's machine a clone of the shared one. Returns 0, or -1 with the error. */
int ivxs_machine_clone(void);
/* Preloads the modules <entry>.preload lists (preload.c) into the machine and shares it.
 * Returns how many (0: no list), or -1 with the error (the machine is then half loaded:
 * delete it). */
int ivxs_preload(const char *entry);
/* Reads and checks a snapshot file written by ivxs_snapshot_write() and keeps
 * it; fills entry (the module to run). Returns -1 with a one-line error for a
 * missing, corrupt or mismatched file. Then ivxs_snapshot_boot() makes the
 * machine from it, or ivxs_snapshot_close() drops it (an OTA slot boots
 * instead). Both free the file. */
int ivxs_snapshot_open(const char *path, char *entry, size_t entry_size);
int ivxs_snapshot_boot(void);
void ivxs_snapshot_close(void);
/* Imports the preload modules and the entry, then writes the heap to a
 * regular file (never over a device, FIFO or directory). */
int ivxs_snapshot_write(const char *path, const char *entry, const char *const *preload, int preload_count);
/* Imports a module (and calls its default export when asked and it is a
 * function). Returns 0, or prints the exception and returns 1. */
int ivxs_import(const char *name, int call_default);
/* Runs XS promise jobs until none are left, then checks for unhandled
 * rejections (loop thread). */
void ivxs_run_jobs(void);
/* fxQueuePromiseJobs -> a job is pending. */
void ivxs_jobs_queued(void);
/* Prints "prefix: <stack or string>" for the machine's current exception. */
void ivxs_report_exception(const char *prefix);
/* Seeds Math.random (c_rand) so runs differ. */
void ivxs_seed_random(void);
/* Installs the global trace() (mod_host.c). */
void ivxs_host_install_globals(void);
/* Counts the machine's garbage collections from now on (runtime.c); ivxs_collections() says
 * how many so far. */
void ivxs_count_collections(void);
/* profile.c: --cpu-profile (the `profile` variant only: available() is 0 elsewhere). */
int ivxs_profile_available(void);
int ivxs_profile_start(const char *path);
void ivxs_profile_wait(int waiting);
void ivxs_profile_stop(void);
unsigned long long ivxs_collections(void);
/* A garbage collection asked for by the host (never interrupted by a
 * stack-overflow RangeError). */
void ivxs_collect_garbage(void);
/* --heap-census: what the app's machine holds live, by class, appended to the file (census.c). */
void ivxs_heap_census(void);
/* Brackets engine work that must not be unwound (delta +1 / -1): a stack
 * overflow inside is fatal instead of a RangeError. */
void ivxs_overflow_is_fatal(int delta);

/* ---- memory (memory.c) ---- */
typedef struct {
	size_t chunks_used, chunks_peak;       /* bytes in XS chunks */
	size_t slots_used, slots_peak;         /* bytes in XS slots */
	size_t reserved, reserved_peak;        /* bytes XS took from the system (the preloaded machine's left out) */
	size_t preloaded;                      /* chunk and slot bytes the preloaded, shared machine uses (a board's flash) */
	unsigned long long collections;        /* garbage collections of the app's machine */
	unsigned long long allocated;          /* chunk and slot bytes the app's machine has allocated since it began */
	unsigned long long allocated_chunks;   /* the chunk bytes of them (a board's creation sizes split by these) */
} ivxs_xs_memory;
/* A collection of the app's machine is marking (runtime.c's counter): what is in use now is
 * what was allocated up to it. */
void ivxs_memory_collecting(void);
/* While on, --heap-limit is not applied: the preloaded machine is being built (start.c). */
void ivxs_memory_unlimited(int on);
/* The preloaded machine is complete, using `used` bytes: what XS took so far is its (preload.c). */
void ivxs_memory_preloaded(size_t used);
void ivxs_machine_memory(ivxs_xs_memory *out);
/* Prints the memory report (XS heap + native counters) to stderr when
 * --memory-report is on, or always for why == "SIGUSR1" / force. */
void ivxs_memory_report(const char *why, int force);

/* OTA slots (ota.c): the slot's module root to search first (NULL: the build's own), and the
 * exit status of a trial boot recorded for the next one. */
const char *ivxs_ota_boot(void);
void ivxs_ota_exit(int status);
/* FNV-1a of the table's names: the host ABI of snapshots and OTA bundles (snapshot.c). */
uint64_t ivxs_host_abi(void);

/* ---- the loader (loader.c) and snapshots (snapshot.c) ---- */
void ivxs_loader_delete(void);
/* The first <root>/<key><extension> that is a regular file, in module-root order: its root's
 * index and its path, or -1. */
int ivxs_loader_find(const char *key, const char *extension, char *path, size_t size);
void ivxs_snapshot_delete(void);
/* Shortens text to its last `keep` bytes behind "...", so a message names
 * a long path without losing its sentence. Returns out. */
const char *ivxs_shorten(const char *text, size_t keep, char *out, size_t size);

#ifdef __XSMC_H__
/* ---- host objects, arguments, errors with codes: the binding kit ---- */
#include "ivxs_kit.h"
/* The descriptor behind an open socket object (mod_socket.c), for the TLS sessions. */
int ivxs_socket_fd(xsMachine *the, xsSlot *slot);
#endif

#ifdef __XSALL__
/* ---- engine-side declarations (files that include xsAll.h) ---- */
typedef struct {
	const char *name;
	txCallback callback;
} ivxs_host_function;
/* Generated by scripts/build.mjs from every registered module's .js file,
 * sorted by name. Its order is also the snapshot's callback table. */
extern const ivxs_host_function ivxs_host_functions[];
extern const int ivxs_host_function_count;
extern txMachine *ivxs_machine_instance;
void xs_trace(txMachine *the);            /* the global trace() */
void ivxs_build_hosts(txMachine *the);    /* binds a module's host functions */
/* xsMemory.c's mxReport lines, compiled to come here (the Makefile): after a collection, what
 * it left in use (memory.c). */
void ivxs_xs_report(txMachine *the, txString format, ...);
/* A property key's name (a function's, a variable's), or NULL; read without allocating (memory.c). */
const char *ivxs_key_name(txMachine *the, txID id);
#endif

#endif
