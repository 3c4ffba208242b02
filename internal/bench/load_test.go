package bench

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"hfserve/internal/models"
	"hfserve/internal/models/auto"
)

// BenchmarkLoad times a decoder's start in a fresh state: auto.Load of the
// folder (s/load) and, from the same start, the first forward pass of a
// DecodeWarmTokens-token prompt up to its logits (s/ttft: time to first
// token; the pass pages in every mapped weight). s/read is the time to read
// the weight files once, sequentially, measured just before in the same page
// cache state. The sub-benchmark is "warm" (files in the page cache, as for a
// model loaded again) or, with HFSERVE_BENCH_COLD=1, "cold" (the files are
// evicted from the page cache before each read and each load, as after a
// reboot).
func BenchmarkLoad(b *testing.B) {
	pool := newPool(b)
	cold := os.Getenv("HFSERVE_BENCH_COLD") == "1"
	state := "warm"
	if cold {
		state = "cold"
	}
	for _, dir := range envList(b, "HFSERVE_BENCH_DECODERS", filepath.Join("..", "..", "testdata", "models", "tiny", "qwen2")) {
		b.Run(filepath.Base(dir)+"/"+state, func(b *testing.B) {
			files, err := filepath.Glob(filepath.Join(dir, "*.safetensors"))
			if err != nil || len(files) == 0 {
				b.Skipf("%s: no safetensors files", dir)
			}
			evict := func() {
				if !cold {
					return
				}
				for _, f := range files {
					if err := EvictFile(f); err != nil {
						b.Fatal(err)
					}
				}
			}
			var read, load, first time.Duration
			n := 0
			for b.Loop() {
				evict()
				d, err := ReadFiles(files)
				if err != nil {
					b.Fatal(err)
				}
				read += d
				evict()
				start := time.Now()
				m, err := auto.Load(context.Background(), dir, models.LoadOptions{Pool: pool})
				if err != nil {
					b.Fatal(err)
				}
				load += time.Since(start)
				dec, ok := m.(models.Decoder)
				if !ok {
					b.Fatalf("%s is not a decoder", dir)
				}
				c, err := dec.NewCache(DecodeWarmTokens)
				if err != nil {
					b.Fatal(err)
				}
				prompt := Prompt(0, DecodeWarmTokens, m.Info().VocabSize)
				if _, err := dec.Forward(context.Background(), &models.Batch{Seqs: []models.SeqStep{{Tokens: prompt, Cache: c}}}); err != nil {
					b.Fatal(err)
				}
				first += time.Since(start)
				if err := m.Close(); err != nil {
					b.Fatal(err)
				}
				n++
			}
			b.ReportMetric(read.Seconds()/float64(n), "s/read")
			b.ReportMetric(load.Seconds()/float64(n), "s/load")
			b.ReportMetric(first.Seconds()/float64(n), "s/ttft")
		})
	}
}
