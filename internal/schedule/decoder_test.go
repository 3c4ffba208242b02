package schedule

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"hfserve/internal/builtin"
	"hfserve/internal/generate"
	"hfserve/internal/models"
	"hfserve/internal/models/auto"
	"hfserve/internal/tokenizer"
)

// storiesModel loads the real stories260K model and its tokenizer.
func storiesModel(t *testing.T) (models.Decoder, *tokenizer.Pretrained) {
	t.Helper()
	dir, err := builtin.Materialize(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	m, err := auto.Load(context.Background(), dir, models.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	tok, err := tokenizer.LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	return m.(models.Decoder), tok
}

// gatedDecoder wraps a real decoder so a test can hold its forward passes.
type gatedDecoder struct {
	models.Decoder
	mu      sync.Mutex
	gate    chan struct{}
	entered chan struct{} // receives once per Forward that reached the gate
	batches []int         // sequences per step
}

func (g *gatedDecoder) Forward(ctx context.Context, b *models.Batch) ([]float32, error) {
	g.mu.Lock()
	gate := g.gate
	g.batches = append(g.batches, len(b.Seqs))
	g.mu.Unlock()
	if gate != nil {
		select {
		case g.entered <- struct{}{}:
		default:
		}
		select {
		case <-gate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return g.Decoder.Forward(ctx, b)
}

func (g *gatedDecoder) maxBatch() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return slices.Max(append([]int{0}, g.batches...))
}

func encode(t *testing.T, tok *tokenizer.Pretrained, text string) []int32 {
	t.Helper()
	enc, err := tok.Encode(text, true)
	if err != nil {
		t.Fatal(err)
	}
	return enc.IDs
}

func newSeq(t *testing.T, dec models.Decoder, tok *tokenizer.Pretrained, prompt []int32, p generate.Params) *generate.Sequence {
	t.Helper()
	seq, err := generate.NewSequence(generate.SpecOf(dec.Info()), prompt, p, tok)
	if err != nil {
		t.Fatal(err)
	}
	return seq
}

func ids(toks []generate.Token) []int32 {
	out := make([]int32, len(toks))
	for i, tk := range toks {
		out[i] = tk.ID
	}
	return out
}

// TestBatchedEqualsAlone runs prompts of different lengths concurrently,
// greedy and seeded, with a step budget small enough to chunk the prompts,
// and checks every sequence gets exactly what it gets alone.
func TestBatchedEqualsAlone(t *testing.T) {
	defer goleak.VerifyNone(t)
	dec, tok := storiesModel(t)
	prompts := []string{"Once upon a time", "Lily and Tom went to the park. They saw a big dog and", "The sun", "One day, a little girl named Sue found a shiny red ball in the garden behind her house."}
	seed := uint64(7)
	params := []generate.Params{
		{MaxTokens: 30},
		{MaxTokens: 25, Sampling: generate.SamplingParams{Temperature: 0.8, TopP: 0.9, Seed: &seed}},
		{MaxTokens: 40, StopStrings: []string{"."}},
		{MaxTokens: 20, Sampling: generate.SamplingParams{Temperature: 1.1, TopK: 20, Seed: &seed}},
	}
	want := make([]generate.Result, len(prompts))
	for i, p := range prompts {
		res, err := generate.Generate(context.Background(), dec, encode(t, tok, p), params[i], tok, nil)
		if err != nil {
			t.Fatal(err)
		}
		want[i] = res
	}
	for _, opts := range []DecoderOptions{{}, {MaxSeqs: 2, MaxStepTokens: 5}} {
		t.Run(fmt.Sprintf("seqs%d_tokens%d", opts.MaxSeqs, opts.MaxStepTokens), func(t *testing.T) {
			g := &gatedDecoder{Decoder: dec}
			s := NewDecoder(g, opts)
			defer s.Close(context.Background())
			var wg sync.WaitGroup
			got := make([]generate.Result, len(prompts))
			texts := make([]string, len(prompts))
			for i, p := range prompts {
				wg.Add(1)
				go func() {
					defer wg.Done()
					seq := newSeq(t, dec, tok, encode(t, tok, p), params[i])
					res, _, err := s.Run(context.Background(), seq, func(tk generate.Token) error { texts[i] += tk.Text; return nil })
					if err != nil {
						t.Error(err)
					}
					got[i] = res
				}()
			}
			wg.Wait()
			for i := range prompts {
				if !slices.Equal(ids(got[i].Tokens), ids(want[i].Tokens)) || got[i].Text != want[i].Text || got[i].Finish != want[i].Finish {
					t.Errorf("prompt %d batched: %v %q %v; alone: %v %q %v", i, ids(got[i].Tokens), got[i].Text, got[i].Finish,
						ids(want[i].Tokens), want[i].Text, want[i].Finish)
				}
				if texts[i] != got[i].Text {
					t.Errorf("prompt %d: streamed %q, result %q", i, texts[i], got[i].Text)
				}
			}
			if g.maxBatch() < 2 {
				t.Errorf("no step ran more than one sequence (max %d): nothing was batched", g.maxBatch())
			}
			st := s.Stats()
			if st.Active != 0 || st.Queued != 0 || st.KVBytesReserved != 0 || st.Steps == 0 {
				t.Errorf("stats after the run: %+v", st)
			}
		})
	}
}

// TestCancelledCallerLeavesBatch cancels one caller mid-generation: it
// returns promptly with its context's error, and the others are unaffected.
func TestCancelledCallerLeavesBatch(t *testing.T) {
	defer goleak.VerifyNone(t)
	dec, tok := storiesModel(t)
	s := NewDecoder(dec, DecoderOptions{})
	defer s.Close(context.Background())
	prompt := encode(t, tok, "Once upon a time")
	alone, err := generate.Generate(context.Background(), dec, prompt, generate.Params{MaxTokens: 60, IgnoreEOS: true}, tok, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var cancelled error
	var cancelledTokens int
	wg.Add(2)
	go func() {
		defer wg.Done()
		seq := newSeq(t, dec, tok, prompt, generate.Params{MaxTokens: 400, IgnoreEOS: true})
		res, _, err := s.Run(ctx, seq, func(generate.Token) error {
			cancel() // after the first token
			return nil
		})
		cancelled, cancelledTokens = err, len(res.Tokens)
	}()
	var other generate.Result
	go func() {
		defer wg.Done()
		seq := newSeq(t, dec, tok, prompt, generate.Params{MaxTokens: 60, IgnoreEOS: true})
		var err error
		other, _, err = s.Run(context.Background(), seq, nil)
		if err != nil {
			t.Error(err)
		}
	}()
	wg.Wait()
	if !errors.Is(cancelled, context.Canceled) || cancelledTokens == 0 || cancelledTokens >= 400 {
		t.Fatalf("cancelled run: err %v after %d tokens", cancelled, cancelledTokens)
	}
	if !slices.Equal(ids(other.Tokens), ids(alone.Tokens)) {
		t.Fatalf("the other sequence changed: %v, alone %v", ids(other.Tokens), ids(alone.Tokens))
	}
	// The abandoned sequence's cache is released at the next step.
	deadline := time.Now().Add(5 * time.Second)
	for s.Stats().Active != 0 || s.Stats().KVBytesReserved != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("stats never drained: %+v", s.Stats())
		}
		time.Sleep(time.Millisecond)
	}
}

// TestEmitErrorStopsSequence: a client gone (emit fails) ends its run.
func TestEmitErrorStopsSequence(t *testing.T) {
	defer goleak.VerifyNone(t)
	dec, tok := storiesModel(t)
	s := NewDecoder(dec, DecoderOptions{})
	defer s.Close(context.Background())
	gone := errors.New("client gone")
	seq := newSeq(t, dec, tok, encode(t, tok, "Once upon a time"), generate.Params{MaxTokens: 300, IgnoreEOS: true})
	n := 0
	res, _, err := s.Run(context.Background(), seq, func(generate.Token) error {
		n++
		if n == 3 {
			return gone
		}
		return nil
	})
	if !errors.Is(err, gone) || len(res.Tokens) != 3 {
		t.Fatalf("err %v with %d tokens, want %v after 3", err, len(res.Tokens), gone)
	}
}

// TestQueueBoundAndKVBudget: with room for one running sequence (by KV
// budget) and one waiting, a third is refused with ErrQueueFull; the two
// accepted finish; one that could never fit is ErrTooLarge.
func TestQueueBoundAndKVBudget(t *testing.T) {
	defer goleak.VerifyNone(t)
	dec, tok := storiesModel(t)
	prompt := encode(t, tok, "Once upon a time")
	g := &gatedDecoder{Decoder: dec, gate: make(chan struct{}), entered: make(chan struct{}, 1)}
	perSeq := int64(len(prompt)+20) * dec.Info().KVBytesPerToken
	s := NewDecoder(g, DecoderOptions{MaxQueue: 1, MaxKVBytes: perSeq})
	defer s.Close(context.Background())

	results := make(chan error, 2)
	run := func() {
		seq := newSeq(t, dec, tok, prompt, generate.Params{MaxTokens: 20})
		_, _, err := s.Run(context.Background(), seq, nil)
		results <- err
	}
	go run()
	<-g.entered // the first is in a step
	go run()
	deadline := time.Now().Add(5 * time.Second)
	for s.Stats().Queued != 1 {
		if time.Now().After(deadline) {
			t.Fatalf("second sequence never queued: %+v", s.Stats())
		}
		time.Sleep(time.Millisecond)
	}
	if st := s.Stats(); st.Active != 1 {
		t.Fatalf("the KV budget fits one sequence, %d active", st.Active)
	}
	seq := newSeq(t, dec, tok, prompt, generate.Params{MaxTokens: 20})
	if _, _, err := s.Run(context.Background(), seq, nil); !errors.Is(err, ErrQueueFull) {
		t.Fatalf("third sequence: %v, want ErrQueueFull", err)
	}
	big := newSeq(t, dec, tok, prompt, generate.Params{MaxTokens: 200})
	if _, _, err := s.Run(context.Background(), big, nil); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("oversized sequence: %v, want ErrTooLarge", err)
	}
	close(g.gate)
	for range 2 {
		if err := <-results; err != nil {
			t.Fatal(err)
		}
	}
	if g.maxBatch() != 1 {
		t.Fatalf("a step ran %d sequences under a one-sequence KV budget", g.maxBatch())
	}
}

// TestCloseWithWorkInFlight: Close fails queued work, cancels running work
// once its context ends, and leaves no goroutine behind.
func TestCloseWithWorkInFlight(t *testing.T) {
	defer goleak.VerifyNone(t)
	dec, tok := storiesModel(t)
	prompt := encode(t, tok, "Once upon a time")
	g := &gatedDecoder{Decoder: dec, gate: make(chan struct{}), entered: make(chan struct{}, 1)}
	s := NewDecoder(g, DecoderOptions{MaxSeqs: 1})
	results := make(chan error, 2)
	for range 2 {
		go func() {
			seq := newSeq(t, dec, tok, prompt, generate.Params{MaxTokens: 20})
			_, _, err := s.Run(context.Background(), seq, nil)
			results <- err
		}()
	}
	<-g.entered
	deadline := time.Now().Add(5 * time.Second)
	for s.Stats().Queued != 1 {
		if time.Now().After(deadline) {
			t.Fatalf("second sequence never queued: %+v", s.Stats())
		}
		time.Sleep(time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := s.Close(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Close = %v, want the deadline (a step was held)", err)
	}
	for range 2 {
		if err := <-results; !errors.Is(err, ErrClosed) {
			t.Fatalf("run after Close: %v, want ErrClosed", err)
		}
	}
	seq := newSeq(t, dec, tok, prompt, generate.Params{MaxTokens: 5})
	if _, _, err := s.Run(context.Background(), seq, nil); !errors.Is(err, ErrClosed) {
		t.Fatalf("Run on a closed scheduler: %v", err)
	}
}

// panickyDecoder panics in every forward pass once armed.
type panickyDecoder struct {
	models.Decoder
	armed bool
}

func (p *panickyDecoder) Forward(ctx context.Context, b *models.Batch) ([]float32, error) {
	if p.armed {
		panic("kernel bug")
	}
	return p.Decoder.Forward(ctx, b)
}

// TestPanicFailsTheStepNotTheProcess: a panic in a forward pass fails the
// step's sequences with ErrPanic, and the scheduler keeps serving.
func TestPanicFailsTheStepNotTheProcess(t *testing.T) {
	defer goleak.VerifyNone(t)
	dec, tok := storiesModel(t)
	p := &panickyDecoder{Decoder: dec, armed: true}
	s := NewDecoder(p, DecoderOptions{})
	defer s.Close(context.Background())
	prompt := encode(t, tok, "Once upon a time")
	if _, _, err := s.Run(context.Background(), newSeq(t, dec, tok, prompt, generate.Params{MaxTokens: 5}), nil); !errors.Is(err, ErrPanic) {
		t.Fatalf("err = %v, want ErrPanic", err)
	}
	p.armed = false // read by the loop goroutine only after the next Run is queued
	if _, _, err := s.Run(context.Background(), newSeq(t, dec, tok, prompt, generate.Params{MaxTokens: 5}), nil); err != nil {
		t.Fatalf("after a panic: %v", err)
	}
}
