package schedule

import (
	"context"
	"errors"
	"math"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"hfserve/internal/models"
	"hfserve/internal/models/auto"
	"hfserve/internal/tokenizer"
)

func tinyEncoder(t *testing.T, name string) (models.Encoder, *tokenizer.Pretrained) {
	t.Helper()
	dir := "../../testdata/models/tiny/" + name
	m, err := auto.Load(context.Background(), dir, models.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	tok, err := tokenizer.LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	return m.(models.Encoder), tok
}

// gatedEncoder holds forward passes at a gate and records batch sizes.
type gatedEncoder struct {
	models.Encoder
	mu      sync.Mutex
	gate    chan struct{}
	entered chan struct{}
	sizes   []int
}

func (g *gatedEncoder) Encode(ctx context.Context, b *models.EncoderBatch) (*models.EncoderOutput, error) {
	g.mu.Lock()
	gate := g.gate
	g.sizes = append(g.sizes, len(b.InputIDs))
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
	return g.Encoder.Encode(ctx, b)
}

func (g *gatedEncoder) batchSizes() []int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]int(nil), g.sizes...)
}

// alone runs one input through the model by itself, unpadded.
func alone(t *testing.T, enc models.Encoder, in EncoderInput) *models.EncoderOutput {
	t.Helper()
	b := &models.EncoderBatch{InputIDs: [][]int32{in.IDs}}
	if in.TypeIDs != nil {
		b.TokenTypeIDs = [][]int32{in.TypeIDs}
	}
	out, err := enc.Encode(context.Background(), b)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func maxDiff(a, b []float32) float64 {
	if len(a) != len(b) {
		return math.Inf(1)
	}
	var d float64
	for i := range a {
		d = max(d, math.Abs(float64(a[i]-b[i])))
	}
	return d
}

// TestEncoderBatchedEqualsAlone: inputs of different lengths from
// concurrent callers, padded into shared batches, give each caller what the
// model gives the input alone (within 1e-4).
func TestEncoderBatchedEqualsAlone(t *testing.T) {
	defer goleak.VerifyNone(t)
	for _, model := range []string{"bert", "bert-cls"} {
		t.Run(model, func(t *testing.T) {
			enc, tok := tinyEncoder(t, model)
			texts := []string{"hello", "a much longer sentence with quite a few more words in it", "two words", "the quick brown fox jumps over the lazy dog", "x"}
			var inputs []EncoderInput
			for _, s := range texts {
				e, err := tok.Encode(s, true)
				if err != nil {
					t.Fatal(err)
				}
				inputs = append(inputs, EncoderInput{IDs: e.IDs, TypeIDs: e.TypeIDs})
			}
			g := &gatedEncoder{Encoder: enc, gate: make(chan struct{}), entered: make(chan struct{}, 1)}
			// An hour of batch wait: the inputs behind the held pass wait
			// for it rather than start a second batch.
			b := NewEncoder(g, EncoderOptions{MaxBatchSize: 8, MaxWait: time.Hour})
			defer b.Close(context.Background())

			// Hold the first pass so the others queue up and batch.
			var wg sync.WaitGroup
			got := make([][]EncoderResult, len(inputs))
			for i := range inputs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					res, _, err := b.Run(context.Background(), inputs[i:i+1])
					if err != nil {
						t.Error(err)
					}
					got[i] = res
				}()
				if i == 0 {
					<-g.entered
				}
			}
			deadline := time.Now().Add(5 * time.Second)
			for b.Stats().Queued < len(inputs)-1 {
				if time.Now().After(deadline) {
					t.Fatalf("inputs never queued: %+v", b.Stats())
				}
				time.Sleep(time.Millisecond)
			}
			close(g.gate)
			wg.Wait()
			sizes := g.batchSizes()
			if len(sizes) != 2 || sizes[0] != 1 || sizes[1] != 4 {
				t.Fatalf("batch sizes %v, want [1 4] (one alone, then the four that queued)", sizes)
			}
			for i, in := range inputs {
				want := alone(t, enc, in)
				r := got[i][0]
				if d := maxDiff(r.Hidden, want.Hidden); d > 1e-4 {
					t.Errorf("input %d hidden differs by %g", i, d)
				}
				if d := maxDiff(r.Pooler, want.Pooler); want.Pooler != nil && d > 1e-4 {
					t.Errorf("input %d pooler differs by %g", i, d)
				}
				if d := maxDiff(r.Logits, want.Logits); want.Logits != nil && d > 1e-4 {
					t.Errorf("input %d logits differ by %g", i, d)
				}
			}
		})
	}
}

// TestEncoderIdleRequestDoesNotWait: with an hour of batch wait, a request
// that finds the model idle still runs at once.
func TestEncoderIdleRequestDoesNotWait(t *testing.T) {
	defer goleak.VerifyNone(t)
	enc, tok := tinyEncoder(t, "bert")
	b := NewEncoder(enc, EncoderOptions{MaxWait: time.Hour})
	defer b.Close(context.Background())
	e, _ := tok.Encode("hello world", true)
	done := make(chan error, 1)
	go func() {
		_, _, err := b.Run(context.Background(), []EncoderInput{{IDs: e.IDs}})
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("a lone request waited for company")
	}
}

