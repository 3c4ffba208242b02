package tensor

import "math"

// The portable activations are computed in float64 and rounded once, so each
// result is the correctly rounded (or within one ulp) value of the exact formula;
// the vectorised SiLU is within a few ulps, like torch's own.

// SiLU applies x·sigmoid(x) in place (torch.nn.functional.silu).
func SiLU(x []float32) { activeKernels().silu(x, x) }

func silu(v float32) float32 {
	f := float64(v)
	return float32(f / (1 + math.Exp(-f)))
}

// SwiGLU computes dst[i] = silu(gate[i]) · up[i] over len(dst), the gated MLP of
// Llama-family models. dst may alias gate or up.
func SwiGLU(dst, gate, up []float32) {
	n := len(dst)
	checkLen("SwiGLU", "gate", len(gate), n)
	checkLen("SwiGLU", "up", len(up), n)
	activeKernels().swiglu(dst, gate[:n], up[:n])
}

// GELU applies the exact (erf) GELU in place: x/2·(1 + erf(x/√2)), Hugging Face's
// hidden_act "gelu", computed in float64 and rounded once (the vector kernels
// within one ulp of that), also in the far negative tail where float32's
// 1 + erf cancels to zero. At x = −Inf the formula is −Inf·0: the portable
// path gives NaN like torch, the vector one −Inf.
func GELU(x []float32) { activeKernels().gelu(x) }

// geluGo computes x/2·erfc(−x/√2), which is x/2·(1 + erf(x/√2)) without its
// cancellation for negative x.
func geluGo(x []float32) {
	for i, v := range x {
		f := float64(v)
		x[i] = float32(0.5 * f * math.Erfc(-f*(1/math.Sqrt2)))
	}
}

// GELUTanh applies the tanh approximation of GELU in place:
// x/2·(1 + tanh(√(2/π)·(x + 0.044715·x³))), Hugging Face's "gelu_new",
// "gelu_pytorch_tanh" and (algebraically the same) "gelu_fast".
func GELUTanh(x []float32) {
	const c = 0.7978845608028654 // √(2/π)
	for i, v := range x {
		f := float64(v)
		x[i] = float32(0.5 * f * (1 + math.Tanh(c*(f+0.044715*f*f*f))))
	}
}

// Tanh applies tanh in place.
func Tanh(x []float32) {
	for i, v := range x {
		x[i] = float32(math.Tanh(float64(v)))
	}
}
