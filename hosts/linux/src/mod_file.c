/*
 * Minimal files for the Linux host (module "ivxs/file"): read a whole file,
 * and append-only writers for recordings and demo output. Writes are
 * scatter lists (writev) so muxer output goes out without joining buffers.
 * A full disk or any write error throws with the OS's reason; what was
 * written before stays.
 */
#define _GNU_SOURCE
#include "xsmc.h"
#include "host.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#define kMaxIov 64

/* read(path, maxBytes) -> ArrayBuffer of the file, or of its first maxBytes */
void xs_file_read(xsMachine *the)
{
	const char *path = xsmcToString(xsArg(0));
	double limit = xsmcToNumber(xsArg(1));
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t got = 0, n, size;
	if (fd < 0)
		xsUnknownError("%s: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		xsUnknownError("%s: not a regular file", path);
	}
	size = st.st_size < limit ? (ssize_t)st.st_size : (ssize_t)limit;
	if (size > 256 * 1024 * 1024) {
		close(fd);
		xsUnknownError("%s: more than 256 MiB: read a part (maxBytes)", path);
	}
	xsmcSetArrayBuffer(xsResult, NULL, (xsIntegerValue)size);
	while (got < size) {
		n = read(fd, (uint8_t *)xsmcToArrayBuffer(xsResult) + got, (size_t)(size - got));
		if (n <= 0) {
			int error = n < 0 ? errno : EIO;
			close(fd);
			xsUnknownError("%s: %s", path, strerror(error));
		}
		got += n;
	}
	close(fd);
}

/* open(path, truncate) -> fd for appending */
void xs_file_open(xsMachine *the)
{
	const char *path = xsmcToString(xsArg(0));
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | (xsmcTest(xsArg(1)) ? O_TRUNC : O_APPEND), 0644);
	if (fd < 0)
		xsUnknownError("%s: %s", path, strerror(errno));
	xsmcSetInteger(xsResult, fd);
}

/* writev(fd, chunks[]) -> bytes written: every chunk, or throws */
void xs_file_writev(xsMachine *the)
{
	int fd = xsmcToInteger(xsArg(0));
	struct iovec iov[kMaxIov];
	int count, i, done = 0;
	double total = 0;
	xsmcVars(1);
	xsmcGet(xsVar(0), xsArg(1), xsID("length"));
	count = xsmcToInteger(xsVar(0));
	while (done < count) {
		int n = count - done > kMaxIov ? kMaxIov : count - done;
		size_t want = 0;
		ssize_t put;
		for (i = 0; i < n; i++) {
			void *data;
			xsUnsignedValue size;
			xsmcGetIndex(xsVar(0), xsArg(1), done + i);
			xsmcGetBufferReadable(xsVar(0), &data, &size);
			iov[i].iov_base = data;
			iov[i].iov_len = size;
			want += size;
		}
		/* Data pointers stay valid: nothing below runs JS or collects. */
		while (want) {
			put = writev(fd, iov, n);
			if (put < 0) {
				if (errno == EINTR)
					continue;
				xsUnknownError("write: %s", strerror(errno));
			}
			total += (double)put;
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
		done += count - done > kMaxIov ? kMaxIov : count - done;
	}
	xsmcSetNumber(xsResult, total);
}

/* truncate(fd, bytes): drops the file's last `bytes` bytes; the next write
 * goes where they were (also for a writer that does not append) */
void xs_file_truncate(xsMachine *the)
{
	int fd = xsmcToInteger(xsArg(0));
	double drop = xsmcToNumber(xsArg(1));
	struct stat st;
	off_t length;
	if (fstat(fd, &st) < 0)
		xsUnknownError("truncate: %s", strerror(errno));
	if (!(drop >= 0 && drop <= (double)st.st_size))
		xsRangeError("truncate: invalid length");
	length = st.st_size - (off_t)drop;
	if (ftruncate(fd, length) < 0 || lseek(fd, length, SEEK_SET) < 0)
		xsUnknownError("truncate: %s", strerror(errno));
}

void xs_file_close(xsMachine *the)
{
	int fd = xsmcToInteger(xsArg(0));
	if (fd >= 0 && close(fd) < 0)
		xsUnknownError("close: %s", strerror(errno));
}

void xs_file_mkdir(xsMachine *the)
{
	const char *path = xsmcToString(xsArg(0));
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		xsUnknownError("%s: %s", path, strerror(errno));
}
