// Modules of other parts this part uses when they are in the build (users,
// ingest, device authentication). Loaded by a specifier held in a variable, so
// this part compiles and runs before they are merged; a missing module is
// `null`, any other failure to load is an error.
/** The module at `specifier` (relative to cloud/src/playback/) if it exports `names`, else null. */
export async function loadOptional<T>(specifier: string, names: string[]): Promise<T | null> {
	try {
		const module = await import(specifier);
		return names.every((name) => module[name] !== undefined) ? (module as T) : null;
	}
	catch (error) {
		if ((error as NodeJS.ErrnoException).code !== "ERR_MODULE_NOT_FOUND") throw error;
		return null;
	}
}
