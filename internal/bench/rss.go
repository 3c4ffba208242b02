package bench

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// ResidentBytes returns the process's resident set size (VmRSS) from
// /proc/self/status: the memory a loaded model really occupies, mapped
// weight pages included.
func ResidentBytes() (int64, error) {
	return procKB("/proc/self/status", "VmRSS:")
}

// HugeFileBytes returns how many bytes of the process's file mappings are
// mapped with 2 MiB pages (FilePmdMapped in /proc/self/smaps_rollup): for a
// loaded model, how much of its weights decode reads without 4 KiB pages'
// TLB misses (see docs/PERFORMANCE.md, "Page cache").
func HugeFileBytes() (int64, error) {
	return procKB("/proc/self/smaps_rollup", "FilePmdMapped:")
}

// procKB returns the "<key> N kB" line of a /proc file in bytes.
func procKB(path, key string) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, fmt.Errorf("bench: %w", err)
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		rest, ok := strings.CutPrefix(s.Text(), key)
		if !ok {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("bench: %s: %q: %w", path, s.Text(), err)
		}
		return kb << 10, nil
	}
	if err := s.Err(); err != nil {
		return 0, fmt.Errorf("bench: %s: %w", path, err)
	}
	return 0, fmt.Errorf("bench: no %s line in %s", key, path)
}
