//go:build !unix

package hub

import "context"

// lockFile is a no-op where flock(2) does not exist: concurrent pulls of
// the same blob still end well (every file is renamed into place whole),
// they only download it twice.
func lockFile(ctx context.Context, path string) (unlock func(), err error) {
	return func() {}, ctx.Err()
}
