// Package hardware reports what this machine offers a model server: the CPU's
// vector features (which decide the kernels the engine uses), how many cores
// the process may use, and how much memory it may take, respecting a cgroup
// limit when the process runs in a container.
//
// Everything here is read-only inspection of the running machine; values are
// computed on each call so tests and long-lived processes see the truth.
package hardware

import (
	"os"
	"runtime"
	"sort"
	"strings"

	"golang.org/x/sys/cpu"
)

// CPU describes the processor as the engine sees it.
type CPU struct {
	Arch  string // runtime.GOARCH, e.g. "amd64"
	Model string // the processor's name, e.g. "Intel(R) Xeon(R) Platinum 8481C", "" when unknown
	// Features lists the vector and conversion extensions relevant to the
	// kernels (e.g. "avx2", "fma", "avx512f", "avx512bf16", "f16c"), sorted.
	Features []string
	// LogicalCores is the number of logical CPUs this process may run on
	// (runtime.NumCPU honours the scheduler affinity mask).
	LogicalCores int
	// GOMAXPROCS is the Go scheduler's parallelism limit at the time of the call.
	GOMAXPROCS int
}

// DetectCPU returns the features of the CPU the process runs on.
func DetectCPU() CPU {
	return CPU{
		Arch:         runtime.GOARCH,
		Model:        cpuModel("/proc/cpuinfo"),
		Features:     cpuFeatures(),
		LogicalCores: runtime.NumCPU(),
		GOMAXPROCS:   runtime.GOMAXPROCS(0),
	}
}

// Has reports whether the feature named as in Features is present.
func (c CPU) Has(feature string) bool {
	for _, f := range c.Features {
		if f == feature {
			return true
		}
	}
	return false
}

// cpuModel reads the processor name from a /proc/cpuinfo-style file ("model
// name" on x86, "Model" or "CPU part" lines elsewhere are not names).
func cpuModel(path string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(data), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

func cpuFeatures() []string {
	var out []string
	add := func(ok bool, name string) {
		if ok {
			out = append(out, name)
		}
	}
	switch runtime.GOARCH {
	case "amd64", "386":
		x := &cpu.X86
		add(x.HasSSE41, "sse4.1")
		add(x.HasSSE42, "sse4.2")
		add(x.HasAVX, "avx")
		add(x.HasAVX2, "avx2")
		add(x.HasFMA, "fma")
		add(x.HasF16C, "f16c")
		add(x.HasAVX512F, "avx512f")
		add(x.HasAVX512BW, "avx512bw")
		add(x.HasAVX512DQ, "avx512dq")
		add(x.HasAVX512VL, "avx512vl")
		add(x.HasAVX512VNNI, "avx512vnni")
		add(x.HasAVX512BF16, "avx512bf16")
		add(x.HasAVXVNNI, "avxvnni")
		add(x.HasAMXTile, "amx-tile")
		add(x.HasAMXBF16, "amx-bf16")
		add(x.HasAMXInt8, "amx-int8")
	case "arm64":
		a := &cpu.ARM64
		add(a.HasASIMD, "asimd")
		add(a.HasFPHP, "fphp")
		add(a.HasASIMDHP, "asimdhp")
		add(a.HasASIMDDP, "asimddp")
		add(a.HasSVE, "sve")
		add(a.HasSVE2, "sve2")
	}
	sort.Strings(out)
	return out
}
