package tensor

import (
	"fmt"
	"math"
	"testing"
	"unsafe"
)

// TestGEMVKernels runs the matrix-vector path of every kernel set on depths
// around the 16-element blocks of the vector kernels (whole blocks, a tail, a
// tail only) and row counts around the four-row groups, against a float64
// reference.
func TestGEMVKernels(t *testing.T) {
	forEachKernelSet(t, func(t *testing.T, ks kernels) {
		for _, dt := range []DType{F32, BF16, F16} {
			for _, kd := range []int{1, 8, 15, 16, 17, 31, 32, 48, 63, 896 + 7} {
				for _, n := range []int{1, 3, 4, 5, 8, 13} {
					for _, rows := range []int{1, 2, 4} {
						name := fmt.Sprintf("%s/%s/rows=%d/n=%d/k=%d", ks.isa, dt, rows, n, kd)
						r := newRand(t)
						w, wide := randWeights(t, r, n, kd, dt)
						x := randSlice(r, rows*kd)
						want, scale := refProduct(rows, n, kd, x, func(p, j int) float32 { return wide[j*kd+p] })
						dst := make([]float32, rows*n+1)
						dst[rows*n] = 7
						ks.linear(nil, dst, x, rows, w, nil)
						checkClose(t, name, dst[:rows*n], want, scale, kd)
						checkTail(t, name, dst[rows*n:], 7)
					}
				}
			}
		}
	})
}

// TestGEMVAlignment runs the F32 matrix-vector path on weights that start at
// every 4-byte offset of a 64-byte boundary, as the tensors of a safetensors
// file do (its data is aligned to 8 bytes only): the AVX2 kernel takes the
// elements before a 32-byte boundary and after the last whole block one at a
// time, the AVX-512 one those before a 64-byte boundary and after the last
// whole block by masked loads.
func TestGEMVAlignment(t *testing.T) {
	forEachKernelSet(t, func(t *testing.T, ks kernels) {
		for _, kd := range []int{16, 24, 40, 48, 64, 80, 896} {
			for shift := range 16 {
				for _, n := range []int{4, 5, 8} {
					for _, rows := range []int{1, 3} {
						name := fmt.Sprintf("%s/k=%d/shift=%d/n=%d/rows=%d", ks.isa, kd, shift, n, rows)
						r := newRand(t)
						_, wide := randWeights(t, r, n, kd, F32)
						backing := make([]float32, n*kd+16)
						copy(backing[shift:], wide)
						w, err := NewMatrixF32(n, kd, backing[shift:shift+n*kd])
						if err != nil {
							t.Fatal(err)
						}
						x := randSlice(r, rows*kd)
						want, scale := refProduct(rows, n, kd, x, func(p, j int) float32 { return wide[j*kd+p] })
						dst := make([]float32, rows*n)
						ks.linear(nil, dst, x, rows, w, nil)
						checkClose(t, name, dst, want, scale, kd)
					}
				}
			}
		}
	})
}