// TestEncoderBadInputFailsOnlyItsCaller, cancellation before start, and
// the queue bound.
func TestEncoderIsolationAndBounds(t *testing.T) {
	defer goleak.VerifyNone(t)
	enc, tok := tinyEncoder(t, "bert")
	e, _ := tok.Encode("hello world", true)
	good := []EncoderInput{{IDs: e.IDs}}
	g := &gatedEncoder{Encoder: enc, gate: make(chan struct{}), entered: make(chan struct{}, 1)}
	b := NewEncoder(g, EncoderOptions{MaxQueue: 2, MaxWait: time.Hour})
	defer b.Close(context.Background())

	if _, _, err := b.Run(context.Background(), []EncoderInput{{IDs: []int32{1, 1 << 30}}}); !errors.Is(err, models.ErrBadInput) {
		t.Fatalf("out-of-vocabulary id: %v, want ErrBadInput", err)
	}
	if _, _, err := b.Run(context.Background(), nil); !errors.Is(err, models.ErrBadInput) {
		t.Fatalf("no inputs: %v", err)
	}
	first := make(chan error, 1)
	go func() { _, _, err := b.Run(context.Background(), good); first <- err }()
	<-g.entered
	// Two inputs fill the queue; a cancelled caller's inputs never run.
	ctx, cancel := context.WithCancel(context.Background())
	cancelled := make(chan error, 1)
	go func() { _, _, err := b.Run(ctx, []EncoderInput{good[0], good[0]}); cancelled <- err }()
	deadline := time.Now().Add(5 * time.Second)
	for b.Stats().Queued != 2 {
		if time.Now().After(deadline) {
			t.Fatalf("never queued: %+v", b.Stats())
		}
		time.Sleep(time.Millisecond)
	}
	if _, _, err := b.Run(context.Background(), good); !errors.Is(err, ErrQueueFull) {
		t.Fatalf("over the queue bound: %v, want ErrQueueFull", err)
	}
	cancel()
	if err := <-cancelled; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled caller: %v", err)
	}
	close(g.gate)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	if _, _, err := b.Run(context.Background(), good); err != nil {
		t.Fatal(err)
	}
	if sizes := g.batchSizes(); len(sizes) != 2 || sizes[1] != 1 {
		t.Fatalf("batch sizes %v: the cancelled inputs ran", sizes)
	}
}

func TestEncoderCloseWithWorkInFlight(t *testing.T) {
	defer goleak.VerifyNone(t)
	enc, tok := tinyEncoder(t, "bert")
	e, _ := tok.Encode("hello world", true)
	g := &gatedEncoder{Encoder: enc, gate: make(chan struct{}), entered: make(chan struct{}, 1)}
	b := NewEncoder(g, EncoderOptions{MaxWait: time.Hour})
	results := make(chan error, 2)
	go func() { _, _, err := b.Run(context.Background(), []EncoderInput{{IDs: e.IDs}}); results <- err }()
	<-g.entered
	go func() { _, _, err := b.Run(context.Background(), []EncoderInput{{IDs: e.IDs}}); results <- err }()
	deadline := time.Now().Add(5 * time.Second)
	for b.Stats().Queued != 1 {
		if time.Now().After(deadline) {
			t.Fatalf("never queued: %+v", b.Stats())
		}
		time.Sleep(time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := b.Close(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Close = %v", err)
	}
	for range 2 {
		if err := <-results; !errors.Is(err, ErrClosed) {
			t.Fatalf("after Close: %v, want ErrClosed", err)
		}
	}
}

// TestEncoderBatchWaitBoundsQueueing: behind a pass that does not end, an
// input waits max_batch_wait and then runs in a second batch beside it.
func TestEncoderBatchWaitBoundsQueueing(t *testing.T) {
	defer goleak.VerifyNone(t)
	enc, tok := tinyEncoder(t, "bert")
	e, _ := tok.Encode("hello world", true)
	in := []EncoderInput{{IDs: e.IDs}}
	g := &gatedEncoder{Encoder: enc, gate: make(chan struct{}), entered: make(chan struct{}, 1)}
	b := NewEncoder(g, EncoderOptions{MaxWait: 20 * time.Millisecond})
	defer b.Close(context.Background())
	first := make(chan error, 1)
	go func() { _, _, err := b.Run(context.Background(), in); first <- err }()
	<-g.entered
	// The gate holds every pass, the second too: let the second through
	// by closing it only after it started, and check it started while the
	// first was still held.
	second := make(chan error, 1)
	start := time.Now()
	go func() { _, _, err := b.Run(context.Background(), in); second <- err }()
	deadline := time.Now().Add(10 * time.Second)
	for len(g.batchSizes()) < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("no second batch started behind the held one: %+v", b.Stats())
		}
		time.Sleep(time.Millisecond)
	}
	if waited := time.Since(start); waited < 20*time.Millisecond {
		t.Fatalf("second batch started after %s, before the 20ms batch wait", waited)
	}
	if st := b.Stats(); st.Running != 2 {
		t.Fatalf("stats %+v, want two batches running", st)
	}
	close(g.gate)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	if err := <-second; err != nil {
		t.Fatal(err)
	}
}
