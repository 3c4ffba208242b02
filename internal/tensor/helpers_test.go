package tensor

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// Test helpers: deterministic random data and float64 references.

func newRand(t testing.TB) *rand.Rand {
	seed := uint64(len(t.Name())) * 0x9e3779b97f4a7c15
	return rand.New(rand.NewPCG(seed, 42))
}

func randSlice(r *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(r.Float64()*2 - 1)
	}
	return s
}

// randWeights returns a matrix of dtype dt and its exact float32 widening.
func randWeights(t testing.TB, r *rand.Rand, rows, cols int, dt DType) (*Matrix, []float32) {
	t.Helper()
	f := randSlice(r, rows*cols)
	if dt == F32 {
		m, err := NewMatrixF32(rows, cols, f)
		if err != nil {
			t.Fatal(err)
		}
		return m, f
	}
	bits := make([]uint16, len(f))
	if dt == BF16 {
		F32ToBF16(bits, f)
	} else {
		F32ToF16(bits, f)
	}
	// Widen with the scalar converters, independent of the kernels under test.
	wide := make([]float32, len(f))
	for i, h := range bits {
		if dt == BF16 {
			wide[i] = math.Float32frombits(uint32(h) << 16)
		} else {
			wide[i] = float32(halfToFloat64(h))
		}
	}
	m, err := NewMatrix16(rows, cols, dt, bits)
	if err != nil {
		t.Fatal(err)
	}
	return m, wide
}

// halfToFloat64 decodes IEEE binary16 from its definition (a reference for
// f16ToF32 written independently of it).
func halfToFloat64(h uint16) float64 {
	sign := 1.0
	if h&0x8000 != 0 {
		sign = -1
	}
	e := int(h>>10) & 0x1f
	m := float64(h & 0x3ff)
	switch e {
	case 0:
		return sign * m * math.Pow(2, -24)
	case 31:
		if m == 0 {
			return sign * math.Inf(1)
		}
		return math.NaN()
	}
	return sign * (1 + m/1024) * math.Pow(2, float64(e-15))
}

// refProduct computes c[i, j] = Σ_p a[i, p]·bAt(p, j) in float64, and the sum of
// absolute products per element (the scale of its rounding error).
func refProduct(m, n, k int, a []float32, bAt func(p, j int) float32) (c, scale []float64) {
	c, scale = make([]float64, m*n), make([]float64, m*n)
	for i := range m {
		for j := range n {
			var s, sa float64
			for p := range k {
				v := float64(a[i*k+p]) * float64(bAt(p, j))
				s += v
				sa += math.Abs(v)
			}
			c[i*n+j], scale[i*n+j] = s, sa
		}
	}
	return c, scale
}

// checkClose fails if got differs from want by more than the float32 rounding a
// k-term sum can accumulate: a bound of 2·√k ulps of the sum of |terms| (a lost
// or doubled term is off by about scale/k, far beyond this for k < 10⁴).
func checkClose(t *testing.T, what string, got []float32, want, scale []float64, k int) {
	t.Helper()
	tol := 2 * math.Sqrt(float64(max(k, 1))) * 0x1p-23
	bad := 0
	for i, w := range want {
		g := float64(got[i])
		if math.IsNaN(g) || math.Abs(g-w) > tol*scale[i]+1e-30 {
			if bad < 5 {
				t.Errorf("%s: [%d] = %v, want %v (tol %.3g)", what, i, g, w, tol*scale[i])
			}
			bad++
		}
	}
	if bad > 5 {
		t.Errorf("%s: %d mismatches in all", what, bad)
	}
}

// forEachKernelSet runs f once per kernel set this machine can run, so the
// portable code is tested everywhere and the assembly wherever the CPU has it.
func forEachKernelSet(t *testing.T, f func(t *testing.T, k kernels)) {
	for _, k := range availableKernels() {
		t.Run(k.isa.String(), func(t *testing.T) { f(t, k) })
	}
}

// pools returns the pool configurations the product tests run under.
func testPools(t *testing.T) []*Pool {
	p3 := NewPool(3)
	t.Cleanup(p3.Close)
	return []*Pool{nil, p3}
}

func poolName(p *Pool) string { return fmt.Sprintf("workers=%d", p.Workers()) }

// oddSizes are the dimensions products are tested at: tiny, around the micro-tile
// and vector widths, and past the cache-blocking limits.
var oddSizes = []int{1, 2, 3, 5, 7, 8, 15, 16, 17, 31, 33, 63, 65, 127, 257}
