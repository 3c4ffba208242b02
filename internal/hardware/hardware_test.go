package hardware

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

func TestDetectCPU(t *testing.T) {
	c := DetectCPU()
	if c.Arch != runtime.GOARCH {
		t.Fatalf("Arch = %q, want %q", c.Arch, runtime.GOARCH)
	}
	if c.LogicalCores < 1 || c.GOMAXPROCS < 1 {
		t.Fatalf("cores = %d, GOMAXPROCS = %d; want >= 1", c.LogicalCores, c.GOMAXPROCS)
	}
	if runtime.GOARCH == "amd64" && c.Has("avx512f") && !c.Has("avx2") {
		t.Fatalf("avx512f without avx2 is not a real CPU: %v", c.Features)
	}
	for i := 1; i < len(c.Features); i++ {
		if c.Features[i-1] >= c.Features[i] {
			t.Fatalf("features not sorted/unique: %v", c.Features)
		}
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

const meminfo = "MemTotal:       16000000 kB\nMemFree:         1000000 kB\nMemAvailable:    8000000 kB\n"

func TestDetectMemory(t *testing.T) {
	tests := []struct {
		name          string
		files         map[string]string
		wantTotal     int64
		wantAvailable int64
		wantLimit     int64
	}{
		{
			name:          "no cgroup limit",
			files:         map[string]string{"meminfo": meminfo, "cgroup/memory.max": "max\n", "self": "0::/\n"},
			wantTotal:     16000000 * 1024,
			wantAvailable: 8000000 * 1024,
		},
		{
			name: "cgroup v2 limit below the machine, nested",
			files: map[string]string{"meminfo": meminfo, "self": "0::/pod/ctr\n",
				"cgroup/memory.max": "max\n", "cgroup/pod/memory.max": "4294967296\n", "cgroup/pod/memory.current": "1073741824\n",
				"cgroup/pod/ctr/memory.max": "max\n"},
			wantTotal:     4 << 30,
			wantAvailable: 3 << 30,
			wantLimit:     4 << 30,
		},
		{
			name: "cgroup v1 limit",
			files: map[string]string{"meminfo": meminfo, "self": "4:memory:/x\n",
				"cgroup/memory/memory.limit_in_bytes": "2147483648\n", "cgroup/memory/memory.usage_in_bytes": "0\n"},
			wantTotal:     2 << 30,
			wantAvailable: 2 << 30,
			wantLimit:     2 << 30,
		},
		{
			name: "cgroup v1 unlimited",
			files: map[string]string{"meminfo": meminfo, "self": "4:memory:/x\n",
				"cgroup/memory/memory.limit_in_bytes": "9223372036854771712\n"},
			wantTotal:     16000000 * 1024,
			wantAvailable: 8000000 * 1024,
		},
		{
			name:          "old kernel without MemAvailable",
			files:         map[string]string{"meminfo": "MemTotal: 1000 kB\n"},
			wantTotal:     1000 * 1024,
			wantAvailable: 1000 * 1024,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, content := range tt.files {
				writeFile(t, filepath.Join(dir, name), content)
			}
			m, err := DetectMemory(Paths{Meminfo: filepath.Join(dir, "meminfo"), CgroupRoot: filepath.Join(dir, "cgroup"), SelfCgroup: filepath.Join(dir, "self")})
			if err != nil {
				t.Fatal(err)
			}
			if m.Total != tt.wantTotal || m.Available != tt.wantAvailable || m.CgroupLimit != tt.wantLimit {
				t.Fatalf("got total=%d avail=%d limit=%d, want %d %d %d", m.Total, m.Available, m.CgroupLimit, tt.wantTotal, tt.wantAvailable, tt.wantLimit)
			}
		})
	}
}

func TestDetectMemoryErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := DetectMemory(Paths{Meminfo: filepath.Join(dir, "missing")}); err == nil {
		t.Fatal("missing meminfo: want error")
	}
	writeFile(t, filepath.Join(dir, "bad"), "garbage\nMemFree: x kB\n")
	if _, err := DetectMemory(Paths{Meminfo: filepath.Join(dir, "bad")}); err == nil {
		t.Fatal("meminfo without MemTotal: want error")
	}
}

func TestDetectMemoryThisMachine(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc")
	}
	m, err := DetectMemory(DefaultPaths())
	if err != nil {
		t.Fatal(err)
	}
	if m.Total <= 0 || m.Available <= 0 || m.Available > m.Total {
		t.Fatalf("implausible memory: %+v", m)
	}
}
