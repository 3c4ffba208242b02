package hardware

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// Accelerator is a compute device other than the CPU that this machine has.
type Accelerator struct {
	Kind   string // "cuda", "rocm", "mps"
	Name   string // e.g. "NVIDIA H100 80GB HBM3"
	Memory int64  // device memory in bytes, 0 when unknown
	// Detail says how it was found (a command, a sysfs path).
	Detail string
}

// Probes locates the sources DetectAccelerators consults; tests point them
// at fixtures, production uses DefaultProbes.
type Probes struct {
	// NvidiaSMI runs nvidia-smi with the given arguments and returns its
	// standard output; nil skips NVIDIA detection.
	NvidiaSMI func(ctx context.Context, args ...string) ([]byte, error)
	// KFDTopology is the AMD kernel fusion driver's topology folder
	// (/sys/class/kfd/kfd/topology/nodes).
	KFDTopology string
	// GOOS and GOARCH decide whether Apple silicon's Metal (mps) is present.
	GOOS, GOARCH string
}

// DefaultProbes are the real sources on this machine.
func DefaultProbes() Probes {
	return Probes{
		NvidiaSMI: func(ctx context.Context, args ...string) ([]byte, error) {
			path, err := exec.LookPath("nvidia-smi")
			if err != nil {
				return nil, err
			}
			return exec.CommandContext(ctx, path, args...).Output()
		},
		KFDTopology: "/sys/class/kfd/kfd/topology/nodes",
		GOOS:        runtime.GOOS,
		GOARCH:      runtime.GOARCH,
	}
}

// DetectAccelerators lists the accelerators present. It never invents one:
// a device is reported only when a driver tool or the kernel says it exists.
// Detection problems other than "not present" are returned alongside
// whatever was found, so a broken driver shows up in the logs.
func DetectAccelerators(ctx context.Context, p Probes) ([]Accelerator, error) {
	var found []Accelerator
	var errs []error
	if p.NvidiaSMI != nil {
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		out, err := p.NvidiaSMI(ctx, "--query-gpu=name,memory.total", "--format=csv,noheader,nounits")
		cancel()
		switch {
		case err == nil:
			gpus, perr := parseNvidiaSMI(out)
			found = append(found, gpus...)
			if perr != nil {
				errs = append(errs, perr)
			}
		case errors.Is(err, exec.ErrNotFound):
			// No NVIDIA driver installed: nothing to report.
		default:
			errs = append(errs, fmt.Errorf("hardware: nvidia-smi: %w", err))
		}
	}
	if p.KFDTopology != "" {
		amd, err := readKFD(p.KFDTopology)
		found = append(found, amd...)
		if err != nil {
			errs = append(errs, err)
		}
	}
	if p.GOOS == "darwin" && p.GOARCH == "arm64" {
		found = append(found, Accelerator{Kind: "mps", Name: "Apple silicon GPU (Metal)", Detail: "darwin/arm64"})
	}
	return found, errors.Join(errs...)
}

// parseNvidiaSMI reads `nvidia-smi --query-gpu=name,memory.total
// --format=csv,noheader,nounits` output: one "name, MiB" line per GPU.
func parseNvidiaSMI(out []byte) ([]Accelerator, error) {
	var gpus []Accelerator
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		name, mem, ok := strings.Cut(line, ",")
		if !ok {
			return gpus, fmt.Errorf("hardware: unexpected nvidia-smi line %q", line)
		}
		a := Accelerator{Kind: "cuda", Name: strings.TrimSpace(name), Detail: "nvidia-smi"}
		var mib int64
		if _, err := fmt.Sscan(strings.TrimSpace(mem), &mib); err == nil {
			a.Memory = mib << 20
		}
		gpus = append(gpus, a)
	}
	return gpus, sc.Err()
}

// readKFD lists AMD GPUs from the KFD topology: nodes whose properties have
// a non-zero simd_count are GPUs (CPU nodes have none).
func readKFD(root string) ([]Accelerator, error) {
	nodes, err := os.ReadDir(root)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil
		}
		return nil, fmt.Errorf("hardware: reading %s: %w", root, err)
	}
	var gpus []Accelerator
	for _, n := range nodes {
		props, err := os.ReadFile(filepath.Join(root, n.Name(), "properties"))
		if err != nil {
			continue
		}
		var simd, gfx int64
		for _, line := range strings.Split(string(props), "\n") {
			f := strings.Fields(line)
			if len(f) != 2 {
				continue
			}
			switch f[0] {
			case "simd_count":
				fmt.Sscan(f[1], &simd)
			case "gfx_target_version":
				fmt.Sscan(f[1], &gfx)
			}
		}
		if simd > 0 {
			name := "AMD GPU"
			if gfx > 0 {
				name = fmt.Sprintf("AMD GPU (gfx target %d)", gfx)
			}
			gpus = append(gpus, Accelerator{Kind: "rocm", Name: name, Detail: filepath.Join(root, n.Name())})
		}
	}
	return gpus, nil
}
