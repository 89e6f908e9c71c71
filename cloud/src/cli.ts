// `npm run cloud` — serve (the default), or manage devices and users:
//   npm run cloud                                  serve with the embedded defaults
//   npm run cloud -- serve [--port N] [--data DIR] [--config FILE]
//   npm run cloud -- <command> …                   see `npm run cloud -- help`
import { loadConfig, ConfigError, type Config } from "./config.js";
import { startCloud } from "./server.js";
import { commands } from "./commands.js";
import { firstAdminPassword } from "./users/index.js";

function options(args: string[]): { overrides: Partial<Config>; file?: string; rest: string[] } {
	const overrides: Partial<Config> = {};
	let file: string | undefined;
	const rest: string[] = [];
	for (let i = 0; i < args.length; i++) {
		const arg = args[i], value = args[i + 1];
		if (arg === "--port") overrides.port = Number(value), i++;
		else if (arg === "--host") overrides.host = value, i++;
		else if (arg === "--data") overrides.dataDir = value, i++;
		else if (arg === "--config") file = value, i++;
		else if (arg === "--tls-cert") overrides.tlsCert = value, i++;
		else if (arg === "--tls-key") overrides.tlsKey = value, i++;
		else rest.push(arg);
	}
	return { overrides, file, rest };
}

const serveUsage = "[serve] [--port N] [--host H] [--data DIR] [--config FILE] [--tls-cert PEM --tls-key PEM]";

async function main(argv: string[]) {
	// `--help` or `-h` anywhere asks for help (exit 0, nothing started): the command's, or all of them.
	const help = argv.some((arg) => arg === "--help" || arg === "-h");
	const [command = "serve", ...args] = argv[0]?.startsWith("-") ? ["serve", ...argv] : argv;
	if (help && commands[command]) {
		console.log(`usage: npm run cloud -- ${command} ${commands[command].usage}`);
		return 0;
	}
	if (help || command === "help") {
		console.log(`usage: npm run cloud -- ${serveUsage}`);
		for (const [name, entry] of Object.entries(commands)) console.log(`       npm run cloud -- ${name} ${entry.usage}`);
		console.log("Configuration: cloud/README.md (a JSON file with --config, IVXS_* environment variables).");
		return 0;
	}
	const { overrides, file, rest } = options(args);
	const config = loadConfig(overrides, process.env, file);
	if (command === "serve") {
		const cloud = await startCloud(config);
		const password = firstAdminPassword(cloud.ctx);
		if (password) console.log(`ivxs cloud: first start — sign in as "admin" with password ${password} (shown only now; manage users with npm run cloud -- user …)`);
		console.log(`ivxs cloud: ${cloud.url}  (console: ${cloud.url}/, data: ${config.dataDir})`);
		const stop = async (signal: string) => {
			console.log(`ivxs cloud: ${signal}, finishing uploads in flight (up to ${config.shutdownGraceS} s)…`);
			await cloud.stop();
			console.log("ivxs cloud: stopped");
			process.exit(0);
		};
		process.once("SIGINT", () => void stop("SIGINT"));
		process.once("SIGTERM", () => void stop("SIGTERM"));
		return undefined;
	}
	const entry = commands[command];
	if (!entry) {
		console.error(`unknown command "${command}" (try: npm run cloud -- help)`);
		return 2;
	}
	return entry.run(config, rest);
}

main(process.argv.slice(2)).then((code) => {
	if (code !== undefined) process.exit(code);
}, (error) => {
	console.error(error instanceof ConfigError ? `config: ${error.message}` : `error: ${error.message ?? error}`);
	process.exit(1);
});
