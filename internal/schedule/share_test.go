package schedule

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"hfserve/internal/generate"
	"hfserve/internal/models"
	"hfserve/internal/tokenizer"
)

// waitQueued waits until s has n sequences queued.
func waitQueued(t *testing.T, s *Decoder, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for s.Stats().Queued != n {
		if time.Now().After(deadline) {
			t.Fatalf("queued %d, want %d", s.Stats().Queued, n)
		}
		time.Sleep(time.Millisecond)
	}
}

// sharedChoices is four choices of one prompt: greedy and three seeds.
func sharedChoices() []generate.Params {
	params := []generate.Params{{MaxTokens: 20}}
	for _, seed := range []uint64{1, 2, 3} {
		params = append(params, generate.Params{MaxTokens: 20, Sampling: generate.SamplingParams{Temperature: 0.9, TopP: 0.95, Seed: &seed}})
	}
	return params
}

// eachAlone generates each choice by itself, without the scheduler.
func eachAlone(t *testing.T, dec models.Decoder, tok *tokenizer.Pretrained, prompt []int32, params []generate.Params) []generate.Result {
	t.Helper()
	want := make([]generate.Result, len(params))
	for i, p := range params {
		res, err := generate.Generate(context.Background(), dec, prompt, p, tok, nil)
		if err != nil {
			t.Fatal(err)
		}
		want[i] = res
	}
	return want
}

// choiceRuns runs choices of one prompt on a scheduler, each in its own
// goroutine, keeping each result by its index.
type choiceRuns struct {
	t      *testing.T
	s      *Decoder
	dec    models.Decoder
	tok    *tokenizer.Pretrained
	prompt []int32
	params []generate.Params
	got    []generate.Result
	wg     sync.WaitGroup
}

func newChoiceRuns(t *testing.T, s *Decoder, dec models.Decoder, tok *tokenizer.Pretrained, prompt []int32, params []generate.Params) *choiceRuns {
	return &choiceRuns{t: t, s: s, dec: dec, tok: tok, prompt: prompt, params: params, got: make([]generate.Result, len(params))}
}

// start runs choice i.
func (r *choiceRuns) start(i int) {
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		res, _, err := r.s.Run(context.Background(), newSeq(r.t, r.dec, r.tok, r.prompt, r.params[i]), nil)
		if err != nil {
			r.t.Error(err)
		}
		r.got[i] = res
	}()
}

// check waits for the runs and compares choices from on with want, what
// they give alone.
func (r *choiceRuns) check(want []generate.Result, from int, how string) {
	r.t.Helper()
	r.wg.Wait()
	for i := from; i < len(r.params); i++ {
		if got := r.got[i]; !slices.Equal(ids(got.Tokens), ids(want[i].Tokens)) || got.Text != want[i].Text {
			r.t.Errorf("choice %d %s: %v %q; alone: %v %q", i, how, ids(got.Tokens), got.Text, ids(want[i].Tokens), want[i].Text)
		}
	}
}

// TestSharedPrompt queues several sequences with one prompt while the
// scheduler is busy: they are admitted together, the prompt is computed
// once and copied, and every sequence still gets exactly what it gets alone.
func TestSharedPrompt(t *testing.T) {
	defer goleak.VerifyNone(t)
	dec, tok := storiesModel(t)
	prompt := encode(t, tok, "Once upon a time, there was a little dog")
	params := sharedChoices()
	want := eachAlone(t, dec, tok, prompt, params)

	g := &gatedDecoder{Decoder: dec, gate: make(chan struct{}), entered: make(chan struct{}, 1)}
	s := NewDecoder(g, DecoderOptions{})
	defer s.Close(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // holds the scheduler in its first forward pass
		defer wg.Done()
		if _, _, err := s.Run(context.Background(), newSeq(t, dec, tok, encode(t, tok, "The sun"), generate.Params{MaxTokens: 3}), nil); err != nil {
			t.Error(err)
		}
	}()
	<-g.entered
	runs := newChoiceRuns(t, s, dec, tok, prompt, params)
	for i := range params {
		runs.start(i)
	}
	waitQueued(t, s, len(params))
	close(g.gate)
	runs.check(want, 0, "sharing the prompt")
	wg.Wait()
	if st := s.Stats(); st.SharedPromptTokens != uint64((len(params)-1)*len(prompt)) {
		t.Errorf("%d prompt tokens shared, want %d (%d followers × %d tokens)", st.SharedPromptTokens, (len(params)-1)*len(prompt), len(params)-1, len(prompt))
	}
}

