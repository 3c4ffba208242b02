package hub

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"strconv"
)

// verifier hashes a file as it is written and checks it against its ETag:
// a 64-hex ETag is the sha256 of an LFS file's content, a 40-hex one the
// git blob sha1 of a file stored in git (sha1 of "blob <size>\x00" and the
// content). Any other ETag (a mirror's own) is not a hash hfserve knows,
// and only the size is checked.
type verifier struct {
	etag string
	size int64 // -1: unknown
	what string
	h    hash.Hash // nil: size only
}

func newVerifier(etag string, size int64) *verifier {
	v := &verifier{etag: etag, size: size}
	v.reset()
	return v
}

func (v *verifier) reset() {
	switch {
	case isHex(v.etag, 64):
		v.what, v.h = "sha256", sha256.New()
	case isHex(v.etag, 40) && v.size >= 0:
		v.what, v.h = "git sha1", sha1.New()
		v.h.Write([]byte("blob " + strconv.FormatInt(v.size, 10) + "\x00"))
	default:
		v.what, v.h = "", nil
	}
}

func (v *verifier) Write(p []byte) (int, error) {
	if v.h != nil {
		v.h.Write(p)
	}
	return len(p), nil
}

// check compares what was hashed, n bytes in all, with the ETag.
func (v *verifier) check(repo, path string, n int64) error {
	if v.size >= 0 && n != v.size {
		return &ChecksumError{Repo: repo, Path: path, What: "size", Want: strconv.FormatInt(v.size, 10), Got: strconv.FormatInt(n, 10)}
	}
	if v.h == nil {
		return nil
	}
	if got := hex.EncodeToString(v.h.Sum(nil)); got != v.etag {
		return &ChecksumError{Repo: repo, Path: path, What: v.what, Want: v.etag, Got: got}
	}
	return nil
}

// checkBlob looks at a blob already in the cache: present says it is there
// and matches its ETag and size; a non-empty problem says it is there but
// corrupt (and why).
func checkBlob(repo, path, blob string, etag string, size int64) (present bool, problem string, err error) {
	f, err := os.Open(blob)
	if errors.Is(err, fs.ErrNotExist) {
		return false, "", nil
	}
	if err != nil {
		return false, "", fmt.Errorf("hub: %w: %w", errLocal, err)
	}
	defer f.Close()
	v := newVerifier(etag, size)
	n, err := io.Copy(v, f)
	if err != nil {
		return false, "", fmt.Errorf("hub: reading %s: %w: %w", blob, errLocal, err)
	}
	if err := v.check(repo, path, n); err != nil {
		var ce *ChecksumError
		errors.As(err, &ce)
		return false, fmt.Sprintf("the cached blob %s was corrupt (%s %s, want %s); downloaded it again", etag, ce.What, ce.Got, ce.Want), nil
	}
	return true, "", nil
}
