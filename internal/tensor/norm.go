package tensor

import "math"

// RMSNorm normalises each of the rows rows of x (row length len(weight)) by its
// root mean square and scales it by weight, as Hugging Face's LlamaRMSNorm:
// x · rsqrt(mean(x²) + eps) · weight, in float32 (the mean is accumulated in
// float64). dst may alias x.
func RMSNorm(dst, x, weight []float32, rows int, eps float32) {
	n := len(weight)
	checkLen("RMSNorm", "x", len(x), rows*n)
	checkLen("RMSNorm", "dst", len(dst), rows*n)
	if n == 0 {
		return
	}
	for r := range rows {
		xr, dr := x[r*n:(r+1)*n], dst[r*n:(r+1)*n]
		var ss float64
		for _, v := range xr {
			ss += float64(v) * float64(v)
		}
		variance := float32(ss / float64(n))
		inv := float32(1 / math.Sqrt(float64(variance+eps)))
		for i, v := range xr {
			dr[i] = weight[i] * float32(v*inv)
		}
	}
}

// LayerNorm normalises each of the rows rows of x (row length len(weight)) to
// zero mean and unit biased variance, then applies weight and bias (bias may be
// nil), as torch.nn.LayerNorm: (x·rstd − mean·rstd)·weight + bias with
// rstd = 1/sqrt(var + eps); mean and variance are accumulated in float64.
// dst may alias x.
func LayerNorm(dst, x, weight, bias []float32, rows int, eps float32) {
	n := len(weight)
	checkLen("LayerNorm", "x", len(x), rows*n)
	checkLen("LayerNorm", "dst", len(dst), rows*n)
	if bias != nil {
		checkLen("LayerNorm", "bias", len(bias), n)
	}
	if n == 0 {
		return
	}
	for r := range rows {
		xr, dr := x[r*n:(r+1)*n], dst[r*n:(r+1)*n]
		var sum float64
		for _, v := range xr {
			sum += float64(v)
		}
		mean := sum / float64(n)
		var ss float64
		for _, v := range xr {
			d := float64(v) - mean
			ss += d * d
		}
		variance := float32(ss / float64(n))
		rstd := float32(1 / math.Sqrt(float64(variance+eps)))
		shift := -rstd * float32(mean)
		for i, v := range xr {
			y := float32(float32(v*rstd)+shift) * weight[i]
			if bias != nil {
				y += bias[i]
			}
			dr[i] = y
		}
	}
}
