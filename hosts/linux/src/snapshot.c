/*
 * Heap snapshots: the app's modules preloaded, written at build time, booted
 * in production.
 *
 * File: "IVXSSNAP", u32 format, u32 entry length, entry bytes, u32 signature
 * length, signature, the XS snapshot, then a u64 FNV-1a of every byte before
 * it. The checksum covers the whole file (the entry name too), so a damaged
 * file is refused before XS reads a byte of it; the signature names the XS
 * version, the architecture and a hash of the host's callback table, so a
 * snapshot from another build is refused too. Written to a temporary file and
 * renamed, and only ever over a regular file.
 */
#include "xsAll.h"
#include "xsSnapshot.h"
#include "host.h"

#include <fcntl.h>
#include <sys/stat.h>

#define kSnapshotMagic "IVXSSNAP"
#define kSnapshotFormat 2
#define kSnapshotMaxBytes ((size_t)512 * 1024 * 1024)
#define kFnvOffset 0xcbf29ce484222325ULL

typedef struct {
	FILE *file;
	uint64_t hash;
} WriteStream;

typedef struct {
	const uint8_t *at;
	size_t left;
} ReadStream;

static uint64_t fnv1a(uint64_t hash, const void *data, size_t size)
{
	const uint8_t *p = data;
	while (size--) {
		hash ^= *p++;
		hash *= 0x100000001b3ULL;
	}
	return hash;
}

static int streamWrite(void *stream, void *address, size_t size)
{
	WriteStream *s = stream;
	s->hash = fnv1a(s->hash, address, size);
	return fwrite(address, size, 1, s->file) == 1 ? 0 : -1;
}

static int streamRead(void *stream, void *address, size_t size)
{
	ReadStream *s = stream;
	if (size > s->left)
		return -1;
	c_memcpy(address, s->at, size);
	s->at += size;
	s->left -= size;
	return 0;
}

static int writeU32(WriteStream *s, uint32_t v) { return streamWrite(s, &v, 4); }

static int takeU32(ReadStream *s, uint32_t *v) { return streamRead(s, v, 4); }

/* Engine callbacks this XS build creates but its own snapshot table lacks. */
extern void fx_ArrayBuffer_fromString(txMachine *the);
extern void fx_String_fromArrayBuffer(txMachine *the);
static const txCallback gEngineExtraCallbacks[] = {
	fx_ArrayBuffer_fromString,
	fx_String_fromArrayBuffer,
};
#define kEngineExtraCount ((int)(sizeof(gEngineExtraCallbacks) / sizeof(gEngineExtraCallbacks[0])))

static txCallback *gSnapshotCallbacks;
static int gSnapshotCallbackCount;

/* The host ABI: a hash of the host function table's names (what native code an app may call).
 * Snapshots carry it; OTA bundles name it (modules/ota/FORMAT.md) and are refused elsewhere. */
uint64_t ivxs_host_abi(void)
{
	uint64_t hash = kFnvOffset;
	int i;
	for (i = 0; i < ivxs_host_function_count; i++)
		hash = fnv1a(hash, ivxs_host_functions[i].name, c_strlen(ivxs_host_functions[i].name) + 1);
	return hash;
}

static void makeSignature(char *signature, size_t size)
{
	uint64_t hash = ivxs_host_abi();
	snprintf(signature, size, "ivxs/xs-%d.%d.%d/%s/%zu/%016llx", XS_MAJOR_VERSION, XS_MINOR_VERSION, XS_PATCH_VERSION,
#if defined(__x86_64__)
		"x86_64",
#elif defined(__aarch64__)
		"aarch64",
#elif defined(__arm__)
		"arm",
#elif defined(__i386__)
		"i386",
#else
		"other",
#endif
		sizeof(void *), (unsigned long long)hash);
}

static int snapshotCallbacks(void)
{
	int i, j;
	if (gSnapshotCallbacks)
		return 0;
	gSnapshotCallbackCount = ivxs_host_function_count + 2 + kEngineExtraCount;
	gSnapshotCallbacks = c_calloc((size_t)gSnapshotCallbackCount, sizeof(txCallback));
	if (!gSnapshotCallbacks)
		return -1;
	for (i = 0; i < ivxs_host_function_count; i++)
		gSnapshotCallbacks[i] = ivxs_host_functions[i].callback;
	gSnapshotCallbacks[i++] = ivxs_build_hosts;
	gSnapshotCallbacks[i++] = xs_trace;
	for (j = 0; j < kEngineExtraCount; j++)
		gSnapshotCallbacks[i++] = gEngineExtraCallbacks[j];
	return 0;
}

