package tensor

import (
	"strings"
	"testing"
)

func TestChooseKernelsCap(t *testing.T) {
	all := []kernels{portableKernels(), {isa: isaAVX2, mr: 6, nr: 16}, {isa: isaAVX512, mr: 12, nr: 32}}
	pass := func(kernels) bool { return true }
	for _, tc := range []struct {
		env  string
		want isa
	}{
		{"", isaAVX512}, {"auto", isaAVX512}, {"AVX512", isaAVX512}, {" avx2 ", isaAVX2},
		{"go", isaGo}, {"portable", isaGo}, {"sse9", isaAVX512},
	} {
		if got := chooseKernels(all, tc.env, pass).isa; got != tc.want {
			t.Errorf("env %q: got %v, want %v", tc.env, got, tc.want)
		}
	}
	// A set that fails its self-check is skipped for the next narrower one.
	no512 := func(k kernels) bool { return k.isa != isaAVX512 }
	if got := chooseKernels(all, "", no512).isa; got != isaAVX2 {
		t.Errorf("failing avx512 check: got %v, want avx2", got)
	}
	if got := chooseKernels(all, "", func(kernels) bool { return false }).isa; got != isaGo {
		t.Errorf("all checks failing: got %v, want go", got)
	}
}

func TestCheckKernelsEnv(t *testing.T) {
	for _, v := range []string{"", "auto", "go"} {
		t.Setenv(KernelsEnv, v)
		if err := CheckKernelsEnv(); err != nil {
			t.Errorf("%q: %v", v, err)
		}
	}
	t.Setenv(KernelsEnv, "neon")
	if err := CheckKernelsEnv(); err == nil || !strings.Contains(err.Error(), "not a kernel set") {
		t.Errorf("unknown name: got %v", err)
	}
	// A set this machine lacks is refused, one it has is accepted.
	have := map[isa]bool{}
	for _, k := range availableKernels() {
		have[k.isa] = true
	}
	for _, i := range []isa{isaAVX2, isaAVX512} {
		t.Setenv(KernelsEnv, i.String())
		err := CheckKernelsEnv()
		if have[i] != (err == nil) {
			t.Errorf("%v (available %v): got %v", i, have[i], err)
		}
	}
}
