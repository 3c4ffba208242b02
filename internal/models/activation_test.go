package models

import (
	"math/rand/v2"
	"testing"

	"hfserve/internal/tensor"
)

// TestActivationApply checks that splitting an activation over a pool gives
// exactly the serial result, below and above the split threshold.
func TestActivationApply(t *testing.T) {
	pool := tensor.NewPool(3)
	defer pool.Close()
	r := rand.New(rand.NewPCG(1, 2))
	for _, name := range []string{"gelu", "silu", "gelu_new", "relu"} {
		act, err := ParseActivation(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, shape := range [][2]int{{1, 10}, {3, 100}, {512, 1536}, {7, 9000}} {
			rows, w := shape[0], shape[1]
			x := make([]float32, rows*w)
			for i := range x {
				x[i] = float32(r.NormFloat64() * 3)
			}
			want := append([]float32(nil), x...)
			act(want)
			for _, p := range []*tensor.Pool{nil, pool} {
				got := append([]float32(nil), x...)
				act.Apply(p, got, rows)
				for i := range got {
					if got[i] != want[i] {
						t.Fatalf("%s %dx%d workers=%d: [%d] = %v, serial %v", name, rows, w, p.Workers(), i, got[i], want[i])
					}
				}
			}
		}
	}
}