// TestGEMVAlignment16 runs the BF16 and F16 matrix-vector paths on weights
// that start at every 2-byte offset of a 64-byte boundary, with rows whose
// stride is a multiple of 64 bytes (where the AVX-512 kernels start their
// loads on a cache line, after a masked head of up to 31 elements) and rows
// whose stride is not, alone and through LinearMulti with two matrices that
// start at different offsets.
func TestGEMVAlignment16(t *testing.T) {
	forEachKernelSet(t, func(t *testing.T, ks kernels) {
		for _, dt := range []DType{BF16, F16} {
			for _, kd := range []int{32, 64, 96, 40, 17, 50, 896} {
				for shift := range 32 {
					for _, rows := range []int{1, 3} {
						name := fmt.Sprintf("%s/%s/k=%d/shift=%d/rows=%d", ks.isa, dt, kd, shift, rows)
						r := newRand(t)
						const n = 8
						w1, wide1 := randWeights(t, r, n, kd, dt)
						w2, wide2 := randWeights(t, r, n+4, kd, dt)
						// NaN around the matrices: a kernel that reads
						// past a row's ends must mask what it read there.
						back1 := filled(n*kd+64, nan16(dt))
						back2 := filled((n+4)*kd+64, nan16(dt))
						s2 := (shift + 7) % 32
						copy(back1[shift:], w1.U16)
						copy(back2[s2:], w2.U16)
						m1, err := NewMatrix16(n, kd, dt, back1[shift:shift+n*kd])
						if err != nil {
							t.Fatal(err)
						}
						m2, err := NewMatrix16(n+4, kd, dt, back2[s2:s2+(n+4)*kd])
						if err != nil {
							t.Fatal(err)
						}
						x := randSlice(r, rows*kd)
						want1, scale1 := refProduct(rows, n, kd, x, func(p, j int) float32 { return wide1[j*kd+p] })
						want2, scale2 := refProduct(rows, n+4, kd, x, func(p, j int) float32 { return wide2[j*kd+p] })
						dst1 := make([]float32, rows*n)
						ks.linear(nil, dst1, x, rows, m1, nil)
						checkClose(t, name, dst1, want1, scale1, kd)
						dst2 := make([]float32, rows*(n+4))
						clear(dst1)
						ks.linearMulti(nil, x, rows, []Projection{{Dst: dst1, W: m1}, {Dst: dst2, W: m2}})
						checkClose(t, name+"/multi 1", dst1, want1, scale1, kd)
						checkClose(t, name+"/multi 2", dst2, want2, scale2, kd)
					}
				}
			}
		}
	})
}

// TestGEMVStreams runs the matrix-vector products on a pool, so that the
// workers' claims split every matrix at different quads, for matrices read in
// streams (rows q + i·n/4 together) of every dtype in one LinearMulti, with
// biases, row
// counts with and without rows past the last whole quad, and up to four
// input rows. Every output must be the same, bit for bit, as the same kernel
// reading consecutive quads (the sums do not depend on which rows share a
// call), and close to a float64 reference.
func TestGEMVStreams(t *testing.T) {
	p := NewPool(3)
	defer p.Close()
	forEachKernelSet(t, func(t *testing.T, ks kernels) {
		for _, kd := range []int{16, 40, 100, 896} {
			for _, n := range []int{1, 4, 6, 7, 64, 131, 1001} {
				for _, rows := range []int{1, 2, 4} {
					name := fmt.Sprintf("%s/k=%d/n=%d/rows=%d", ks.isa, kd, n, rows)
					r := newRand(t)
					w, wide := randWeights(t, r, n, kd, BF16)
					f, wideF := randWeights(t, r, n+3, kd, F32)
					h, wideH := randWeights(t, r, n+1, kd, F16)
					bias, biasF := randSlice(r, n), randSlice(r, n+3)
					x := randSlice(r, rows*kd)
					dst := make([]float32, rows*n+1)
					dstF := make([]float32, rows*(n+3)+1)
					dstH := make([]float32, rows*(n+1)+1)
					dst[rows*n], dstF[rows*(n+3)], dstH[rows*(n+1)] = 7, 7, 7
					ks.linearMulti(p, x, rows, []Projection{{Dst: dst[:rows*n], W: w, Bias: bias}, {Dst: dstF[:rows*(n+3)], W: f, Bias: biasF}, {Dst: dstH[:rows*(n+1)], W: h}})
					checkTail(t, name, dst[rows*n:], 7)
					checkTail(t, name+"/f32", dstF[rows*(n+3):], 7)
					checkTail(t, name+"/f16", dstH[rows*(n+1):], 7)
					wantH, scaleH := refProduct(rows, n+1, kd, x, func(p, j int) float32 { return wideH[j*kd+p] })
					checkClose(t, name+"/f16", dstH[:rows*(n+1)], wantH, scaleH, kd)
					want, scale := refProduct(rows, n, kd, x, func(p, j int) float32 { return wide[j*kd+p] })
					for i := range want {
						want[i] += float64(bias[i%n])
						scale[i] += math.Abs(float64(bias[i%n]))
					}
					checkClose(t, name, dst[:rows*n], want, scale, kd)
					wantF, scaleF := refProduct(rows, n+3, kd, x, func(p, j int) float32 { return wideF[j*kd+p] })
					for i := range wantF {
						wantF[i] += float64(biasF[i%(n+3)])
						scaleF[i] += math.Abs(float64(biasF[i%(n+3)]))
					}
					checkClose(t, name+"/f32", dstF[:rows*(n+3)], wantF, scaleF, kd)
					// The same kernels over consecutive quads, one call.
					for _, c := range []struct {
						b    bSource
						dst  []float32
						bias []float32
					}{
						{bSource{trans: true, dtype: BF16, u16: w.U16, ld: kd}, dst, bias},
						{bSource{trans: true, dtype: F32, f32: f.F32, ld: kd}, dstF, biasF},
						{bSource{trans: true, dtype: F16, u16: h.U16, ld: kd}, dstH, make([]float32, n+1)},
					} {
						nc := len(c.bias)
						skip := bf16Skip(&c.b, 0)
						split := make([]float32, (skip+kd+15)&^15)
						for row := range rows {
							in := gemvX{x: x[row*kd : (row+1)*kd]}
							if ks.splitsX(c.b.dtype) {
								splitPadded(split, in.x, skip)
								in.split = split
							}
							cons := make([]float32, nc)
							ks.dotRows(cons, in, &c.b, 0)
							for j, v := range cons {
								if got, v := c.dst[row*nc+j], v+c.bias[j]; math.Float32bits(got) != math.Float32bits(v) {
									t.Fatalf("%s/%s: row %d output %d: %v in streams, %v in consecutive quads", name, c.b.dtype, row, j, got, v)
								}
							}
						}
					}
				}
			}
		}
	})
}

