/*
 * Minimal files for the Linux host (module "ivxs/file"): read a file or a
 * range of it, append-only writers for recordings and demo output, and what
 * a bounded recording folder needs (list, remove, a durable rename). Writes are
 * scatter lists (writev) so muxer output goes out without joining buffers.
 * A full disk or any write error throws with the OS's reason; what was
 * written before stays, and truncate() rolls a torn fragment back.
 *
 * A writer is a host object (hooks gFileHooks) owning its descriptor: JS
 * never sees the number, close() is idempotent, and garbage collection
 * closes a writer nobody closed.
 *
 * Bindings read every argument (which may run JS: a getter, valueOf, and
 * with it the garbage collector, which moves strings and buffers) before they
 * take a pointer into one.
 */
#define _GNU_SOURCE
#include "xsmc.h"
#include "host.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <ftw.h>
#include <stdio.h>
#include <unistd.h>

#define kMaxIov 64
#define kMaxRead (256 * 1024 * 1024)

typedef struct {
	int fd;
	off_t base;   /* the file's size when opened: truncate() lengths count from here */
} FileRecord;

static void xs_file_destructor(void *data);
static const xsHostHooks gFileHooks = { xs_file_destructor, NULL, NULL };
static ivxs_mem_counter gFileMemory = { "file", 0, 0, NULL };

static void xs_file_destructor(void *data)
{
	FileRecord *record = data;
	if (!record)
		return;
	close(record->fd);
	ivxs_mem_add(&gFileMemory, -(int64_t)sizeof(FileRecord));
	free(record);
}

/* read(path, maxBytes, offset) -> ArrayBuffer of the file from offset, at most maxBytes */
void xs_file_read(xsMachine *the)
{
	char path[PATH_MAX];
	double limit = xsmcToNumber(xsArg(1));   /* may run JS: before anything is held */
	double offset = xsmcArgc > 2 ? xsmcToNumber(xsArg(2)) : 0;
	struct stat st;
	ssize_t got = 0, n, size;
	int fd;
	xsmcToStringBuffer(xsArg(0), path, sizeof(path));
	if (!(limit >= 0))
		ivxs_range_error(IVXS_EARG, "invalid maxBytes");
	if (!(offset >= 0) || offset != (double)(int64_t)offset)
		ivxs_range_error(IVXS_EARG, "invalid offset");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		ivxs_error(IVXS_HOST_ESYSTEM, "%s: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		ivxs_error(IVXS_EARG, "%s: not a regular file", path);
	}
	if (offset > (double)st.st_size)
		offset = (double)st.st_size;
	if (limit > (double)st.st_size - offset)
		limit = (double)st.st_size - offset;
	if (limit > kMaxRead) {   /* checked before the cast: a 32-bit ssize_t would wrap */
		close(fd);
		ivxs_error(IVXS_HOST_ELIMIT, "%s: more than 256 MiB: read a part (maxBytes)", path);
	}
	size = (ssize_t)limit;
	xsmcSetArrayBuffer(xsResult, NULL, (xsIntegerValue)size);
	while (got < size) {
		n = pread(fd, (uint8_t *)xsmcToArrayBuffer(xsResult) + got, (size_t)(size - got), (off_t)offset + got);
		if (n <= 0) {
			int error = n < 0 ? errno : EIO;
			if (n < 0 && error == EINTR)
				continue;
			close(fd);
			ivxs_error(IVXS_HOST_ESYSTEM, "%s: %s", path, strerror(error));
		}
		got += n;
	}
	close(fd);
}

/* open(path, truncate) -> writer */
void xs_file_open(xsMachine *the)
{
	char path[PATH_MAX];
	int truncate = xsmcTest(xsArg(1));
	FileRecord *record;
	struct stat st;
	int fd;
	xsmcToStringBuffer(xsArg(0), path, sizeof(path));
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | (truncate ? O_TRUNC : O_APPEND), 0644);
	if (fd < 0)
		ivxs_error(IVXS_HOST_ESYSTEM, "%s: %s", path, strerror(errno));
	record = calloc(1, sizeof(FileRecord));
	if (!record || fstat(fd, &st) < 0) {
		int error = record ? errno : ENOMEM;
		free(record);
		close(fd);
		ivxs_error(IVXS_HOST_ESYSTEM, "%s: %s", path, strerror(error));
	}
	record->fd = fd;
	record->base = S_ISREG(st.st_mode) ? st.st_size : 0;
	ivxs_mem_register(&gFileMemory);
	ivxs_mem_add(&gFileMemory, sizeof(FileRecord));
	xsResult = xsNewHostObject(NULL);
	xsmcSetHostData(xsResult, record);
	xsSetHostHooks(xsResult, &gFileHooks);
}

