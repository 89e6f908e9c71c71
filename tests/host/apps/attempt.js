// For test apps: runs `run` and prints "<name>: no error" or "<name>: <Error>: <message>",
// with " [<code>]" after the class when the error has a code (native/common/README.md).
export function attempt(name, run) {
	try {
		run();
		trace(`${name}: no error\n`);
	}
	catch (error) {
		trace(`${name}: ${error.name}${error.code ? ` [${error.code}]` : ""}: ${error.message}\n`);
	}
}