// nan16 is a quiet NaN in the 16-bit dtype dt.
func nan16(dt DType) uint16 {
	if dt == F16 {
		return 0x7e00
	}
	return 0x7fc0
}

// filled returns n copies of v.
func filled(n int, v uint16) []uint16 {
	s := make([]uint16, n)
	for i := range s {
		s[i] = v
	}
	return s
}

// TestBF16Skip checks that the split BF16 kernel's blocks start on a 32-byte
// boundary for every row when the row stride allows it, and at the row when
// it does not.
func TestBF16Skip(t *testing.T) {
	buf := make([]uint16, 4*4864+32)
	for shift := range 32 {
		for _, ld := range []int{16, 896, 4864, 40} {
			b := &bSource{trans: true, dtype: BF16, u16: buf[shift:], ld: ld}
			for _, row := range []int{0, 1, 3} {
				off := row * ld
				skip := bf16Skip(b, off)
				if skip < 0 || skip > 15 {
					t.Fatalf("shift %d ld %d row %d: skip %d", shift, ld, row, skip)
				}
				start := uintptr(unsafe.Pointer(&b.u16[off])) - uintptr(2*skip)
				if ld%16 == 0 && start%32 != 0 {
					t.Errorf("shift %d ld %d row %d: skip %d starts the blocks %d bytes past a 32-byte boundary", shift, ld, row, skip, start%32)
				}
				if ld%16 != 0 && skip != 0 {
					t.Errorf("shift %d ld %d row %d: skip %d, want 0 (rows at different offsets)", shift, ld, row, skip)
				}
			}
		}
	}
}

