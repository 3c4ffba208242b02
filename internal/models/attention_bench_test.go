package models

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"

	"hfserve/internal/tensor"
)

// BenchmarkCausalDecode times one layer's decode attention (one new token per
// sequence) over cached contexts of several lengths, on GOMAXPROCS workers —
// the part of a decode step that grows with the context — in a
// Qwen2.5-0.5B-shaped layer (14 query heads sharing 2 kv heads of 64) and a
// GPT-2-shaped one (12 heads of 64, no sharing).
func BenchmarkCausalDecode(b *testing.B) {
	const hd = 64
	pool := tensor.NewPool(runtime.GOMAXPROCS(0))
	defer pool.Close()
	for _, shape := range []struct {
		name           string
		heads, kvHeads int
	}{{"qwen", 14, 2}, {"gpt2", 12, 12}} {
		heads, kvHeads := shape.heads, shape.kvHeads
		kvDim := kvHeads * hd
		for _, seqs := range []int{1, 16} {
			for _, ctx := range []int{64, 256, 1024, 4096, 16384} {
				if seqs*ctx > 1<<16 || (shape.kvHeads == shape.heads && ctx > 1024) {
					continue
				}
				b.Run(fmt.Sprintf("%s/seqs%d/ctx%d", shape.name, seqs, ctx), func(b *testing.B) {
					a := &Attention{Heads: heads, KVHeads: kvHeads, HeadDim: hd, Scale: 0.125}
					spec := &CacheSpec{Layers: 1, KVHeads: kvHeads, HeadDim: hd, MaxPositions: ctx + 1}
					r := rand.New(rand.NewPCG(1, 2))
					var batch Batch
					for range seqs {
						c, err := spec.NewCache(ctx + 1)
						if err != nil {
							b.Fatal(err)
						}
						pre := &Batch{Seqs: []SeqStep{{Tokens: make([]int32, ctx), Cache: c}}}
						st, err := spec.Prepare(pre, 1)
						if err != nil {
							b.Fatal(err)
						}
						a.store(st, 0, randSlice(r, ctx*kvDim), randSlice(r, ctx*kvDim))
						st.Commit()
						batch.Seqs = append(batch.Seqs, SeqStep{Tokens: make([]int32, 1), Cache: c})
					}
					st, err := spec.Prepare(&batch, 1)
					if err != nil {
						b.Fatal(err)
					}
					q := randSlice(r, seqs*heads*hd)
					k, v := randSlice(r, seqs*kvDim), randSlice(r, seqs*kvDim)
					out := make([]float32, seqs*heads*hd)
					for b.Loop() {
						a.Causal(pool, st, 0, out, q, k, v)
					}
					b.ReportMetric(float64(seqs*ctx*kvDim*2*4)*float64(b.N)/b.Elapsed().Seconds()/1e9, "kvGB/s")
				})
			}
		}
	}
}
