package bench

import (
	"fmt"
	"io"
	"os"
	"time"
)

// ReadFiles reads each file once from start to end in 1 MiB pieces and
// returns how long it took: the yardstick of a model's load time (issue 4
// asks for "load time close to reading the file once").
func ReadFiles(paths []string) (time.Duration, error) {
	buf := make([]byte, 1<<20)
	start := time.Now()
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return 0, fmt.Errorf("bench: read %s: %w", p, err)
		}
		for {
			_, err = f.Read(buf)
			if err != nil {
				break
			}
		}
		f.Close()
		if err != io.EOF {
			return 0, fmt.Errorf("bench: read %s: %w", p, err)
		}
	}
	return time.Since(start), nil
}