static int writeAll(int fd, struct iovec *iov, int n, double *total)
{
	size_t want = 0;
	int i;
	for (i = 0; i < n; i++)
		want += iov[i].iov_len;
	while (want) {
		ssize_t put = writev(fd, iov, n);
		if (put < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		*total += (double)put;
		want -= (size_t)put;
		while (put > 0 && n > 0) {
			if ((size_t)put >= iov[0].iov_len) {
				put -= (ssize_t)iov[0].iov_len;
				memmove(iov, iov + 1, sizeof(struct iovec) * (size_t)--n);
			}
			else {
				iov[0].iov_base = (uint8_t *)iov[0].iov_base + put;
				iov[0].iov_len -= (size_t)put;
				put = 0;
			}
		}
	}
	return 0;
}

/* writev(writer, chunks[]) -> bytes written: every chunk, or throws.
 * First every chunk is fetched (a getter may run JS and collect garbage) and
 * checked into a private array; only then are data pointers taken, and
 * nothing between them and writev() runs JS. */
void xs_file_writev(xsMachine *the)
{
	FileRecord *record;
	struct iovec iov[kMaxIov];
	int count, i, done = 0;
	double total = 0;
	xsmcVars(3);
	xsmcGet(xsVar(0), xsArg(1), xsID("length"));
	count = ivxs_to_int(the, &xsVar(0), 0, 1 << 20, "chunk list");
	xsmcSetNewArray(xsVar(1), count);
	for (i = 0; i < count; i++) {
		xsmcGetIndex(xsVar(0), xsArg(1), i);
		if (xsmcTypeOf(xsVar(0)) != xsReferenceType)
			ivxs_type_error(IVXS_EARG, "chunk %d is not a buffer", i);
		xsmcSetIndex(xsVar(1), i, xsVar(0));
	}
	record = ivxs_handle_open(the, &xsArg(0), &gFileHooks, NULL, "file writer");
	while (done < count) {
		int n = count - done > kMaxIov ? kMaxIov : count - done;
		for (i = 0; i < n; i++) {
			void *data;
			xsUnsignedValue size;
			xsmcGetIndex(xsVar(2), xsVar(1), done + i);
			xsmcGetBufferReadable(xsVar(2), &data, &size);
			iov[i].iov_base = data;
			iov[i].iov_len = size;
		}
		if (writeAll(record->fd, iov, n, &total) < 0)
			ivxs_error(IVXS_HOST_ESYSTEM, "write: %s", strerror(errno));
		done += n;
	}
	xsmcSetNumber(xsResult, total);
}

/* truncate(writer, length): the file shrinks back to `length` bytes past its
 * size at open, and later writes continue from there. */
void xs_file_truncate(xsMachine *the)
{
	double length = xsmcToNumber(xsArg(1));
	FileRecord *record = ivxs_handle_open(the, &xsArg(0), &gFileHooks, NULL, "file writer");
	struct stat st;
	off_t to;
	if (!(length >= 0) || length != (double)(int64_t)length || fstat(record->fd, &st) < 0 || (double)record->base + length > (double)st.st_size)
		ivxs_range_error(IVXS_EARG, "invalid length");
	to = record->base + (off_t)length;
	if (ftruncate(record->fd, to) < 0 || lseek(record->fd, to, SEEK_SET) < 0)
		ivxs_error(IVXS_HOST_ESYSTEM, "truncate: %s", strerror(errno));
}

/* close(writer): idempotent */
void xs_file_close(xsMachine *the)
{
	FileRecord *record = ivxs_handle_get(the, &xsArg(0), &gFileHooks, NULL, "file writer");
	int fd;
	if (!record)
		return;
	xsmcSetHostData(xsArg(0), NULL);
	fd = record->fd;
	ivxs_mem_add(&gFileMemory, -(int64_t)sizeof(FileRecord));
	free(record);
	if (close(fd) < 0 && errno != EINTR)
		ivxs_error(IVXS_HOST_ESYSTEM, "close: %s", strerror(errno));
}

void xs_file_mkdir(xsMachine *the)
{
	char path[PATH_MAX];
	xsmcToStringBuffer(xsArg(0), path, sizeof(path));
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		ivxs_error(IVXS_HOST_ESYSTEM, "%s: %s", path, strerror(errno));
}

/* list(path) -> [{ name, size }] of the folder's regular files (any order) */
void xs_file_list(xsMachine *the)
{
	char path[PATH_MAX], entry[PATH_MAX];
	struct dirent *d;
	struct stat st;
	DIR *dir;
	int n = 0;
	xsmcVars(2);
	xsmcToStringBuffer(xsArg(0), path, sizeof(path));
	dir = opendir(path);
	if (!dir)
		ivxs_error(IVXS_HOST_ESYSTEM, "%s: %s", path, strerror(errno));
	xsmcSetNewArray(xsResult, 0);
	while ((d = readdir(dir)) != NULL) {
		if (d->d_name[0] == '.' || snprintf(entry, sizeof(entry), "%s/%s", path, d->d_name) >= (int)sizeof(entry))
			continue;
		if (stat(entry, &st) < 0 || !S_ISREG(st.st_mode))
			continue;
		/* (no JS runs between readdir and closedir but these setters: an error would leak the DIR) */
		xsmcSetNewObject(xsVar(0));
		xsmcSetString(xsVar(1), d->d_name);
		xsmcSet(xsVar(0), xsID("name"), xsVar(1));
		xsmcSetNumber(xsVar(1), (double)st.st_size);
		xsmcSet(xsVar(0), xsID("size"), xsVar(1));
		xsmcSetIndex(xsResult, n++, xsVar(0));
	}
	closedir(dir);
}

/* remove(path): a missing file is fine (it is gone either way) */
void xs_file_remove(xsMachine *the)
{
	char path[PATH_MAX];
	xsmcToStringBuffer(xsArg(0), path, sizeof(path));
	if (unlink(path) < 0 && errno != ENOENT)
		ivxs_error(IVXS_HOST_ESYSTEM, "%s: %s", path, strerror(errno));
}

/* size(path) -> the size of a regular file, or undefined when there is none */
void xs_file_size(xsMachine *the)
{
	char path[PATH_MAX];
	struct stat st;
	xsmcToStringBuffer(xsArg(0), path, sizeof(path));
	if (stat(path, &st) < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return;
		ivxs_error(IVXS_HOST_ESYSTEM, "%s: %s", path, strerror(errno));
	}
	if (!S_ISREG(st.st_mode))
		ivxs_error(IVXS_EARG, "%s: not a regular file", path);
	xsmcSetNumber(xsResult, (double)st.st_size);
}

/* The folder part of path ("." without one), for fsync after a rename. */
static int syncFolderOf(const char *path)
{
	char folder[PATH_MAX];
	const char *slash = strrchr(path, '/');
	int fd, status;
	if (!slash)
		strcpy(folder, ".");
	else if (slash == path)
		strcpy(folder, "/");
	else
		snprintf(folder, sizeof(folder), "%.*s", (int)(slash - path), path);
	fd = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	status = fsync(fd);
	close(fd);
	return status;
}

/* replace(path, buffer): writes a temporary file beside path, fsyncs it and renames it over path
 * (then fsyncs the folder): a power cut leaves the old content or the new, never a mix. For small
 * records (modules/ota's state). */
void xs_file_replace(xsMachine *the)
{
	char path[PATH_MAX], tmp[PATH_MAX + 8];
	void *data;
	xsUnsignedValue size;
	int fd, error = 0;
	xsmcToStringBuffer(xsArg(0), path, sizeof(path));
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		ivxs_error(IVXS_HOST_ESYSTEM, "%s: %s", tmp, strerror(errno));
	xsmcGetBufferReadable(xsArg(1), &data, &size);   /* last: nothing runs JS from here */
	while (size && !error) {
		ssize_t put = write(fd, data, size);
		if (put < 0 && errno != EINTR)
			error = errno;
		else if (put > 0)
			data = (uint8_t *)data + put, size -= (xsUnsignedValue)put;
	}
	if (!error && fsync(fd) < 0)
		error = errno;
	close(fd);
	if (!error && rename(tmp, path) < 0)
		error = errno;
	if (!error && syncFolderOf(path) < 0)
		error = errno;
	if (error) {
		unlink(tmp);
		ivxs_error(IVXS_HOST_ESYSTEM, "%s: %s", path, strerror(error));
	}
}

static int removeEntry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

/* removeTree(path): a file or a folder with everything in it; nothing there is not an error. */
void xs_file_remove_tree(xsMachine *the)
{
	char path[PATH_MAX];
	struct stat st;
	xsmcToStringBuffer(xsArg(0), path, sizeof(path));
	if (lstat(path, &st) < 0 && errno == ENOENT)
		return;
	if (nftw(path, removeEntry, 16, FTW_DEPTH | FTW_PHYS) < 0)
		ivxs_error(IVXS_HOST_ESYSTEM, "%s: %s", path, strerror(errno));
}

/* rename(from, to), durable: the bytes (a file's, or a folder's entries) reach the disk before
 * the new name does, and the name before this returns — after a power cut the name is either
 * the old one or the new one with everything behind it. */
void xs_file_rename(xsMachine *the)
{
	char from[PATH_MAX], to[PATH_MAX];
	int fd;
	xsmcToStringBuffer(xsArg(0), from, sizeof(from));
	xsmcToStringBuffer(xsArg(1), to, sizeof(to));
	fd = open(from, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		ivxs_error(IVXS_HOST_ESYSTEM, "%s: %s", from, strerror(errno));
	if (fsync(fd) < 0 && errno != EINVAL) {
		int error = errno;
		close(fd);
		ivxs_error(IVXS_HOST_ESYSTEM, "fsync %s: %s", from, strerror(error));
	}
	close(fd);
	if (rename(from, to) < 0)
		ivxs_error(IVXS_HOST_ESYSTEM, "rename %s: %s", from, strerror(errno));
	(void)syncFolderOf(to);
}

/* sync(writer): what was written is on the disk (fsync) */
void xs_file_sync(xsMachine *the)
{
	FileRecord *record = ivxs_handle_open(the, &xsArg(0), &gFileHooks, NULL, "file writer");
	if (fsync(record->fd) < 0)
		ivxs_error(IVXS_HOST_ESYSTEM, "fsync: %s", strerror(errno));
}
