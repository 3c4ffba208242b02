// Downloads a repo with the @huggingface/hub JavaScript library's
// snapshotDownload into a cache folder: the reference the Go client's cache
// layout is compared with (jsoracle_test.go).
//
// Usage: HFSERVE_HFHUB_JS=/path/to/node_modules node jsoracle.mjs HUB_URL REPO CACHE_DIR REVISION
import { createRequire } from "node:module";
import { join } from "node:path";

const [hubUrl, repo, cacheDir, revision] = process.argv.slice(2);
const modules = process.env.HFSERVE_HFHUB_JS;
if (!modules || !hubUrl || !repo || !cacheDir || !revision) {
	console.error("usage: HFSERVE_HFHUB_JS=DIR node jsoracle.mjs HUB_URL REPO CACHE_DIR REVISION");
	process.exit(2);
}
// Resolve the package from the given node_modules folder, whatever the
// current directory.
const require = createRequire(join(modules, "noop.js"));
const hub = require("@huggingface/hub");
// The library logs each file at debug level; keep stdout for the result.
console.debug = () => {};
const dir = await hub.snapshotDownload({ repo: { type: "model", name: repo }, cacheDir, hubUrl, revision });
console.log(dir);
