// Test helper: a real S3 protocol server (s3rver) on a free port with its own
// temporary folder, in a child process, stopped and removed at teardown.
// Import as "./_s3.mjs".
// The child runs with OpenSSL's legacy provider: s3rver encrypts its
// ListObjectsV2 continuation tokens with DES, which OpenSSL 3 disables.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { once } from "node:events";

const root = join(import.meta.dirname, "../..");
const serve = `
import S3rver from "s3rver";
const server = new S3rver({ address: "127.0.0.1", port: 0, silent: true, directory: process.argv[1] });
const { port } = await server.run();
process.stdout.write(port + "\\n");
process.stdin.on("end", () => server.close().then(() => process.exit(0)));
process.stdin.resume();
`;

/** Starts s3rver; returns { endpoint, directory, storage } where `storage` is a cloud config's `storage` for `bucket`. */
export async function s3For(t, bucket = "ivxs-test") {
	const directory = mkdtempSync(join(tmpdir(), "ivxs-s3-"));
	const child = spawn(process.execPath, ["--openssl-legacy-provider", "--input-type=module", "-e", serve, directory], { cwd: root, stdio: ["pipe", "pipe", "inherit"] });
	const exited = once(child, "exit");
	t.teardown(async () => {
		// Closing its stdin stops it; a kill (of this child, by its pid) if it hangs.
		child.stdin.end();
		const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
		await exited;
		clearTimeout(timer);
		rmSync(directory, { recursive: true, force: true });
	});
	const port = await new Promise((resolve, reject) => {
		let text = "";
		child.stdout.on("data", (chunk) => {
			text += chunk;
			if (text.includes("\n")) resolve(Number(text.trim()));
		});
		child.once("exit", (code) => reject(new Error(`s3rver exited (${code}) before listening`)));
	});
	const endpoint = `http://127.0.0.1:${port}`;
	return {
		endpoint, directory,
		// s3rver checks no signatures; its documented default keys are used anyway.
		storage: { kind: "s3", endpoint, bucket, region: "us-east-1", accessKeyId: "S3RVER", secretAccessKey: "S3RVER", forcePathStyle: true },
	};
}
