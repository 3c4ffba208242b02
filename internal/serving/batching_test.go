package serving

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"

	"hfserve/internal/generate"
	"hfserve/internal/skills"
)

// TestBatchingOnAndOffAgree runs the same concurrent generations and
// embeddings with batching on and off: every request gets the same answer,
// and with batching on the scheduler really shared steps.
func TestBatchingOnAndOffAgree(t *testing.T) {
	type outcome struct {
		gen [][]int32
		emb [][]float32
	}
	run := func(t *testing.T, b Batching) (outcome, *Service) {
		svc := newBatchingService(t, b, storiesModel(t), tinyModel(t, "bert"))
		const n = 8
		out := outcome{gen: make([][]int32, n), emb: make([][]float32, n)}
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(2)
			go func() {
				defer wg.Done()
				seed := uint64(i)
				res, err := svc.Generate(context.Background(), GenerateRequest{
					Model: "stories", Task: skills.TaskTextGeneration, PromptLogprobs: -1,
					Prompt: Prompt{Text: fmt.Sprintf("Once upon a time there were %d cats", i)},
					Params: generate.Params{MaxTokens: 24, Sampling: generate.SamplingParams{Temperature: 0.9, Seed: &seed}},
				}, nil)
				if err != nil {
					t.Error(err)
					return
				}
				for _, tok := range res.Choices[0].Tokens {
					out.gen[i] = append(out.gen[i], tok.ID)
				}
			}()
			go func() {
				defer wg.Done()
				res, err := svc.Embed(context.Background(), EmbedRequest{Model: "bert", Inputs: []Input{{Text: fmt.Sprintf("sentence %d of the test", i)}}})
				if err != nil {
					t.Error(err)
					return
				}
				out.emb[i] = res.Vectors[0]
			}()
		}
		wg.Wait()
		return out, svc
	}
	on, svc := run(t, Batching{Enabled: true})
	off, _ := run(t, Batching{Enabled: false})
	for i := range on.gen {
		if !slices.Equal(on.gen[i], off.gen[i]) {
			t.Errorf("generation %d: batched %v, alone %v", i, on.gen[i], off.gen[i])
		}
		if d := maxAbsDiff(on.emb[i], off.emb[i]); d > 1e-4 {
			t.Errorf("embedding %d differs by %g", i, d)
		}
	}
	lease, err := svc.Manager().Acquire(context.Background(), "stories")
	if err != nil {
		t.Fatal(err)
	}
	defer lease.Release()
	rt, err := lease.Runtime()
	if err != nil {
		t.Fatal(err)
	}
	dec, _ := rt.SchedulerStats()
	if dec == nil || dec.Steps == 0 || dec.StepSeqs <= dec.Steps {
		t.Fatalf("decoder scheduler stats %+v: no step ran more than one sequence", dec)
	}
}

func maxAbsDiff(a, b []float32) float64 {
	if len(a) != len(b) {
		return 1e9
	}
	var d float64
	for i := range a {
		x := float64(a[i] - b[i])
		if x < 0 {
			x = -x
		}
		d = max(d, x)
	}
	return d
}
