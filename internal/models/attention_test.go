package models

import (
	"math"
	"math/rand/v2"
	"testing"

	"hfserve/internal/tensor"
)

// naiveCausal is attention written straight from its definition, in
// float64: query head h of the token at position p reads kv head
// h/(heads/kvHeads) at positions (p-window, p] (all of [0, p] when window
// is 0). keys and values hold every position of the sequence, [pos][kvDim].
func naiveCausal(q, keys, values []float32, first, n, heads, kvHeads, hd, window int, scale float64) []float32 {
	out := make([]float32, n*heads*hd)
	rep := heads / kvHeads
	for i := 0; i < n; i++ {
		p := first + i
		for h := 0; h < heads; h++ {
			g := h / rep
			lo := 0
			if window > 0 {
				lo = max(0, p-window+1)
			}
			scores := make([]float64, p+1-lo)
			best := math.Inf(-1)
			for j := lo; j <= p; j++ {
				s := 0.0
				for d := 0; d < hd; d++ {
					s += float64(q[(i*heads+h)*hd+d]) * float64(keys[(j*kvHeads+g)*hd+d])
				}
				scores[j-lo] = s * scale
				best = math.Max(best, scores[j-lo])
			}
			sum := 0.0
			for j := range scores {
				scores[j] = math.Exp(scores[j] - best)
				sum += scores[j]
			}
			for d := 0; d < hd; d++ {
				acc := 0.0
				for j := lo; j <= p; j++ {
					acc += scores[j-lo] / sum * float64(values[(j*kvHeads+g)*hd+d])
				}
				out[(i*heads+h)*hd+d] = float32(acc)
			}
		}
	}
	return out
}

func randSlice(r *rand.Rand, n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = 2*r.Float32() - 1
	}
	return x
}

// TestCausalAttention runs a ragged batch through Causal, with cached
// prefixes, prompts longer than one query block, lone decode tokens (some
// with more keys than one chunk, so split and merged), a prompt whose last
// block is one token, and sliding windows, for query groups of 3, 7 and 1 heads
// per kv head, and compares every output with naiveCausal.
func TestCausalAttention(t *testing.T) {
	for _, g := range []struct{ heads, kvHeads int }{{6, 2}, {14, 2}, {3, 3}} {
		for _, window := range []int{0, 5, 300} {
			testCausalAttention(t, g.heads, g.kvHeads, window)
		}
	}
}

func testCausalAttention(t *testing.T, heads, kvHeads, window int) {
	const hd = 4
	kvDim := kvHeads * hd
	{
		a := &Attention{Heads: heads, KVHeads: kvHeads, HeadDim: hd, Scale: 0.5, Window: window}
		spec := &CacheSpec{Layers: 2, KVHeads: kvHeads, HeadDim: hd, MaxPositions: 1024}
		r := rand.New(rand.NewPCG(uint64(heads), uint64(window)))
		type seqCase struct{ cached, fresh int }
		cases := []seqCase{{3, 40}, {0, 1}, {0, 70}, {66, 1}, {600, 1}, {keyChunk - 1, 1}, {keyChunk, 1}, {300, 33}}
		var (
			batch     Batch
			allKeys   [][]float32 // per sequence, every position's keys
			allValues [][]float32
		)
		for _, sc := range cases {
			c, _ := spec.NewCache(sc.cached + sc.fresh)
			keys, values := randSlice(r, (sc.cached+sc.fresh)*kvDim), randSlice(r, (sc.cached+sc.fresh)*kvDim)
			if sc.cached > 0 {
				// Fill the prefix through the same path a previous step takes.
				pre := &Batch{Seqs: []SeqStep{{Tokens: make([]int32, sc.cached), Cache: c}}}
				st, err := spec.Prepare(pre, 1)
				if err != nil {
					t.Fatal(err)
				}
				for l := 0; l < 2; l++ {
					a.store(st, l, keys[:sc.cached*kvDim], values[:sc.cached*kvDim])
				}
				st.Commit()
			}
			allKeys, allValues = append(allKeys, keys), append(allValues, values)
			batch.Seqs = append(batch.Seqs, SeqStep{Tokens: make([]int32, sc.fresh), Cache: c})
		}
		st, err := spec.Prepare(&batch, 1)
		if err != nil {
			t.Fatal(err)
		}
		q := randSlice(r, st.Rows*heads*hd)
		k := make([]float32, 0, st.Rows*kvDim)
		v := make([]float32, 0, st.Rows*kvDim)
		for i, sc := range cases {
			k = append(k, allKeys[i][sc.cached*kvDim:]...)
			v = append(v, allValues[i][sc.cached*kvDim:]...)
		}
		pool := tensor.NewPool(3)
		for layer := 0; layer < 2; layer++ {
			out := make([]float32, st.Rows*heads*hd)
			a.Causal(pool, st, layer, out, q, k, v)
			for i, sc := range cases {
				first, end := st.SeqRows(i)
				want := naiveCausal(q[first*heads*hd:end*heads*hd], allKeys[i], allValues[i], sc.cached, sc.fresh, heads, kvHeads, hd, window, 0.5)
				for x := range want {
					if d := math.Abs(float64(out[first*heads*hd+x] - want[x])); d > 1e-5 {
						t.Fatalf("%d/%d heads, window %d, layer %d, sequence %d, value %d: got %v, want %v", heads, kvHeads, window, layer, i, x, out[first*heads*hd+x], want[x])
					}
				}
			}
		}
		pool.Close()
	}
}

// TestBidirectionalMask checks the encoder attention's mask handling
// against a direct computation: masked keys get no weight, and a sequence
// with no real token averages all its values uniformly, as Hugging Face's
// finfo.min mask makes it.
func TestBidirectionalMask(t *testing.T) {
	const heads, hd, seqLen = 2, 3, 4
	a := &Attention{Heads: heads, KVHeads: heads, HeadDim: hd, Scale: 1}
	r := rand.New(rand.NewPCG(2, 2))
	n := 2 * seqLen * heads * hd
	q, k, v := randSlice(r, n), randSlice(r, n), randSlice(r, n)
	mask := [][]int32{{1, 0, 1, 0}, {0, 0, 0, 0}}
	out := make([]float32, n)
	a.Bidirectional(nil, out, q, k, v, 2, seqLen, mask)
	dim := heads * hd
	for b := 0; b < 2; b++ {
		for i := 0; i < seqLen; i++ {
			for h := 0; h < heads; h++ {
				var w [seqLen]float64
				sum := 0.0
				for j := 0; j < seqLen; j++ {
					if mask[b][j] == 0 && b == 0 {
						continue
					}
					s := 0.0
					if b == 0 {
						for d := 0; d < hd; d++ {
							s += float64(q[(b*seqLen+i)*dim+h*hd+d]) * float64(k[(b*seqLen+j)*dim+h*hd+d])
						}
					}
					w[j] = math.Exp(s)
					sum += w[j]
				}
				for d := 0; d < hd; d++ {
					want := 0.0
					for j := 0; j < seqLen; j++ {
						want += w[j] / sum * float64(v[(b*seqLen+j)*dim+h*hd+d])
					}
					if got := out[(b*seqLen+i)*dim+h*hd+d]; math.Abs(float64(got)-want) > 1e-5 {
						t.Fatalf("batch %d token %d head %d: got %v, want %v", b, i, h, got, want)
					}
				}
			}
		}
	}
}
