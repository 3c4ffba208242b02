package models

import (
	"fmt"
	"math"

	"hfserve/internal/tensor"
)

// Activation applies an activation function in place.
type Activation func(x []float32)

// ParseActivation maps a config's hidden_act (or GPT-2's
// activation_function, DistilBERT's activation) to its function, with
// transformers' ACT2FN meanings.
func ParseActivation(name string) (Activation, error) {
	switch name {
	case "silu", "swish":
		return tensor.SiLU, nil
	case "gelu", "gelu_python":
		return tensor.GELU, nil
	case "gelu_new", "gelu_pytorch_tanh", "gelu_fast":
		// gelu_fast is the same tanh formula with its constant folded.
		return tensor.GELUTanh, nil
	case "quick_gelu":
		return quickGELU, nil
	case "relu":
		return relu, nil
	case "tanh":
		return tensor.Tanh, nil
	}
	return nil, fmt.Errorf("activation %q is not supported (want silu, gelu, gelu_new, gelu_pytorch_tanh, gelu_fast, quick_gelu, relu or tanh): %w", name, ErrUnsupported)
}

// quickGELU is x * sigmoid(1.702 x), transformers' QuickGELUActivation.
func quickGELU(x []float32) {
	for i, v := range x {
		x[i] = v / (1 + float32(math.Exp(float64(-1.702*v))))
	}
}

// relu is max(x, 0).
func relu(x []float32) {
	for i, v := range x {
		if v < 0 {
			x[i] = 0
		}
	}
}

// rowsGrain is the fewest elements a worker takes at a time in ForRows: the
// row-wise functions cost nanoseconds per element, so smaller chunks would
// cost more to hand out than to compute.
const rowsGrain = 16 << 10

// ForRows calls fn on ranges [lo, hi) of rows rows of width elements, split
// over p's workers; small inputs run on the caller. For row-wise functions
// (activations, norms, residual adds) the split changes nothing but the time.
func ForRows(p *tensor.Pool, rows, width int, fn func(lo, hi int)) {
	if rows <= 1 || rows*width < 2*rowsGrain {
		fn(0, rows)
		return
	}
	p.For(rows, max(1, rowsGrain/max(width, 1)), fn)
}

// Apply runs a in place on x, rows rows of len(x)/rows elements, split by
// rows over p's workers (see ForRows).
func (a Activation) Apply(p *tensor.Pool, x []float32, rows int) {
	w := len(x) / max(rows, 1)
	ForRows(p, rows, w, func(lo, hi int) { a(x[lo*w : hi*w]) })
}
