// Package auth is hfserve's API keys, their persistence, per-key usage and the
// brute-force lockout. It is a library: the HTTP server wires it in.
//
// # Keys
//
// A secret is "hfs_" followed by the unpadded base64url encoding of 32 bytes
// from crypto/rand. It is shown once, when a key is created or rotated, and
// never stored: a Key holds its SHA-256 (Hash, never encoded to JSON), the
// secret's first 12 characters (Prefix, for display) and the key's name,
// scopes, allowed models, limits and timestamps. A secret arrives as
// "Authorization: Bearer <secret>" or "X-API-Key: <secret>" (ParseCredentials).
//
// Manager.Authenticate turns a secret into a Principal: the bootstrap admin
// key from the configuration (compared in constant time) or a stored key that
// is neither revoked nor expired. Every failure is one of ErrInvalidKey,
// ErrExpiredKey and ErrRevokedKey (all 401 to a client, the reason for the
// log); any other error means the store failed. Positive lookups are cached
// for at most MaxCacheTTL, so a key revoked on another replica stops working
// within that time; on the replica that revoked or rotated it, at once.
//
// # Stores
//
// A Store keeps keys and usage. SQLiteStore is the embedded default: one
// database file (pure Go, no cgo), WAL journal with synchronous=FULL, so a
// write that returned without error is on disk and survives a crash of the
// process or the machine; numbered migrations run at open. RedisStore is
// shared by several replicas: a key created through one is found through all,
// and usage counters are incremented atomically on the server, so replicas
// never lose each other's increments. Its durability is the Redis server's
// (appendonly with appendfsync always for the same guarantee as SQLite).
//
// # Usage
//
// A UsageRecorder counts requests, tokens and errors per key, model and UTC
// day in memory and adds them to the store every flush interval and on Close.
// A flush that fails keeps its counts for the next one, so counts are never
// lost while the process lives; a failure whose outcome is unknown (a reply
// lost after the store applied it) can count a flush twice, never zero times.
//
// # Lockout
//
// Lockout counts bad keys per client address and refuses an address that
// presented too many within a window, in bounded memory.
package auth
