/*
 * The XS machine of the host: creation, module loading from compiled files,
 * host-function binding through the generated registry, and heap snapshots.
 * This is the only host file (with main.c) that includes the engine's
 * internal headers; native modules use xsmc.h only.
 */
#ifndef IVXS_MACHINE_H
#define IVXS_MACHINE_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
	const char *module_roots[8];  /* directories searched for <key>.js */
	int module_root_count;
	size_t heap_limit;            /* bytes of chunks + slots XS may allocate; 0 = none */
} ivxs_machine_options;

/* One line describing why the last call failed. */
const char *ivxs_machine_error(void);

int ivxs_machine_create(const ivxs_machine_options *options);
/* Boots from a snapshot file written by ivxs_machine_write_snapshot();
 * fills entry (the module to run). Returns -1 with a one-line error for a
 * missing, corrupt or mismatched file. */
int ivxs_machine_read_snapshot(const ivxs_machine_options *options, const char *path, char *entry, size_t entry_size);
/* Imports the preload modules and the entry, then writes the heap. */
int ivxs_machine_write_snapshot(const char *path, const char *entry, const char *const *preload, int preload_count);
/* Imports entry and calls its default export when it is a function.
 * Returns 0, or the process exit code for an uncaught exception. */
int ivxs_machine_run_entry(const char *entry);
void ivxs_machine_delete(void);

/* Memory figures for reports. */
typedef struct {
	size_t chunks_used, chunks_peak;       /* bytes in XS chunks */
	size_t slots_used, slots_peak;         /* bytes in XS slots */
	size_t reserved, reserved_peak;        /* bytes XS took from the system */
} ivxs_xs_memory;
void ivxs_machine_memory(ivxs_xs_memory *out);

#endif
