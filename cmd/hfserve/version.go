package main

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"

	"hfserve/internal/hardware"
)

// version is set at build time: go build -ldflags "-X main.version=v1.2.3".
var version = "dev"

// buildInfo is what `hfserve version` reports.
type buildInfo struct {
	Version      string   `json:"version"`
	Commit       string   `json:"commit"`
	Modified     bool     `json:"modified"`
	GoVersion    string   `json:"go_version"`
	OS           string   `json:"os"`
	Arch         string   `json:"arch"`
	CPUModel     string   `json:"cpu_model,omitempty"`
	CPUFeatures  []string `json:"cpu_features"`
	LogicalCores int      `json:"logical_cores"`
	MemoryTotal  int64    `json:"memory_total_bytes,omitempty"`
	MemoryAvail  int64    `json:"memory_available_bytes,omitempty"`

	Accelerators []hardware.Accelerator   `json:"accelerators"`
	Backend      string                   `json:"backend"`
	Backends     []hardware.BackendStatus `json:"backends"`
}

func currentBuildInfo(ctx context.Context) buildInfo {
	b := buildInfo{Version: version, Commit: "unknown", GoVersion: runtime.Version(), OS: runtime.GOOS, Arch: runtime.GOARCH}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				b.Commit = s.Value
			case "vcs.modified":
				b.Modified = s.Value == "true"
			}
		}
		if b.Version == "dev" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			b.Version = bi.Main.Version
		}
	}
	c := hardware.DetectCPU()
	b.CPUModel, b.CPUFeatures, b.LogicalCores = c.Model, c.Features, c.LogicalCores
	if m, err := hardware.DetectMemory(hardware.DefaultPaths()); err == nil {
		b.MemoryTotal, b.MemoryAvail = m.Total, m.Available
	}
	// A driver problem is not fatal to `version`; the devices found are shown.
	b.Accelerators, _ = hardware.DetectAccelerators(ctx, hardware.DefaultProbes())
	if b.Accelerators == nil {
		b.Accelerators = []hardware.Accelerator{}
	}
	if sel, err := hardware.Select(nil, b.Accelerators, hardware.BuiltBackends()); err == nil {
		b.Backend, b.Backends = sel.Backend, sel.Backends
	}
	return b
}

func runVersion(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "version", "version [--json]", "Print the version, the commit it was built from, the Go version and the CPU features hfserve sees.")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("version: unexpected argument %q", fs.Arg(0))
	}
	b := currentBuildInfo(ctx)
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(b)
	}
	commit := b.Commit
	if b.Modified {
		commit += " (modified)"
	}
	fmt.Fprintf(e.stdout, "hfserve %s\ncommit:   %s\ngo:       %s %s/%s\ncpu:      %s, %d logical cores; %s\n",
		b.Version, commit, b.GoVersion, b.OS, b.Arch, orDash(b.CPUModel), b.LogicalCores, featureLine(b.CPUFeatures))
	if b.MemoryTotal > 0 {
		fmt.Fprintf(e.stdout, "memory:   %s total, %s available\n", humanBytes(b.MemoryTotal), humanBytes(b.MemoryAvail))
	}
	for _, a := range b.Accelerators {
		fmt.Fprintf(e.stdout, "device:   %s %s (%s)\n", a.Kind, a.Name, humanBytes(a.Memory))
	}
	var notes []string
	for _, st := range b.Backends {
		if st.Note != "" {
			notes = append(notes, st.Name+": "+st.Note)
		}
	}
	fmt.Fprintf(e.stdout, "backend:  %s (%s)\n", orDash(b.Backend), strings.Join(notes, "; "))
	return nil
}

func featureLine(f []string) string {
	if len(f) == 0 {
		return "no SIMD extensions detected (portable kernels)"
	}
	return strings.Join(f, " ")
}

// humanBytes formats a byte count with binary units, e.g. "1.5 GiB".
func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 5; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