/* Opens path.tmp for writing, refusing anything but a regular file at path
 * (a device node, FIFO or directory is never replaced). */
static FILE *openTemporary(const char *path, char *tmp, size_t size)
{
	struct stat st;
	int fd;
	FILE *file;
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		ivxs_machine_set_error("refusing to write the snapshot to %s: not a regular file", path);
		return NULL;
	}
	if (snprintf(tmp, size, "%s.tmp", path) >= (int)size) {
		ivxs_machine_set_error("snapshot path too long: %s", path);
		return NULL;
	}
	if (lstat(tmp, &st) == 0 && !S_ISREG(st.st_mode)) {
		ivxs_machine_set_error("refusing to write the snapshot through %s: not a regular file", tmp);
		return NULL;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0644);
	if (fd < 0) {
		ivxs_machine_set_error("cannot write %s: %s", tmp, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		ivxs_machine_set_error("refusing to write the snapshot through %s: not a regular file", tmp);
		return NULL;
	}
	file = fdopen(fd, "wb");
	if (!file) {
		close(fd);
		ivxs_machine_set_error("cannot write %s: %s", tmp, strerror(errno));
	}
	return file;
}

int ivxs_snapshot_write(const char *path, const char *entry, const char *const *preload, int preload_count)
{
	txMachine *the = ivxs_machine_instance;
	char signature[128], tmp[C_PATH_MAX];
	txSnapshot snapshot;
	WriteStream stream;
	int i, status, failed;
	uint32_t entryLength = (uint32_t)c_strlen(entry), signatureLength;
	for (i = 0; i < preload_count; i++) {
		if (ivxs_import(preload[i], 0)) {
			ivxs_machine_set_error("preload of %s failed", preload[i]);
			return -1;
		}
	}
	if (ivxs_import(entry, 0)) {
		ivxs_machine_set_error("preload of entry %s failed", entry);
		return -1;
	}
	if (snapshotCallbacks() < 0) {
		ivxs_machine_set_error("out of memory");
		return -1;
	}
	makeSignature(signature, sizeof(signature));
	signatureLength = (uint32_t)c_strlen(signature);
	stream.file = openTemporary(path, tmp, sizeof(tmp));
	if (!stream.file)
		return -1;
	stream.hash = kFnvOffset;
	failed = streamWrite(&stream, kSnapshotMagic, 8) || writeU32(&stream, kSnapshotFormat)
		|| writeU32(&stream, entryLength) || streamWrite(&stream, (void *)entry, entryLength)
		|| writeU32(&stream, signatureLength) || streamWrite(&stream, signature, signatureLength);
	c_memset(&snapshot, 0, sizeof(snapshot));
	snapshot.signature = signature;
	snapshot.signatureLength = (int)signatureLength;
	snapshot.callbacks = gSnapshotCallbacks;
	snapshot.callbacksLength = gSnapshotCallbackCount;
	snapshot.write = streamWrite;
	snapshot.stream = &stream;
	ivxs_collect_garbage();
	ivxs_overflow_is_fatal(1);
	status = failed ? 0 : fxWriteSnapshot(the, &snapshot);
	ivxs_overflow_is_fatal(-1);
	if (status && !snapshot.error)
		failed = fwrite(&stream.hash, 8, 1, stream.file) != 1;
	if (fclose(stream.file) != 0 || failed || !status || snapshot.error) {
		remove(tmp);
		ivxs_machine_set_error("cannot write snapshot %s (XS error %d)", path, snapshot.error);
		return -1;
	}
	if (rename(tmp, path) != 0) {
		ivxs_machine_set_error("cannot write %s: %s", path, strerror(errno));
		remove(tmp);
		return -1;
	}
	return 0;
}

