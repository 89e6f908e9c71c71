/*
 * Moddable's `preference` module on Linux: persistent key/value storage for
 * device state. One file per key under <data>/<domain>/<key>, written to a
 * temporary file, fsynced and renamed, so a crash or a full disk leaves the
 * previous value intact. Values: boolean, integer, string, ArrayBuffer.
 *
 * The limits are the ESP32's (Moddable's esp32 preference on ESP-IDF NVS), so
 * what a board would refuse fails here too, in CI:
 *   - domain (NVS namespace) and key: 1 to 15 bytes (NVS_KEY_NAME_MAX_SIZE 16
 *     with the NUL); here also only [A-Za-z0-9_.-], as they name files;
 *   - strings: at most 3,999 bytes of UTF-8 (NVS: 4,000 with the NUL);
 *   - numbers: 32-bit integers only (the board stores i32: "float unsupported");
 *   - buffers: an ArrayBuffer only (the board refuses typed arrays and
 *     DataViews), at most kBlobMax bytes: NVS allows 97.6% of the partition
 *     less 4,000 bytes, and hosts/esp32s3/partitions.csv gives nvs 0x6000.
 */
#define _GNU_SOURCE
#include "xsmc.h"
#include "xsHost.h"
#include "host.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define kNameMax 15
#define kStringMax 3999
#define kNvsPartitionBytes 0x6000
#define kBlobMax ((kNvsPartitionBytes * 976) / 1000 - 4000)
#define kValueMax (64 * 1024)   /* what get() reads back (older files) */

/* Copies a domain or key name into out (kNameMax + 1 bytes), or throws. */
static void getName(xsMachine *the, xsSlot *slot, char *out, const char *what)
{
	const char *text = xsmcToString(*slot);
	size_t i, n = strlen(text);
	if (!n || n > kNameMax)
		ivxs_range_error(IVXS_EARG, "invalid %s: 1 to %d bytes (the ESP32's NVS limit)", what, kNameMax);
	for (i = 0; i < n; i++) {
		char c = text[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || (c == '.' && i > 0)))
			ivxs_range_error(IVXS_EARG, "invalid %s: letters, digits, '_', '-' and '.'", what);
	}
	memcpy(out, text, n + 1);
}

/* Reads domain (and key) before anything else: their conversion may run JS. */
static void makePath(xsMachine *the, char *path, size_t size, int withKey)
{
	char domain[kNameMax + 1], key[kNameMax + 1];
	int length;
	getName(the, &xsArg(0), domain, "domain");
	if (withKey) {
		getName(the, &xsArg(1), key, "key");
		length = snprintf(path, size, "%s/%s/%s.tmp", ivxs_config.data_dir, domain, key);
		path[length - 4] = 0;   /* room for ".tmp" checked here, for the process id at the write */
	}
	else
		length = snprintf(path, size, "%s/%s", ivxs_config.data_dir, domain);
	if (length < 0 || (size_t)length >= size)
		ivxs_range_error(IVXS_EARG, "data folder path too long");
}

