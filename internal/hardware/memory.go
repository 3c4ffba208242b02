package hardware

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Memory is what the process may use, in bytes.
type Memory struct {
	// Total is the machine's physical memory (MemTotal), or the cgroup limit
	// when that is lower.
	Total int64
	// Available is what can be allocated without swapping: MemAvailable, or
	// the cgroup limit minus the cgroup's current usage when that is lower.
	Available int64
	// CgroupLimit is the container's memory limit, 0 when there is none.
	CgroupLimit int64
	// Source says where the numbers came from, for logs and `hfserve version`.
	Source string
}

// Paths locates the files DetectMemory reads; tests point them at fixtures.
type Paths struct {
	Meminfo    string // normally /proc/meminfo
	CgroupRoot string // normally /sys/fs/cgroup
	SelfCgroup string // normally /proc/self/cgroup
}

// DefaultPaths are the Linux locations.
func DefaultPaths() Paths {
	return Paths{Meminfo: "/proc/meminfo", CgroupRoot: "/sys/fs/cgroup", SelfCgroup: "/proc/self/cgroup"}
}

// DetectMemory reads this machine's memory from the Linux files in p.
// On systems without /proc/meminfo it returns an error; callers then need an
// explicit memory budget.
func DetectMemory(p Paths) (Memory, error) {
	total, avail, err := readMeminfo(p.Meminfo)
	if err != nil {
		return Memory{}, err
	}
	m := Memory{Total: total, Available: avail, Source: p.Meminfo}
	limit, usage, where := cgroupLimit(p)
	if limit > 0 && limit < m.Total {
		m.CgroupLimit = limit
		m.Total = limit
		m.Source = where
		if free := limit - usage; free < m.Available {
			m.Available = max(free, 0)
		}
	}
	return m, nil
}

func readMeminfo(path string) (total, avail int64, err error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, 0, fmt.Errorf("hardware: reading memory size: %w", err)
	}
	defer f.Close()
	var haveTotal, haveAvail bool
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, rest, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		fields := strings.Fields(rest)
		if len(fields) == 0 {
			continue
		}
		kb, perr := strconv.ParseInt(fields[0], 10, 64)
		if perr != nil {
			continue
		}
		switch name {
		case "MemTotal":
			total, haveTotal = kb*1024, true
		case "MemAvailable":
			avail, haveAvail = kb*1024, true
		}
	}
	if err := sc.Err(); err != nil {
		return 0, 0, fmt.Errorf("hardware: reading %s: %w", path, err)
	}
	if !haveTotal {
		return 0, 0, fmt.Errorf("hardware: %s has no MemTotal line", path)
	}
	if !haveAvail {
		// Kernels before 3.14 lack MemAvailable; the total is the best honest bound.
		avail = total
	}
	return total, avail, nil
}

// cgroupLimit finds the tightest memory limit of the cgroup this process is
// in (v2: memory.max up the hierarchy; v1: memory.limit_in_bytes).
func cgroupLimit(p Paths) (limit, usage int64, where string) {
	rel := "/"
	if data, err := os.ReadFile(p.SelfCgroup); err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			parts := strings.SplitN(line, ":", 3)
			if len(parts) == 3 && parts[0] == "0" && parts[1] == "" {
				rel = parts[2]
			}
		}
	}
	// cgroup v2: walk from our cgroup up to the root; the smallest limit wins.
	dir := filepath.Join(p.CgroupRoot, filepath.Clean("/"+rel))
	for {
		if l, ok := readLimit(filepath.Join(dir, "memory.max")); ok && (limit == 0 || l < limit) {
			limit = l
			where = filepath.Join(dir, "memory.max")
			usage, _ = readLimit(filepath.Join(dir, "memory.current"))
		}
		if dir == p.CgroupRoot || len(dir) <= len(p.CgroupRoot) {
			break
		}
		dir = filepath.Dir(dir)
	}
	if limit > 0 {
		return limit, usage, where
	}
	// cgroup v1.
	v1 := filepath.Join(p.CgroupRoot, "memory", "memory.limit_in_bytes")
	if l, ok := readLimit(v1); ok && l < 1<<60 { // v1 reports "no limit" as a huge number
		usage, _ = readLimit(filepath.Join(p.CgroupRoot, "memory", "memory.usage_in_bytes"))
		return l, usage, v1
	}
	return 0, 0, ""
}

func readLimit(path string) (int64, bool) {
	data, err := os.ReadFile(path) // a missing file simply means "no limit here"
	if err != nil {
		return 0, false
	}
	s := string(bytes.TrimSpace(data))
	if s == "" || s == "max" {
		return 0, false
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil || v <= 0 {
		return 0, false
	}
	return v, true
}
