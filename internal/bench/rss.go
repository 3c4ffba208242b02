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
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, fmt.Errorf("bench: resident memory: %w", err)
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		rest, ok := strings.CutPrefix(s.Text(), "VmRSS:")
		if !ok {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("bench: resident memory: %q: %w", s.Text(), err)
		}
		return kb << 10, nil
	}
	if err := s.Err(); err != nil {
		return 0, fmt.Errorf("bench: resident memory: %w", err)
	}
	return 0, fmt.Errorf("bench: resident memory: no VmRSS in /proc/self/status")
}
