package tensor

import (
	"fmt"
	"math"
)

// Softmax replaces each of the rows rows of x (row length len(x)/rows) by its
// softmax: exp(x − max) / Σ exp(x − max), as torch.softmax over the last
// dimension. A row whose entries are all −Inf (fully masked) becomes all zeros
// rather than NaN.
func Softmax(x []float32, rows int) {
	if rows <= 0 || len(x) == 0 {
		return
	}
	if len(x)%rows != 0 {
		panic(fmt.Sprintf("tensor.Softmax: len(x) = %d is not a multiple of rows = %d", len(x), rows))
	}
	n := len(x) / rows
	k := activeKernels()
	for r := range rows {
		k.softmaxRow(x[r*n : (r+1)*n])
	}
}

// softmaxRow normalises one row; sums are float32, like torch's vectorised kernel.
func (k kernels) softmaxRow(x []float32) { k.softmaxRowStats(x) }

// softmaxRowStats normalises one row and returns its largest element and the
// sum of exp(x − max) it divided by (−Inf and 0 for a row of −Inf, made zero).
func (k kernels) softmaxRowStats(x []float32) (maxX, sum float32) {
	m := float32(math.Inf(-1))
	for _, v := range x {
		if v > m {
			m = v
		}
	}
	if math.IsInf(float64(m), -1) {
		clear(x)
		return m, 0
	}
	sum = k.expSum(x, m)
	inv := 1 / sum
	for i := range x {
		x[i] *= inv
	}
	return m, sum
}