/* Reads the whole file (a regular file, at most kSnapshotMaxBytes). */
static uint8_t *readWhole(const char *path, size_t *size)
{
	struct stat st;
	uint8_t *bytes;
	size_t got = 0;
	FILE *file = fopen(path, "rb");
	if (!file) {
		ivxs_machine_set_error("cannot open snapshot %s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fileno(file), &st) < 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size > kSnapshotMaxBytes) {
		fclose(file);
		ivxs_machine_set_error("%s is not an ivxs snapshot (not a regular file of at most 512 MiB)", path);
		return NULL;
	}
	bytes = c_malloc(st.st_size ? (size_t)st.st_size : 1);
	if (!bytes) {
		fclose(file);
		ivxs_machine_set_error("out of memory reading %s", path);
		return NULL;
	}
	got = fread(bytes, 1, (size_t)st.st_size, file);
	fclose(file);
	if (got != (size_t)st.st_size) {
		c_free(bytes);
		ivxs_machine_set_error("cannot read snapshot %s", path);
		return NULL;
	}
	*size = got;
	return bytes;
}

static int checkFile(const char *path, const uint8_t *bytes, size_t size, char *entry, size_t entry_size, ReadStream *body)
{
	char signature[128], expected[128];
	uint32_t format, length;
	uint64_t stored;
	ReadStream s;
	if (size < 8 + 4 + 4 + 4 + 8 || c_memcmp(bytes, kSnapshotMagic, 8)) {
		ivxs_machine_set_error("%s is not an ivxs snapshot", path);
		return -1;
	}
	c_memcpy(&stored, bytes + size - 8, 8);
	if (fnv1a(kFnvOffset, bytes, size - 8) != stored) {
		ivxs_machine_set_error("%s: snapshot is corrupt (checksum mismatch)", path);
		return -1;
	}
	s.at = bytes + 8;
	s.left = size - 8 - 8;
	if (takeU32(&s, &format) || format != kSnapshotFormat) {
		ivxs_machine_set_error("%s: unsupported snapshot format", path);
		return -1;
	}
	if (takeU32(&s, &length) || length == 0 || length >= entry_size || streamRead(&s, entry, length)) {
		ivxs_machine_set_error("%s: bad entry in the snapshot header", path);
		return -1;
	}
	entry[length] = 0;
	if (c_strlen(entry) != length) {
		ivxs_machine_set_error("%s: bad entry in the snapshot header", path);
		return -1;
	}
	if (takeU32(&s, &length) || length >= sizeof(signature) || streamRead(&s, signature, length)) {
		ivxs_machine_set_error("%s: bad signature in the snapshot header", path);
		return -1;
	}
	signature[length] = 0;
	makeSignature(expected, sizeof(expected));
	if (c_strcmp(signature, expected)) {
		ivxs_machine_set_error("%s: snapshot was built for another host (%s, this host is %s)", path, signature, expected);
		return -1;
	}
	*body = s;
	return 0;
}

/* The file ivxs_snapshot_open() checked, kept until it boots or is closed. */
static uint8_t *gOpened;
static ReadStream gBody;
static const char *gOpenedPath;

int ivxs_snapshot_open(const char *path, char *entry, size_t entry_size)
{
	size_t size = 0;
	ivxs_snapshot_close();
	gOpened = readWhole(path, &size);
	if (!gOpened)
		return -1;
	if (checkFile(path, gOpened, size, entry, entry_size, &gBody) < 0) {
		ivxs_snapshot_close();
		return -1;
	}
	gOpenedPath = path;
	return 0;
}

void ivxs_snapshot_close(void)
{
	c_free(gOpened);
	gOpened = NULL;
}

int ivxs_snapshot_boot(void)
{
	char signature[128];
	txSnapshot snapshot;
	ivxs_seed_random();
	if (!gOpened) {
		ivxs_machine_set_error("no snapshot opened");
		return -1;
	}
	if (snapshotCallbacks() < 0) {
		ivxs_snapshot_close();
		ivxs_machine_set_error("out of memory");
		return -1;
	}
	makeSignature(signature, sizeof(signature));
	c_memset(&snapshot, 0, sizeof(snapshot));
	snapshot.signature = signature;
	snapshot.signatureLength = (int)c_strlen(signature);
	snapshot.callbacks = gSnapshotCallbacks;
	snapshot.callbacksLength = gSnapshotCallbackCount;
	snapshot.read = streamRead;
	snapshot.stream = &gBody;
	ivxs_machine_instance = fxReadSnapshot(&snapshot, "ivxs", NULL);
	ivxs_snapshot_close();
	if (!ivxs_machine_instance || snapshot.error) {
		ivxs_machine_set_error("%s: XS could not read the snapshot (error %d)", gOpenedPath, snapshot.error);
		return -1;
	}
	return 0;
}

void ivxs_snapshot_delete(void)
{
	c_free(gSnapshotCallbacks);
	gSnapshotCallbacks = NULL;
}
