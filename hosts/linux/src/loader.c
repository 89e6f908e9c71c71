/*
 * Modules: resolving specifiers to keys, loading <root>/<key>.js, binding the
 * `@ "xs_…"` host functions a module declares through the generated registry
 * (build/gen/host_table.c), and keeping the host's internal modules to the
 * host's own modules.
 *
 * Internal modules (kInternalModules) hand out raw capabilities, such as the
 * descriptor-level socket primitives under the ECMA-419 classes. Only a module
 * found in the same module root as the internal module (the host's registry,
 * build/mods) may import one; an app's import of it is a ReferenceError.
 */
#include "xsAll.h"
#include "xsScript.h"
#include "host.h"

#include <sys/stat.h>

typedef struct BuilderBlock {
	struct BuilderBlock *next;
	txInteger count;
	txHostFunctionBuilder builders[1];
} BuilderBlock;

typedef struct {
	txID id;
	int root;
} LoadedModule;

static const char *const kInternalModules[] = {
	"ivxs/socket-native",
	"ivxs/tls-native",
};
#define kInternalModuleCount ((int)(sizeof(kInternalModules) / sizeof(kInternalModules[0])))

/* XS's thrown messages hold 128 bytes with the frame name: a path in a
 * message gets what the sentence leaves of this budget. */
#define kMessageBudget 96

static BuilderBlock *gBuilderBlocks;       /* XS keeps pointers to builders: never freed before the machine */
static BuilderBlock *gPendingBlock;        /* handed to buildHosts by fxRunScript */
static LoadedModule *gLoaded;              /* the root each module was loaded from */
static size_t gLoadedCount, gLoadedCapacity;

const char *ivxs_shorten(const char *text, size_t keep, char *out, size_t size)
{
	size_t length = c_strlen(text);
	if (keep >= size)
		keep = size - 1;
	if (length <= keep)
		snprintf(out, size, "%s", text);
	else if (keep < 8)
		snprintf(out, size, "...");
	else
		snprintf(out, size, "...%s", text + length - (keep - 3));
	return out;
}

/* "<path>: <sentence>" within the budget: the path is shortened, never the sentence. */
static void composeMessage(char *out, size_t size, const char *path, const char *sentence)
{
	char shortPath[kMessageBudget + 1];
	size_t used = c_strlen(sentence) + 2;
	if (used >= kMessageBudget || !path)
		snprintf(out, size, "%s", sentence);
	else
		snprintf(out, size, "%s: %s", ivxs_shorten(path, kMessageBudget - used, shortPath, sizeof(shortPath)), sentence);
}

static int isInternal(const char *key)
{
	int i;
	for (i = 0; i < kInternalModuleCount; i++)
		if (!c_strcmp(key, kInternalModules[i]))
			return 1;
	return 0;
}

static int loadedRoot(txID id)
{
	size_t i;
	for (i = 0; i < gLoadedCount; i++)
		if (gLoaded[i].id == id)
			return gLoaded[i].root;
	return -1;
}

static void rememberRoot(txMachine *the, txID id, int root)
{
	if (gLoadedCount == gLoadedCapacity) {
		size_t capacity = gLoadedCapacity ? gLoadedCapacity * 2 : 64;
		LoadedModule *grown = c_realloc(gLoaded, capacity * sizeof(LoadedModule));
		if (!grown)
			mxUnknownError("out of memory");
		gLoaded = grown;
		gLoadedCapacity = capacity;
	}
	gLoaded[gLoadedCount].id = id;
	gLoaded[gLoadedCount].root = root;
	gLoadedCount++;
}

int ivxs_loader_find(const char *key, const char *extension, char *path, size_t size)
{
	int i;
	struct stat st;
	for (i = 0; i < ivxs_config.module_root_count; i++) {
		if (snprintf(path, size, "%s/%s%s", ivxs_config.module_roots[i], key, extension) >= (int)size)
			continue;
		if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
			return i;
	}
	return -1;
}

/* Which root holds <key>.js (fills path), or -1. */
static int findModuleFile(const char *key, char *path, size_t size)
{
	return ivxs_loader_find(key, ".js", path, size);
}

