package hardware

import (
	"context"
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestDetectAccelerators(t *testing.T) {
	kfd := t.TempDir()
	writeFile(t, filepath.Join(kfd, "0", "properties"), "cpu_cores_count 8\nsimd_count 0\n")
	writeFile(t, filepath.Join(kfd, "1", "properties"), "cpu_cores_count 0\nsimd_count 304\ngfx_target_version 90402\n")
	smi := func(ctx context.Context, args ...string) ([]byte, error) {
		if !strings.Contains(strings.Join(args, " "), "--query-gpu=name,memory.total") {
			t.Errorf("unexpected nvidia-smi args %v", args)
		}
		return []byte("NVIDIA H100 80GB HBM3, 81559\nNVIDIA H100 80GB HBM3, 81559\n"), nil
	}
	got, err := DetectAccelerators(context.Background(), Probes{NvidiaSMI: smi, KFDTopology: kfd, GOOS: "linux", GOARCH: "amd64"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[0].Kind != "cuda" || got[0].Memory != 81559<<20 || got[2].Kind != "rocm" || !strings.Contains(got[2].Name, "90402") {
		t.Fatalf("got %+v", got)
	}
}

func TestDetectAcceleratorsAbsentAndBroken(t *testing.T) {
	missing := func(context.Context, ...string) ([]byte, error) { return nil, exec.ErrNotFound }
	got, err := DetectAccelerators(context.Background(), Probes{NvidiaSMI: missing, KFDTopology: filepath.Join(t.TempDir(), "none"), GOOS: "linux", GOARCH: "amd64"})
	if err != nil || len(got) != 0 {
		t.Fatalf("nothing present: got %+v, %v", got, err)
	}
	broken := func(context.Context, ...string) ([]byte, error) { return nil, errors.New("driver mismatch") }
	if _, err := DetectAccelerators(context.Background(), Probes{NvidiaSMI: broken}); err == nil || !strings.Contains(err.Error(), "driver mismatch") {
		t.Fatalf("broken driver: err = %v", err)
	}
	mac, _ := DetectAccelerators(context.Background(), Probes{GOOS: "darwin", GOARCH: "arm64"})
	if len(mac) != 1 || mac[0].Kind != "mps" {
		t.Fatalf("apple silicon: %+v", mac)
	}
}

func TestDetectAcceleratorsThisMachine(t *testing.T) {
	// Whatever this machine has, detection must not fail on a machine
	// without drivers, and must not report a device twice.
	got, _ := DetectAccelerators(context.Background(), DefaultProbes())
	seen := map[Accelerator]bool{}
	for _, a := range got {
		if seen[a] && a.Kind != "cuda" { // identical GPUs legitimately repeat
			t.Fatalf("accelerator reported twice: %+v", a)
		}
		seen[a] = true
		if a.Kind == "" || a.Name == "" {
			t.Fatalf("accelerator without kind or name: %+v", a)
		}
	}
}

func TestSelect(t *testing.T) {
	gpu := []Accelerator{{Kind: "cuda", Name: "GPU"}}
	sel, err := Select(nil, gpu, BuiltBackends())
	if err != nil {
		t.Fatal(err)
	}
	if sel.Backend != "cpu" {
		t.Fatalf("backend = %q, want cpu (no CUDA backend is built)", sel.Backend)
	}
	if st := sel.Backends[0]; st.Name != "cuda" || !st.Present || st.Built || st.Note != "present, no backend in this build" {
		t.Fatalf("cuda status = %+v", st)
	}
	sel, err = Select([]string{"cuda", "cpu"}, gpu, []string{"cuda", "cpu"})
	if err != nil || sel.Backend != "cuda" {
		t.Fatalf("with a CUDA build: %+v, %v", sel, err)
	}
	if _, err := Select([]string{"tpu"}, nil, BuiltBackends()); err == nil {
		t.Fatal("unknown backend accepted")
	}
	if _, err := Select([]string{"cuda"}, nil, BuiltBackends()); err == nil {
		t.Fatal("a preference with nothing usable must fail")
	}
}

func TestCPUModel(t *testing.T) {
	p := filepath.Join(t.TempDir(), "cpuinfo")
	writeFile(t, p, "processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: Intel(R) Xeon(R) Test CPU @ 2.00GHz\n")
	if got := cpuModel(p); got != "Intel(R) Xeon(R) Test CPU @ 2.00GHz" {
		t.Fatalf("cpuModel = %q", got)
	}
	if got := cpuModel(filepath.Join(t.TempDir(), "none")); got != "" {
		t.Fatalf("missing file: %q", got)
	}
}