// TestSharedPromptLeaderGone cancels the sequence computing a shared prompt
// in the middle of it: the first of its followers computes the prompt for
// the rest, and they still get exactly what they get alone.
func TestSharedPromptLeaderGone(t *testing.T) {
	defer goleak.VerifyNone(t)
	dec, tok := storiesModel(t)
	prompt := encode(t, tok, "Once upon a time, there was a little dog")
	params := sharedChoices()
	want := eachAlone(t, dec, tok, prompt, params)

	// Five tokens a step (the blocker's one and four of the prompt): the
	// prompt takes several steps, and each step waits for the test.
	g := &gatedDecoder{Decoder: dec, gate: make(chan struct{}), entered: make(chan struct{}, 1)}
	s := NewDecoder(g, DecoderOptions{MaxSeqs: 5, MaxStepTokens: 5})
	defer s.Close(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if _, _, err := s.Run(context.Background(), newSeq(t, dec, tok, encode(t, tok, "The"), generate.Params{MaxTokens: 40, IgnoreEOS: true}), nil); err != nil {
			t.Error(err)
		}
	}()
	<-g.entered
	leaderCtx, cancelLeader := context.WithCancel(context.Background())
	defer cancelLeader()
	leaderDone := make(chan error, 1)
	go func() {
		_, _, err := s.Run(leaderCtx, newSeq(t, dec, tok, prompt, params[0]), nil)
		leaderDone <- err
	}()
	waitQueued(t, s, 1)
	runs := newChoiceRuns(t, s, dec, tok, prompt, params)
	for i := 1; i < len(params); i++ {
		runs.start(i)
	}
	waitQueued(t, s, len(params))
	g.gate <- struct{}{} // the blocker's step: then all four are admitted
	<-g.entered          // the next step holds the leader's first prompt chunk
	cancelLeader()
	g.gate <- struct{}{}
	close(g.gate)
	if err := <-leaderDone; !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled leader: %v, want context.Canceled", err)
	}
	runs.check(want, 1, "after its leader left")
	wg.Wait()
	// The new leader computed the prompt for the two others.
	if st := s.Stats(); st.SharedPromptTokens != uint64(2*len(prompt)) {
		t.Errorf("%d prompt tokens shared, want %d", st.SharedPromptTokens, 2*len(prompt))
	}
}

// TestSharedPromptLate admits a sequence while another with the same prompt
// is already past it: it copies all but the prompt's last token from the
// other's cache, computes that one, and gets exactly what it gets alone.
func TestSharedPromptLate(t *testing.T) {
	defer goleak.VerifyNone(t)
	dec, tok := storiesModel(t)
	prompt := encode(t, tok, "Once upon a time, there was a little dog")
	params := sharedChoices()[:2]
	want := eachAlone(t, dec, tok, prompt, params)

	g := &gatedDecoder{Decoder: dec, gate: make(chan struct{}), entered: make(chan struct{}, 1)}
	s := NewDecoder(g, DecoderOptions{})
	defer s.Close(context.Background())
	runs := newChoiceRuns(t, s, dec, tok, prompt, params)
	runs.start(0)
	<-g.entered // the first sequence's prompt, held
	runs.start(1)
	waitQueued(t, s, 1)
	close(g.gate)
	runs.check(want, 0, "admitted late")
	if st := s.Stats(); st.SharedPromptTokens != uint64(len(prompt)-1) {
		t.Errorf("%d prompt tokens shared, want %d", st.SharedPromptTokens, len(prompt)-1)
	}
}