/* Module keys: a bare specifier ("timer", "embedded:io/socket/udp", "ring")
 * or a root-relative path without ".js" ("modules/app/main"). */
static int normalizeRelative(const char *referrer, const char *specifier, char *out, size_t size)
{
	char buffer[C_PATH_MAX];
	char *parts[128];
	int count = 0, i;
	char *p, *save;
	const char *slash = c_strrchr(referrer, '/');
	size_t dir = slash ? (size_t)(slash - referrer) : 0;
	if (dir + 1 + c_strlen(specifier) + 1 > sizeof(buffer))
		return -1;
	c_memcpy(buffer, referrer, dir);
	buffer[dir] = '/';
	c_strcpy(buffer + dir + 1, specifier);
	for (p = strtok_r(buffer, "/", &save); p; p = strtok_r(NULL, "/", &save)) {
		if (!c_strcmp(p, "."))
			continue;
		if (!c_strcmp(p, "..")) {
			if (!count)
				return -1;   /* would leave the module root */
			count--;
			continue;
		}
		if (count == 128)
			return -1;
		parts[count++] = p;
	}
	out[0] = 0;
	for (i = 0; i < count; i++) {
		if (c_strlen(out) + c_strlen(parts[i]) + 2 > size)
			return -1;
		if (i)
			c_strcat(out, "/");
		c_strcat(out, parts[i]);
	}
	return count ? 0 : -1;
}

txID fxFindModule(txMachine *the, txSlot *realm, txID moduleID, txSlot *slot)
{
	char name[C_PATH_MAX], key[C_PATH_MAX], path[C_PATH_MAX];
	size_t length;
	(void)realm;
	fxToStringBuffer(the, slot, name, sizeof(name));
	length = c_strlen(name);
	if (length > 3 && !c_strcmp(name + length - 3, ".js"))
		name[length - 3] = 0;
	if (!c_strncmp(name, "./", 2) || !c_strncmp(name, "../", 3)) {
		if (moduleID == XS_NO_ID)
			return XS_NO_ID;
		if (normalizeRelative(fxGetKeyName(the, moduleID), name, key, sizeof(key)) < 0)
			return XS_NO_ID;
		c_strcpy(name, key);
	}
	if (isInternal(name)) {
		int root = findModuleFile(name, path, sizeof(path));
		if (moduleID == XS_NO_ID || root < 0 || loadedRoot(moduleID) != root) {
			char shortName[kMessageBudget + 1];
			mxReferenceError("module %s is internal to the host", ivxs_shorten(name, 48, shortName, sizeof(shortName)));
		}
	}
	return fxNewNameC(the, name);
}

static void reportParserError(void *console, txString path, txInteger line, txString format, c_va_list arguments)
{
	(void)console;
	fprintf(stderr, "%s:%d: error: ", path ? path : "?", (int)line);
	vfprintf(stderr, format, arguments);
	fputc('\n', stderr);
}

static txScript *parseModuleFile(txMachine *the, const char *path)
{
	txParser parserRecord;
	txParser *parser = &parserRecord;
	txParserJump jump;
	txScript *volatile script = C_NULL;
	FILE *file = fopen(path, "r");
	if (!file)
		return C_NULL;
	fxInitializeParser(parser, the, the->parserBufferSize, the->parserTableModulo);
	parser->reportError = reportParserError;
	parser->firstJump = &jump;
	if (c_setjmp(jump.jmp_buf) == 0) {
		parser->path = parser->source = fxNewParserSymbol(parser, (txString)path);
		fxParserTree(parser, file, (txGetter)fgetc, mxDebugFlag | mxCFlag, C_NULL);
		if (parser->errorCount == 0) {
			fxParserHoist(parser);
			fxParserBind(parser);
			script = fxParserCode(parser);
		}
	}
	fxTerminateParser(parser);
	fclose(file);
	return script;
}

static txCallback lookupHostFunction(const char *name)
{
	int low = 0, high = ivxs_host_function_count - 1;
	while (low <= high) {
		int middle = (low + high) / 2;
		int order = c_strcmp(name, ivxs_host_functions[middle].name);
		if (!order)
			return ivxs_host_functions[middle].callback;
		if (order < 0)
			high = middle - 1;
		else
			low = middle + 1;
	}
	return C_NULL;
}

