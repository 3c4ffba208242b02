package tensor

// Dot returns Σ a[i]·b[i] over len(a); b must be at least as long.
func Dot(a, b []float32) float32 {
	checkLen("Dot", "b", len(b), len(a))
	return activeKernels().dot(a, b[:len(a)])
}

// Axpy computes y[i] += alpha·x[i] over len(x); y must be at least as long.
func Axpy(alpha float32, x, y []float32) {
	checkLen("Axpy", "y", len(y), len(x))
	activeKernels().axpy(alpha, x, y[:len(x)])
}

// Scale multiplies x in place by s.
func Scale(x []float32, s float32) {
	for i := range x {
		x[i] *= s
	}
}

// Add computes dst[i] = a[i] + b[i] over len(dst); dst may alias a or b.
func Add(dst, a, b []float32) {
	n := len(dst)
	checkLen("Add", "a", len(a), n)
	checkLen("Add", "b", len(b), n)
	activeKernels().add(dst, a[:n], b[:n])
}

func addGo(dst, a, b []float32) {
	a, b = a[:len(dst)], b[:len(dst)]
	for i := range dst {
		dst[i] = a[i] + b[i]
	}
}

// Mul computes dst[i] = a[i] · b[i] over len(dst); dst may alias a or b.
func Mul(dst, a, b []float32) {
	n := len(dst)
	checkLen("Mul", "a", len(a), n)
	checkLen("Mul", "b", len(b), n)
	a, b = a[:n], b[:n]
	for i := range dst {
		dst[i] = a[i] * b[i]
	}
}

// AddBias adds bias to each of the rows rows of x (row length len(bias)).
func AddBias(x []float32, bias []float32, rows int) {
	n := len(bias)
	checkLen("AddBias", "x", len(x), rows*n)
	for r := range rows {
		row := x[r*n : (r+1)*n]
		for i, v := range bias {
			row[i] += v
		}
	}
}
