package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"

	"hfserve/internal/models"
	"hfserve/internal/models/auto"
	"hfserve/internal/tensor"
)

// The benchmarks read their models and settings from the environment so
// that tools/peers/run.sh can point them at the random-weight checkpoints
// it writes with tools/randmodel; without it they run the tiny fixtures.
//
//	HFSERVE_BENCH_DECODERS  comma-separated decoder folders
//	HFSERVE_BENCH_ENCODERS  comma-separated encoder folders
//	HFSERVE_BENCH_THREADS   pool workers (default GOMAXPROCS)
//	HFSERVE_BENCH_SEQS      comma-separated decode batch sizes (default 1)
//	HFSERVE_BENCH_BW_MB     bandwidth buffer size in MiB (default 512)
//
// Metrics: tok/s or sent/s (the workload's rate), weightMB (the weights'
// size as stored), rssMB (the process's resident memory after the timed
// runs, garbage returned to the OS first), hugeMB (how much of the mapped
// files is in 2 MiB pages: see HugeFileBytes) and, for decode, bwGB/s (the
// peak read bandwidth measured just before and after the timed loop; the
// decode bandwidth bound is bwGB/s*1000/weightMB tokens per second).
func envList(b *testing.B, key, def string) []string {
	v := os.Getenv(key)
	if v == "" {
		v = def
	}
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func envInt(b *testing.B, key string, def int) int {
	v := os.Getenv(key)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		b.Fatalf("%s=%q: want a positive integer", key, v)
	}
	return n
}

// newPool is the pool every engine benchmark runs on.
func newPool(b *testing.B) *tensor.Pool {
	p := tensor.NewPool(envInt(b, "HFSERVE_BENCH_THREADS", 0))
	b.Cleanup(p.Close)
	return p
}

// load loads dir and reports how long it took and the weights' size.
func load(b *testing.B, pool *tensor.Pool, dir string) models.Model {
	start := time.Now()
	m, err := auto.Load(context.Background(), dir, models.LoadOptions{Pool: pool})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = m.Close() })
	b.Logf("%s: loaded in %v, %s weights, %.1f MB, %s kernels, %d threads", dir, time.Since(start), m.Info().WeightsDType,
		float64(m.Info().WeightBytes)/1e6, tensor.KernelSet(), pool.Workers())
	return m
}

// reportModel adds the metrics every model benchmark carries: the size of
// the weights (for the bandwidth bound) and the resident memory after the
// timed passes (for the memory ratio). It must run after b.Loop, which
// clears metrics reported before it.
func reportModel(b *testing.B, m models.Model) {
	b.ReportMetric(float64(m.Info().WeightBytes)/1e6, "weightMB")
	debug.FreeOSMemory() // drop the bandwidth buffers and other garbage first
	if rss, err := ResidentBytes(); err == nil {
		b.ReportMetric(float64(rss)/1e6, "rssMB")
	}
	if huge, err := HugeFileBytes(); err == nil {
		b.ReportMetric(float64(huge)/1e6, "hugeMB")
	}
}

func decoder(b *testing.B, pool *tensor.Pool, dir string) models.Decoder {
	d, ok := load(b, pool, dir).(models.Decoder)
	if !ok {
		b.Fatalf("%s is not a decoder", dir)
	}
	return d
}

// BenchmarkReadBandwidth measures the memory read bandwidth with the
// engine's pool, in GB/s (the mean over iterations; the decode benchmark
// reports its own peak measured around its timed loop).
func BenchmarkReadBandwidth(b *testing.B) {
	pool := newPool(b)
	buf := make([]float32, envInt(b, "HFSERVE_BENCH_BW_MB", 512)<<20/4)
	for i := range buf {
		buf[i] = 1 // touch every page before timing
	}
	var total, sink float64
	n := 0
	for b.Loop() {
		bw, s := ReadBandwidth(pool, buf)
		total += bw
		sink += s
		n++
	}
	b.ReportMetric(total/float64(n)/1e9, "GB/s")
	if sink == 1 {
		b.Log(sink)
	}
}

// BenchmarkPrefill times one PrefillTokens-token prompt per iteration.
func BenchmarkPrefill(b *testing.B) {
	pool := newPool(b)
	for _, dir := range envList(b, "HFSERVE_BENCH_DECODERS", filepath.Join("..", "..", "testdata", "models", "tiny", "qwen2")) {
		b.Run(filepath.Base(dir), func(b *testing.B) {
			m := decoder(b, pool, dir)
			n := min(PrefillTokens, m.Info().MaxPositions)
			prompt := Prompt(0, n, m.Info().VocabSize)
			c, err := m.NewCache(n)
			if err != nil {
				b.Fatal(err)
			}
			// Warm-up: a short prompt faults in the mapped weights (a full
			// one would double the cost of a one-iteration run).
			warm := &models.Batch{Seqs: []models.SeqStep{{Tokens: prompt[:min(n, DecodeWarmTokens)], Cache: c}}}
			if _, err := m.Forward(context.Background(), warm); err != nil {
				b.Fatal(err)
			}
			batch := &models.Batch{Seqs: []models.SeqStep{{Tokens: prompt, Cache: c}}}
			iters := 0
			for b.Loop() {
				c.Reset()
				if _, err := m.Forward(context.Background(), batch); err != nil {
					b.Fatal(err)
				}
				iters++
			}
			b.ReportMetric(float64(n*iters)/b.Elapsed().Seconds(), "tok/s")
			reportModel(b, m)
		})
	}
}