void ivxs_build_hosts(txMachine *the)
{
	fxBuildHosts(the, gPendingBlock->count, gPendingBlock->builders);
	mxPullSlot(mxResult);
}

/* Turns the parser's list of `@ "xs_…"` names into builders bound to the
 * registry. Fills missing with the first unknown name, or returns NULL. */
static BuilderBlock *makeBuilders(txMachine *the, txScript *script, char *missing, size_t size)
{
	txByte *p = script->hostsBuffer;
	txByte *symbols = script->symbolsBuffer;
	const char *symbolNames[4096];
	txID hostCount, symbolCount, i;
	BuilderBlock *block;
	missing[0] = 0;
	mxDecodeID(symbols, symbolCount);
	if (symbolCount > 4096)
		symbolCount = 4096;
	symbolNames[0] = C_NULL;
	for (i = 1; i < symbolCount; i++) {
		symbolNames[i] = (const char *)symbols;
		symbols += c_strlen((char *)symbols) + 1;
	}
	mxDecodeID(p, hostCount);
	block = c_calloc(1, sizeof(BuilderBlock) + sizeof(txHostFunctionBuilder) * (size_t)hostCount);
	if (!block)
		return C_NULL;
	block->count = hostCount;
	for (i = 0; i < hostCount; i++) {
		txS1 length = (txS1)*p++;
		txID id;
		const char *name;
		mxDecodeID(p, id);
		name = (const char *)p;
		p += c_strlen(name) + 1;
		block->builders[i].callback = lookupHostFunction(name);
		block->builders[i].length = length;
		block->builders[i].id = (id != XS_NO_ID && id > 0 && id < symbolCount) ? fxNewNameC(the, (txString)symbolNames[id]) : XS_NO_ID;
		if (!block->builders[i].callback) {
			snprintf(missing, size, "%s", name);
			c_free(block);
			return C_NULL;
		}
	}
	block->next = gBuilderBlocks;
	gBuilderBlocks = block;
	return block;
}

void fxLoadModule(txMachine *the, txSlot *module, txID moduleID)
{
	char path[C_PATH_MAX], missing[128], sentence[224], message[256];
	txString key = fxGetKeyName(the, moduleID);
	txScript *script;
	int root = findModuleFile(key, path, sizeof(path));
	if (root < 0) {
		char shortKey[kMessageBudget + 1], shortRoot[kMessageBudget + 1];
		const char *first = ivxs_config.module_root_count ? ivxs_config.module_roots[0] : "nothing";
		ivxs_shorten(key, 40, shortKey, sizeof(shortKey));
		ivxs_shorten(first, 32, shortRoot, sizeof(shortRoot));
		mxReferenceError("module not found: %s (searched %s%s)", shortKey, shortRoot,
			ivxs_config.module_root_count > 1 ? " and more" : "");
	}
	script = parseModuleFile(the, path);
	if (!script) {
		composeMessage(message, sizeof(message), path, "cannot parse module");
		mxSyntaxError("%s", message);
	}
	if (script->hostsBuffer) {
		BuilderBlock *block = makeBuilders(the, script, missing, sizeof(missing));
		if (!block) {
			fxDeleteScript(script);
			snprintf(sentence, sizeof(sentence), "host function %s is not linked into this host", missing);
			composeMessage(message, sizeof(message), path, sentence);
			mxReferenceError("%s", message);
		}
		gPendingBlock = block;
		script->callback = ivxs_build_hosts;
	}
	rememberRoot(the, moduleID, root);
	fxResolveModule(the, module, moduleID, script, C_NULL, C_NULL);
}

void ivxs_loader_delete(void)
{
	while (gBuilderBlocks) {
		BuilderBlock *next = gBuilderBlocks->next;
		c_free(gBuilderBlocks);
		gBuilderBlocks = next;
	}
	c_free(gLoaded);
	gLoaded = NULL;
	gLoadedCount = gLoadedCapacity = 0;
}
