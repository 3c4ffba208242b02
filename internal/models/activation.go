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