// BenchmarkDecode times DecodeSteps decode steps of S sequences per
// iteration, after a DecodeWarmTokens-token prompt each.
func BenchmarkDecode(b *testing.B) {
	pool := newPool(b)
	seqs := envList(b, "HFSERVE_BENCH_SEQS", "1")
	for _, dir := range envList(b, "HFSERVE_BENCH_DECODERS", filepath.Join("..", "..", "testdata", "models", "tiny", "qwen2")) {
		m := decoder(b, pool, dir)
		vocab := m.Info().VocabSize
		for _, s := range seqs {
			n, err := strconv.Atoi(s)
			if err != nil || n < 1 {
				b.Fatalf("HFSERVE_BENCH_SEQS: bad batch size %q", s)
			}
			b.Run(fmt.Sprintf("%s/batch%d", filepath.Base(dir), n), func(b *testing.B) {
				batch := &models.Batch{Seqs: make([]models.SeqStep, n)}
				for i := range batch.Seqs {
					c, err := m.NewCache(DecodeWarmTokens + DecodeSteps)
					if err != nil {
						b.Fatal(err)
					}
					batch.Seqs[i] = models.SeqStep{Tokens: Prompt(0, DecodeWarmTokens, vocab), Cache: c}
				}
				if _, err := m.Forward(context.Background(), batch); err != nil {
					b.Fatal(err)
				}
				steps := func() {
					for step := range DecodeSteps {
						for i := range batch.Seqs {
							batch.Seqs[i].Tokens = []int32{PromptToken(DecodeWarmTokens+step+i, vocab)}
						}
						// As the scheduler does: each step's logits
						// go where the last step's were.
						out, err := m.Forward(context.Background(), batch)
						if err != nil {
							b.Fatal(err)
						}
						batch.Out = out
					}
					for i := range batch.Seqs {
						if err := batch.Seqs[i].Cache.Truncate(DecodeWarmTokens); err != nil {
							b.Fatal(err)
						}
					}
				}
				steps() // warm-up
				// The bandwidth limit is measured right before and after
				// the timed loop, so that it sees the same machine load.
				mib := envInt(b, "HFSERVE_BENCH_BW_MB", 512)
				bw := PeakReadBandwidth(pool, mib, 3)
				iters := 0
				for b.Loop() {
					steps()
					iters++
				}
				b.ReportMetric(float64(n*DecodeSteps*iters)/b.Elapsed().Seconds(), "tok/s")
				b.ReportMetric(max(bw, PeakReadBandwidth(pool, mib, 3))/1e9, "bwGB/s")
				reportModel(b, m)
			})
		}
	}
}

// BenchmarkEncode times one batch of EncodeBatch sentences of different
// lengths per iteration, padded to the longest: as the server runs it, with
// the padded positions skipped (sub-benchmark <model>), and computing them
// too (<model>/padded), as engines without unpadding do.
func BenchmarkEncode(b *testing.B) {
	pool := newPool(b)
	for _, dir := range envList(b, "HFSERVE_BENCH_ENCODERS", filepath.Join("..", "..", "testdata", "models", "tiny", "bert")) {
		m, ok := load(b, pool, dir).(models.Encoder)
		if !ok {
			b.Fatalf("%s is not an encoder", dir)
		}
		// Three variants: the batch as served (padded positions skipped),
		// the batch with every position computed (as ONNX Runtime does), and
		// the batch's first sentence alone (one request's latency).
		for _, variant := range []string{"unpadded", "padded", "lone"} {
			b.Run(filepath.Base(dir)+"/"+variant, func(b *testing.B) {
				ids, mask := EncodeInputs(m.Info().VocabSize)
				if variant == "lone" {
					n := 0
					for n < len(mask[0]) && mask[0][n] == 1 {
						n++
					}
					ids, mask = [][]int32{ids[0][:n]}, [][]int32{mask[0][:n]}
				}
				batch := &models.EncoderBatch{InputIDs: ids, AttentionMask: mask, SkipPadding: variant != "padded"}
				if _, err := m.Encode(context.Background(), batch); err != nil {
					b.Fatal(err)
				}
				iters := 0
				for b.Loop() {
					if _, err := m.Encode(context.Background(), batch); err != nil {
						b.Fatal(err)
					}
					iters++
				}
				b.ReportMetric(float64(len(ids)*iters)/b.Elapsed().Seconds(), "sent/s")
				reportModel(b, m)
			})
		}
	}
}
