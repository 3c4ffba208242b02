package serving

import (
	"math"

	"hfserve/internal/skills"
)

// validPooling reports whether mode is a pooling this package implements.
func validPooling(mode string) bool {
	switch mode {
	case skills.PoolingCLS, skills.PoolingMean, skills.PoolingMax, skills.PoolingLastToken:
		return true
	}
	return false
}

// pool reduces a sequence's hidden states, n rows of width h (its real
// tokens only, padding excluded), to one vector as sentence-transformers'
// Pooling module does: the first token (cls), the mean or the
// element-wise max over the tokens, or the last token.
func pool(mode string, hidden []float32, n, h int) []float32 {
	out := make([]float32, h)
	switch mode {
	case skills.PoolingCLS:
		copy(out, hidden[:h])
	case skills.PoolingLastToken:
		copy(out, hidden[(n-1)*h:n*h])
	case skills.PoolingMax:
		copy(out, hidden[:h])
		for r := 1; r < n; r++ {
			for j, v := range hidden[r*h : (r+1)*h] {
				out[j] = max(out[j], v)
			}
		}
	default: // mean
		sum := make([]float64, h)
		for r := range n {
			for j, v := range hidden[r*h : (r+1)*h] {
				sum[j] += float64(v)
			}
		}
		for j := range out {
			out[j] = float32(sum[j] / float64(n))
		}
	}
	return out
}

// normalize scales v to unit L2 length in place, as torch's
// F.normalize(p=2, eps=1e-12) does: a zero vector stays zero.
func normalize(v []float32) {
	var ss float64
	for _, x := range v {
		ss += float64(x) * float64(x)
	}
	norm := max(math.Sqrt(ss), 1e-12)
	for i := range v {
		v[i] = float32(float64(v[i]) / norm)
	}
}
