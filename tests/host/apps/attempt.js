// For test apps: runs `run` and prints "<name>: no error" or "<name>: <Error>: <message>".
export function attempt(name, run) {
	try {
		run();
		trace(`${name}: no error\n`);
	}
	catch (error) {
		trace(`${name}: ${error.name}: ${error.message}\n`);
	}
}
