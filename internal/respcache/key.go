package respcache

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
)

// keyFormat versions the key derivation: changing how keys are built
// changes it, so old entries are never read with a new meaning.
const keyFormat = "hfserve-respcache-key-1"

// Key identifies one cached answer: a hex SHA-256.
type Key string

// KeyParts is everything a key is derived from.
type KeyParts struct {
	// Endpoint names the operation, e.g. "/v1/chat/completions". Routes
	// that produce the same answer from the same request (a streamed and a
	// non-streamed generation) use one name so they share entries.
	Endpoint string
	// Model is the model's name as clients use it.
	Model string
	// Identity is the model's content identity (ModelIdentity).
	Identity string
	// Version is the version of what the caller stores under the key and
	// of the code that produces it; a caller that changes either changes
	// it.
	Version string
	// Request is the request's output-relevant fields: a typed wire struct
	// with the fields that cannot change the answer cleared (Canonical
	// marshals it).
	Request any
}

// NewKey derives the key of parts.
func NewKey(parts KeyParts) (Key, error) {
	body, err := Canonical(parts.Request)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	for _, s := range [][]byte{[]byte(keyFormat), []byte(parts.Endpoint), []byte(parts.Model),
		[]byte(parts.Identity), []byte(parts.Version), body} {
		// Length prefixes keep ("ab","c") and ("a","bc") apart.
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], uint64(len(s)))
		h.Write(n[:])
		h.Write(s)
	}
	return Key(hex.EncodeToString(h.Sum(nil))), nil
}

// Canonical is the canonical JSON of a request: v marshalled with
// encoding/json, which writes struct fields in declaration order, map keys
// sorted, floats in their shortest round-tripping form (so 1, 1.0 and 1e0
// decoded into a float64 all become 1) and json.RawMessage compacted
// verbatim (its key order and number literals kept, since they reach the
// model as they are). HTML characters are not escaped. v should be the
// struct the server decoded the request into, not the raw body: the
// decoding is what makes equal requests equal.
func Canonical(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("respcache: canonical form of %T: %w", v, err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
