//go:build !linux

package bench

import (
	"errors"
	"fmt"
)

// EvictFile drops path's pages from the page cache; only Linux has it here.
func EvictFile(path string) error {
	return fmt.Errorf("bench: evict %s: %w", path, errors.ErrUnsupported)
}