// TestLinearMulti checks that LinearMulti gives exactly Linear's results for
// each of its products, on the fused (≤ 4 rows) and the sequential path.
func TestLinearMulti(t *testing.T) {
	forEachKernelSet(t, func(t *testing.T, ks kernels) {
		for _, p := range testPools(t) {
			for _, rows := range []int{1, 3, 4, 5} {
				for _, kd := range []int{7, 64, 300} {
					r := newRand(t)
					var outs []Projection
					var wants [][]float32
					for i, spec := range []struct {
						n  int
						dt DType
					}{{37, BF16}, {4, F32}, {130, F16}, {9, BF16}} {
						w, _ := randWeights(t, r, spec.n, kd, spec.dt)
						var bias []float32
						if i%2 == 0 {
							bias = randSlice(r, spec.n)
						}
						outs = append(outs, Projection{Dst: make([]float32, rows*spec.n), W: w, Bias: bias})
						wants = append(wants, make([]float32, rows*spec.n))
					}
					x := randSlice(r, rows*kd)
					for i, o := range outs {
						ks.linear(nil, wants[i], x, rows, o.W, o.Bias)
					}
					ks.linearMulti(p, x, rows, outs)
					for i, o := range outs {
						for j := range o.Dst {
							if o.Dst[j] != wants[i][j] {
								t.Fatalf("%s/%s/rows=%d/k=%d: product %d [%d] = %v, Linear gives %v",
									ks.isa, poolName(p), rows, kd, i, j, o.Dst[j], wants[i][j])
							}
						}
					}
				}
			}
		}
	})
}

func TestLinearMultiPanics(t *testing.T) {
	a, _ := NewMatrixF32(2, 3, make([]float32, 6))
	b, _ := NewMatrixF32(2, 4, make([]float32, 8))
	cases := map[string]func(){
		"cols differ": func() {
			LinearMulti(nil, make([]float32, 4), 1, Projection{Dst: make([]float32, 2), W: a}, Projection{Dst: make([]float32, 2), W: b})
		},
		"short dst": func() { LinearMulti(nil, make([]float32, 3), 1, Projection{Dst: make([]float32, 1), W: a}) },
		"nil w":     func() { LinearMulti(nil, make([]float32, 3), 1, Projection{Dst: make([]float32, 2)}) },
	}
	for name, f := range cases {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("no panic")
				}
			}()
			f()
		})
	}
	LinearMulti(nil, nil, 1) // nothing to do: no panic
}

// TestSplitPadded checks splitPadded against its definition element by
// element, for every skip and lengths around whole blocks, with dst dirty
// beforehand (the padding must come out zero).
func TestSplitPadded(t *testing.T) {
	for skip := range 16 {
		for _, n := range []int{0, 1, 2, 7, 14, 15, 16, 17, 31, 32, 33, 47, 48, 896, 4864} {
			x := make([]float32, n)
			for i := range x {
				x[i] = float32(i + 1)
			}
			blocks := (skip + n + 15) / 16
			dst := make([]float32, blocks*16)
			for i := range dst {
				dst[i] = -1
			}
			splitPadded(dst, x, skip)
			for e := range dst {
				b, j := e&^15, e&15
				src := b + j%8*2 + j/8 // the element of x (plus skip) at split position e
				want := float32(0)
				if i := src - skip; i >= 0 && i < n {
					want = x[i]
				}
				if dst[e] != want {
					t.Fatalf("skip %d, n %d: dst[%d] = %v, want %v", skip, n, e, dst[e], want)
				}
			}
		}
	}
}

func TestSplitEvenOdd(t *testing.T) {
	src := make([]float32, 48)
	for i := range src {
		src[i] = float32(i)
	}
	dst := make([]float32, 48)
	splitEvenOdd(dst, src)
	for b := 0; b < 48; b += 16 {
		for i := range 8 {
			if dst[b+i] != float32(b+2*i) || dst[b+8+i] != float32(b+2*i+1) {
				t.Fatalf("block %d: %v", b/16, dst[b:b+16])
			}
		}
	}
}
