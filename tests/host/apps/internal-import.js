// An app must not reach the host's internal modules (raw descriptors).
export default async function () {
	for (const specifier of ["ivxs/socket-native", "./ivxs/socket-native"]) {
		try {
			const native = await import(specifier);
			trace(`imported ${specifier}: ${Object.keys(native).length} exports\n`);
		}
		catch (error) {
			trace(`${specifier}: ${error.name}: ${error.message}\n`);
		}
	}
}
