//go:build unix

package hub

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// lockPoll is how often a waiting lock is tried again (Python's filelock
// polls every 50 ms).
const lockPoll = 50 * time.Millisecond

// lockFile takes an exclusive flock(2) on path, creating it, waiting until
// ctx ends. flock is what Python's filelock uses on Unix, so a pull and a
// huggingface_hub download of the same blob exclude each other; and since
// the lock belongs to the open file, two pulls in one process do too.
func lockFile(ctx context.Context, path string) (unlock func(), err error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("hub: lock %s: %w: %w", path, errLocal, err)
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("hub: lock %s: %w: %w", path, errLocal, err)
	}
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() {
				syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
				f.Close()
			}, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
			f.Close()
			return nil, fmt.Errorf("hub: lock %s: %w: %w", path, errLocal, err)
		}
		if err := sleepCtx(ctx, lockPoll); err != nil {
			f.Close()
			return nil, fmt.Errorf("hub: waiting for the lock %s (another download of the same file): %w", path, err)
		}
	}
}
