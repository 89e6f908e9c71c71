/*
 * Moddable's `preference` module on Linux: persistent key/value storage for
 * device state. One file per key under <data>/<domain>/<key>, written to a
 * temporary file, fsynced and renamed, so a crash or a full disk leaves the
 * previous value intact. Values: boolean, integer, string, ArrayBuffer.
 */
#define _GNU_SOURCE
#include "xsmc.h"
#include "xsHost.h"
#include "host.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define kNameMax 63
#define kValueMax (64 * 1024)

static void checkName(xsMachine *the, const char *name, const char *what)
{
	size_t i, n = strlen(name);
	if (!n || n > kNameMax)
		xsRangeError("invalid %s", what);
	for (i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || (c == '.' && i > 0)))
			xsRangeError("invalid %s", what);
	}
}

static void makePath(xsMachine *the, char *path, size_t size, int withKey)
{
	char domain[kNameMax + 1], key[kNameMax + 1];
	xsmcToStringBuffer(xsArg(0), domain, sizeof(domain));
	checkName(the, domain, "domain");
	if (withKey) {
		xsmcToStringBuffer(xsArg(1), key, sizeof(key));
		checkName(the, key, "key");
		snprintf(path, size, "%s/%s/%s", ivxs_config.data_dir, domain, key);
	}
	else
		snprintf(path, size, "%s/%s", ivxs_config.data_dir, domain);
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
	char path[512], tmp[520], tag;
	const void *data;
	size_t size;
	int32_t integer;
	uint8_t boolean;
	int fd, error;
	xsUnsignedValue bufferSize;
	void *buffer;
	makePath(the, path, sizeof(path), 0);
	mkdir(ivxs_config.data_dir, 0755);
	mkdir(path, 0755);
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
		if (n != (double)(int32_t)n)
			xsRangeError("only 32-bit integers are stored");
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
		break;
	case xsReferenceType:
		xsmcGetBufferReadable(xsArg(2), &buffer, &bufferSize);
		tag = 'a';
		data = buffer;
		size = bufferSize;
		break;
	default:
		xsTypeError("unsupported value type");
		return;
	}
	if (size > kValueMax)
		xsRangeError("value too large");
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		xsUnknownError("preference: %s", strerror(errno));
	if (writeAll(fd, &tag, 1) < 0 || writeAll(fd, data, size) < 0 || fsync(fd) < 0) {
		error = errno;
		close(fd);
		unlink(tmp);
		xsUnknownError("preference: %s", strerror(error));   /* old value untouched */
	}
	close(fd);
	if (rename(tmp, path) < 0) {
		error = errno;
		unlink(tmp);
		xsUnknownError("preference: %s", strerror(error));
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
		xsUnknownError("preference: corrupt value");
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
			xsUnknownError("no memory");
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
		xsUnknownError("preference: corrupt value");
}

void xs_preference_delete(xsMachine *the)
{
	char path[512];
	makePath(the, path, sizeof(path), 1);
	if (unlink(path) < 0 && errno != ENOENT)
		xsUnknownError("preference: %s", strerror(errno));
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
