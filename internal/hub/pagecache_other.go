//go:build !linux

package hub

import "os"

// dropCachedPages does nothing where the page cache is not Linux's (see
// pagecache_linux.go).
func dropCachedPages(*os.File) {}