static int writeAll(int fd, const void *data, size_t size)
{
	const uint8_t *p = data;
	while (size) {
		ssize_t put = write(fd, p, size);
		if (put < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += put;
		size -= (size_t)put;
	}
	return 0;
}

void xs_preference_set(xsMachine *the)
{
	char dir[512], path[512], tmp[520], tag;
	const void *data;
	size_t size;
	int32_t integer;
	uint8_t boolean;
	int fd, error;
	xsUnsignedValue bufferSize;
	void *buffer;
	makePath(the, dir, sizeof(dir), 0);
	makePath(the, path, sizeof(path), 1);
	switch (xsmcTypeOf(xsArg(2))) {
	case xsBooleanType:
		tag = 'b';
		boolean = xsmcTest(xsArg(2)) ? 1 : 0;
		data = &boolean;
		size = 1;
		break;
	case xsIntegerType:
		tag = 'i';
		integer = xsmcToInteger(xsArg(2));
		data = &integer;
		size = 4;
		break;
	case xsNumberType: {
		double n = xsmcToNumber(xsArg(2));
		if (!(n >= INT32_MIN && n <= INT32_MAX) || n != (double)(int32_t)n)
			ivxs_range_error(IVXS_EARG, "only 32-bit integers are stored");
		tag = 'i';
		integer = (int32_t)n;
		data = &integer;
		size = 4;
		break;
	}
	case xsStringType:
		tag = 's';
		data = xsmcToString(xsArg(2));
		size = strlen(data);
		if (size > kStringMax)
			ivxs_range_error(IVXS_EARG, "string longer than %d bytes (the ESP32's NVS limit)", kStringMax);
		break;
	case xsReferenceType:
		if (!xsmcIsInstanceOf(xsArg(2), xsArrayBufferPrototype))
			ivxs_type_error(IVXS_EARG, "unsupported value type (an ArrayBuffer, not a view: as on the ESP32)");
		xsmcGetBufferReadable(xsArg(2), &buffer, &bufferSize);
		if (bufferSize > kBlobMax)
			ivxs_range_error(IVXS_EARG, "ArrayBuffer larger than %d bytes (the ESP32's NVS partition)", kBlobMax);
		tag = 'a';
		data = buffer;
		size = bufferSize;
		break;
	default:
		ivxs_type_error(IVXS_EARG, "unsupported value type");
		return;
	}
	mkdir(ivxs_config.data_dir, 0755);
	mkdir(dir, 0755);
	/* The temporary file is this process's own: two processes on one data folder (parallel tests'
	 * cameras making their DTLS identity at once) shared "key.tmp", and the second rename found it
	 * gone (ENOENT). The last rename wins; a crashed writer's file is ignored by keys(). */
	if (snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", path, (long)getpid()) >= (int)sizeof(tmp))
		ivxs_range_error(IVXS_EARG, "data folder path too long");
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		ivxs_error(IVXS_HOST_ESYSTEM, "preference: %s", strerror(errno));
	if (writeAll(fd, &tag, 1) < 0 || writeAll(fd, data, size) < 0 || fsync(fd) < 0) {
		error = errno;
		close(fd);
		unlink(tmp);
		ivxs_error(IVXS_HOST_ESYSTEM, "preference: %s", strerror(error));   /* old value untouched */
	}
	close(fd);
	if (rename(tmp, path) < 0) {
		error = errno;
		unlink(tmp);
		ivxs_error(IVXS_HOST_ESYSTEM, "preference: %s", strerror(error));
	}
}

void xs_preference_get(xsMachine *the)
{
	char path[512], tag;
	struct stat st;
	int fd;
	ssize_t got;
	makePath(the, path, sizeof(path), 1);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;   /* undefined: not set */
	if (fstat(fd, &st) < 0 || st.st_size < 1 || st.st_size > kValueMax + 1 || read(fd, &tag, 1) != 1) {
		close(fd);
		ivxs_error(IVXS_HOST_ECORRUPT, "preference: corrupt value");
	}
	switch (tag) {
	case 'b': {
		uint8_t b = 0;
		got = read(fd, &b, 1);
		if (got == 1)
			xsmcSetBoolean(xsResult, b);
		break;
	}
	case 'i': {
		int32_t i = 0;
		got = read(fd, &i, 4);
		if (got == 4)
			xsmcSetInteger(xsResult, i);
		break;
	}
	case 's': {
		size_t n = (size_t)st.st_size - 1;
		char *text = malloc(n + 1);
		if (!text) {
			close(fd);
			ivxs_error(IVXS_ENOMEM, "no memory");
		}
		got = read(fd, text, n);
		text[got > 0 ? got : 0] = 0;
		if ((size_t)got == n)
			xsmcSetString(xsResult, text);
		free(text);
		break;
	}
	case 'a':
		xsmcSetArrayBuffer(xsResult, NULL, (xsIntegerValue)(st.st_size - 1));
		got = read(fd, xsmcToArrayBuffer(xsResult), (size_t)st.st_size - 1);
		if (got != st.st_size - 1)
			xsmcSetUndefined(xsResult);
		break;
	default:
		got = -1;
		break;
	}
	close(fd);
	if (xsmcTypeOf(xsResult) == xsUndefinedType)
		ivxs_error(IVXS_HOST_ECORRUPT, "preference: corrupt value");
}

void xs_preference_delete(xsMachine *the)
{
	char path[512];
	makePath(the, path, sizeof(path), 1);
	if (unlink(path) < 0 && errno != ENOENT)
		ivxs_error(IVXS_HOST_ESYSTEM, "preference: %s", strerror(errno));
}

void xs_preference_keys(xsMachine *the)
{
	char path[512];
	DIR *dir;
	struct dirent *entry;
	size_t n;
	makePath(the, path, sizeof(path), 0);
	xsmcVars(1);
	xsResult = xsNewArray(0);
	dir = opendir(path);
	if (!dir)
		return;
	while ((entry = readdir(dir))) {
		if (entry->d_name[0] == '.')
			continue;
		n = strlen(entry->d_name);
		if (n > 4 && !strcmp(entry->d_name + n - 4, ".tmp"))
			continue;
		xsmcSetString(xsVar(0), entry->d_name);
		xsCall1(xsResult, xsID("push"), xsVar(0));
	}
	closedir(dir);
}
