// `npm run cloud -- release add <bundle.ivxs>` (a bundle signed offline by `npm run sign-release`:
// its manifest is checked and printed; no key is needed here) and `release list`.
import { readFileSync } from "node:fs";
import { type Command, withSql } from "../commands.js";
import { openObjectStore } from "../storage/open.js";
import { ReleaseError, addRelease, listReleases, releaseView } from "./releases.js";

export const release: Command = {
	usage: "add <bundle.ivxs> | list",
	run(config, args) {
		const [verb, file] = args;
		return withSql(config, "release", ReleaseError, async (sql) => {
			if (verb === "add" && file) {
				const bytes = readFileSync(file);
				if (bytes.length > config.maxReleaseBytes) throw new ReleaseError(`${file}: ${bytes.length} bytes is over maxReleaseBytes (${config.maxReleaseBytes})`);
				const store = await openObjectStore(config);
				try {
					const { release: added, created } = await addRelease(sql, store, bytes);
					console.log(JSON.stringify(releaseView(added), null, "\t"));
					console.error(`release ${added.version} ${created ? "added" : "was already there (same bytes)"}: roll it out with POST /v1/rollouts or the console's Releases page`);
				}
				finally {
					await store.close();
				}
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
