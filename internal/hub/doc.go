// Package hub turns a model reference into a local model folder.
//
// A reference (see [ParseRef]) is either a folder on disk or a Hugging Face
// Hub repo id with an optional revision, optionally named by an alias:
//
//	./models/my-llama
//	Qwen/Qwen2.5-0.5B-Instruct@main
//	chat=meta-llama/Llama-3.2-1B-Instruct@0123456789abcdef0123456789abcdef01234567
//
// Repo ids are looked up in the Hugging Face cache exactly as the Python
// huggingface_hub library lays it out (see [CacheDir] for where the cache
// lives and [Cache] for its layout), so a cache filled by
// `huggingface-cli download` works as is.
//
// [Store] is the entry point the rest of hfserve uses: it resolves a [Ref] to
// a [Local] folder and checks that the folder holds a loadable model
// (config.json, every symlink intact, safetensors weights). A [Downloader]
// plugged into the [Store] is asked for a repo that is missing from the
// cache; [Client] is the one hfserve uses.
//
// [Client] talks to the Hugging Face Hub (or a mirror) as huggingface_hub
// does, its settings read from the environment with huggingface_hub's rules
// by [ReadHubEnv]: HF_ENDPOINT, HF_TOKEN / the token file, HF_HUB_OFFLINE.
// [Client.Pull] downloads a repo revision into a [Cache] in exactly
// huggingface_hub's layout (blobs/<etag>, relative snapshot symlinks,
// refs/<revision>), resuming interrupted files with HTTP Range, checking
// every file's size and hash, and never leaving a snapshot that looks
// complete but is not; it reports progress as [PullEvent]s. [Selection]
// chooses the files (by default what hfserve loads, no duplicate weights
// in other formats). [Cache.Remove] deletes a model or one revision of it.
// Package hubtest is a fake Hub for tests.
//
// [Cache.List] enumerates the cached models for `hfserve ls` (sizes counted
// per blob, damage reported per model), and [FindModelDirs] finds the model
// folders under a --model-dir root.
//
// Every failure names what was looked for and where: [*NotFoundError] for a
// repo, revision or snapshot missing from the cache, [*IncompleteModelError]
// for a folder that is there but cannot be loaded; downloads add
// [*HubError] (unknown repo, gated repo, ...), [ErrOffline],
// [*ChecksumError], [*NoSafetensorsError] and [*DiskFullError], each saying
// how to fix it. Nothing in this package keeps state between calls; all
// values are safe for concurrent use.
package hub
