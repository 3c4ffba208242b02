// Package respcache is hfserve's response cache: answers to deterministic
// inference requests, kept so that an identical request is answered
// without running the model again.
//
// # Keys
//
// A Key is a SHA-256 over, each length-prefixed: a format version, the
// endpoint, the model's name, the model's content identity (ModelIdentity:
// the Hub commit when there is one, else a hash of the folder's small files
// and safetensors headers, plus the configuration's overrides), a version
// of what the caller stores, and the request's canonical JSON (Canonical:
// the request as the server decoded it into its typed wire struct,
// marshalled again, with the fields that cannot change the answer cleared
// by the caller). Because the key is built from the decoded struct, field
// order, whitespace, string escapes, the spelling of a number (1, 1.0,
// 1e0) and the letter case of field names do not matter, while every field
// that reaches the model does. Values the server passes through verbatim
// (tools, which chat templates print with their key order) keep their
// order and their number literals, so two requests share a key only when
// the model would see the same thing.
//
// Only deterministic requests are cached: greedy decoding or sampling with
// an explicit seed (see Deterministic); embeddings, classification and
// reranking always are.
//
// # Cache
//
// A Cache sits on a Backend: Memory (an LRU bounded by entries and bytes,
// with a TTL) or Redis (shared by replicas; TTL by SET EX, short timeouts
// and a breaker of its own, so that Redis slow or down is a miss and a
// counted, logged error, never a failed request). Begin looks a key up and,
// on a miss, makes the caller the leader of that key: identical requests
// arriving meanwhile wait for the leader's answer instead of computing it
// again (single flight), and fall back to computing it themselves when the
// leader fails.
//
// Invalidation needs no scan of the keys: every model has a generation
// number and the cache as a whole has one; an entry is written with the
// generations current when its request looked the cache up, and an entry
// whose generations are no longer current is a miss. InvalidateModel bumps
// a model's generation, Flush the global one. The Memory backend also
// drops the entries at once; Redis lets them expire.
//
// Stats reports hits, misses, stores, evictions, entries, bytes and backend
// errors. A Cache is safe for concurrent use; Close releases the backend.
package respcache
