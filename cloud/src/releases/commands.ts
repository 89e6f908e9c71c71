// `npm run cloud -- release add <bundle.ivxs>` (a bundle signed offline by `npm run sign-release`:
// its signature is checked against the configured otaKeys, its manifest printed; old releases
// beyond keepReleases are deleted), `release list` and `release remove <version>`.
import { readFileSync } from "node:fs";
import { type Command, withSql } from "../commands.js";
import { openObjectStore } from "../storage/open.js";
import { ReleaseError, addRelease, listReleases, pruneReleases, releaseView, removeRelease } from "./releases.js";
import { readPublicKeys } from "./bundle-crypto.js";

export const release: Command = {
	usage: "add <bundle.ivxs> | list | remove <version>",
	run(config, args) {
		const [verb, file] = args;
		return withSql(config, "release", ReleaseError, async (sql) => {
			if (verb === "add" && file) {
				const bytes = readFileSync(file);
				if (bytes.length > config.maxReleaseBytes) throw new ReleaseError(`${file}: ${bytes.length} bytes is over maxReleaseBytes (${config.maxReleaseBytes})`);
				let trusted;
				try {
					trusted = readPublicKeys(config.otaKeys);
				}
				catch (error) {
					throw new ReleaseError(`otaKeys: ${(error as Error).message}`);
				}
				const store = await openObjectStore(config);
				try {
					const { release: added, created } = await addRelease(sql, store, bytes, trusted);
					console.log(JSON.stringify(releaseView(added), null, "\t"));
					console.error(`release ${added.version} ${created ? "added" : "was already there (same bytes)"}: roll it out with POST /v1/rollouts or the console's Releases page`);
					const removed = created ? await pruneReleases(sql, store, config.keepReleases) : [];
					if (removed.length) console.error(`old releases deleted (keepReleases ${config.keepReleases}): ${removed.join(", ")}`);
				}
				finally {
					await store.close();
				}
				return 0;
			}
			if (verb === "remove" && file) {
				const store = await openObjectStore(config);
				try {
					await removeRelease(sql, store, file);
				}
				finally {
					await store.close();
				}
				console.error(`release ${file} removed (its bundle deleted)`);
				return 0;
			}
			if (verb === "list") {
				for (const r of await listReleases(sql)) console.log(`${r.version}\t${r.manifest.kind}\t${r.manifest.size} bytes\tABI ${r.manifest.abi}\tkey ${r.keyId}${r.manifest.rollback ? "\trollback" : ""}`);
				return 0;
			}
			console.error(`usage: npm run cloud -- release ${release.usage}`);
			return 2;
		});
	},
};
