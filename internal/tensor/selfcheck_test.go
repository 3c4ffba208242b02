package tensor

import (
	"os"
	"testing"
)

func TestSelfCheckAndSelection(t *testing.T) {
	ks := availableKernels()
	if ks[0] != portableKernels() {
		t.Fatalf("first kernel set is %v, want the portable one", ks[0].isa)
	}
	for _, k := range ks {
		if !selfCheck(k) {
			t.Errorf("%v fails its self-check", k.isa)
		}
	}
	// Every set passes, so the widest one the cap (HFSERVE_KERNELS) allows
	// is chosen.
	limit, _ := kernelCap(os.Getenv(KernelsEnv))
	want := ks[0]
	for _, k := range ks {
		if k.isa <= limit {
			want = k
		}
	}
	if got := activeKernels(); got != want {
		t.Errorf("active kernel set %v, want %v", got.isa, want.isa)
	}
	if !allClose([]float32{1, 2}, []float32{1, 2}, 1) || allClose([]float32{1}, []float32{1.01}, 1) {
		t.Error("allClose misjudges")
	}
}
