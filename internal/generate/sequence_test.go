package generate

import (
	"errors"
	"math"
	"strings"
	"testing"

	"hfserve/internal/models"
)

// testSpec is a model with the synthetic vocabulary.
var testSpec = ModelSpec{VocabSize: len(testPieces), MaxPositions: 64, EOSTokenIDs: []int32{tokEOS}}

// oneHot returns logits under which greedy decoding picks id.
func oneHot(id int32) []float32 {
	l := make([]float32, len(testPieces))
	l[id] = 10
	return l
}

// drive feeds the sequence logits that pick ids in turn, until it is done
// or the ids run out, and returns the tokens.
func drive(t *testing.T, seq *Sequence, ids []int32) []Token {
	t.Helper()
	var out []Token
	for _, id := range ids {
		tok, done, err := seq.Next(oneHot(id))
		if err != nil {
			t.Fatal(err)
		}
		if tok.ID != id {
			t.Fatalf("picked %d, want %d", tok.ID, id)
		}
		out = append(out, tok)
		if done {
			break
		}
	}
	return out
}

// texts returns each token's streamed text.
func texts(tokens []Token) []string {
	out := make([]string, len(tokens))
	for i, tok := range tokens {
		out[i] = tok.Text
	}
	return out
}

func TestSequenceStops(t *testing.T) {
	tests := []struct {
		name      string
		params    Params
		ids       []int32
		pieces    []string // streamed text per token
		finish    FinishReason
		stopStr   string
		keepGoing bool // the sequence has not ended after ids
	}{
		{
			name:   "stop string across tokens",
			params: Params{StopStrings: []string{"STOP"}},
			ids:    []int32{tokHello, tokST, tokOP, tokX},
			pieces: []string{" Hello", "", ""},
			finish: FinishStopString, stopStr: "STOP",
		},
		{
			name:      "held text released when it is not a stop",
			params:    Params{StopStrings: []string{"STOP"}},
			ids:       []int32{tokST, tokX, tokST},
			pieces:    []string{"", "STx", ""},
			keepGoing: true,
		},
		{
			name:   "text before the stop in the same token",
			params: Params{StopStrings: []string{"S"}},
			ids:    []int32{tokHello, tokSpS},
			pieces: []string{" Hello", " "},
			finish: FinishStopString, stopStr: "S",
		},
		{
			name:   "stop inside one token",
			params: Params{StopStrings: []string{"ll"}},
			ids:    []int32{tokHello},
			pieces: []string{" He"},
			finish: FinishStopString, stopStr: "ll",
		},
		{
			name:   "stop at the very first token",
			params: Params{StopStrings: []string{" Hello"}},
			ids:    []int32{tokHello, tokWorld},
			pieces: []string{""},
			finish: FinishStopString, stopStr: " Hello",
		},
		{
			name:   "overlapping candidates: the earliest wins",
			params: Params{StopStrings: []string{"bc", "ab"}},
			ids:    []int32{tokA, tokB, tokC},
			pieces: []string{"", ""},
			finish: FinishStopString, stopStr: "ab",
		},
		{
			name:   "overlapping candidates at one start: the longer is reported",
			params: Params{StopStrings: []string{"S", "ST"}},
			ids:    []int32{tokX, tokST},
			pieces: []string{"x", ""},
			finish: FinishStopString, stopStr: "ST",
		},
		{
			name:   "a stop string made of a split character",
			params: Params{StopStrings: []string{"€"}},
			ids:    []int32{tokX, tokE2, tok82, tokAC},
			pieces: []string{"x", "", "", ""},
			finish: FinishStopString, stopStr: "€",
		},
		{
			name:   "a longer candidate's prefix is held until it fails",
			params: Params{StopStrings: []string{"aab", "c"}},
			ids:    []int32{tokA, tokA, tokA, tokC},
			pieces: []string{"", "", "a", "aa"},
			finish: FinishStopString, stopStr: "c",
		},
		{
			name:   "length flushes held text",
			params: Params{StopStrings: []string{"STOP"}, MaxTokens: 2},
			ids:    []int32{tokHello, tokST},
			pieces: []string{" Hello", "ST"},
			finish: FinishLength,
		},
		{
			name:   "length flushes an incomplete character",
			params: Params{MaxTokens: 2},
			ids:    []int32{tokX, tokF0},
			pieces: []string{"x", replacement},
			finish: FinishLength,
		},
		{
			name:   "eos flushes held text and adds none",
			params: Params{StopStrings: []string{"STOP"}},
			ids:    []int32{tokST, tokEOS},
			pieces: []string{"", "ST"},
			finish: FinishStopToken,
		},
		{
			name:   "eos at the first token",
			params: Params{},
			ids:    []int32{tokEOS},
			pieces: []string{""},
			finish: FinishStopToken,
		},
		{
			name:      "ignore_eos decodes past it, skipping its text",
			params:    Params{IgnoreEOS: true},
			ids:       []int32{tokEOS, tokX},
			pieces:    []string{"", "x"},
			keepGoing: true,
		},
		{
			name:   "generation_config eos",
			params: Params{EOSTokenIDs: []int32{tokBang}},
			ids:    []int32{tokHello, tokBang},
			pieces: []string{" Hello", ""},
			finish: FinishStopToken,
		},
		{
			name:   "stop token id",
			params: Params{StopTokenIDs: []int32{tokX}, IgnoreEOS: true},
			ids:    []int32{tokEOS, tokX},
			pieces: []string{"", ""},
			finish: FinishStopToken,
		},
		{
			name:      "special tokens kept on request",
			params:    Params{KeepSpecialTokens: true},
			ids:       []int32{tokX, tokBOS},
			pieces:    []string{"x", "<s>"},
			keepGoing: true,
		},
		{
			name:   "a stop string made of a special token's text",
			params: Params{KeepSpecialTokens: true, StopStrings: []string{"<s>"}},
			ids:    []int32{tokX, tokBOS},
			pieces: []string{"x", ""},
			finish: FinishStopString, stopStr: "<s>",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			seq, err := NewSequence(testSpec, []int32{tokBOS}, tc.params, newFakeDetok(false))
			if err != nil {
				t.Fatal(err)
			}
			tokens := drive(t, seq, tc.ids)
			if got := texts(tokens); strings.Join(got, "|") != strings.Join(tc.pieces, "|") || len(got) != len(tc.pieces) {
				t.Errorf("streamed %q, want %q", got, tc.pieces)
			}
			if seq.Done() == tc.keepGoing || seq.Finish() != tc.finish || seq.StopString() != tc.stopStr {
				t.Errorf("done %v, finish %v, stop %q; want finish %v, stop %q", seq.Done(), seq.Finish(), seq.StopString(), tc.finish, tc.stopStr)
			}
			if got := strings.Join(texts(tokens), ""); got != seq.Text() {
				t.Errorf("streamed pieces add up to %q, Text is %q", got, seq.Text())
			}
			if res := seq.Result(tokens); res.Text != seq.Text() || res.Finish != tc.finish || len(res.Tokens) != len(tokens) {
				t.Errorf("result %+v", res)
			}
		})
	}
}

func TestSequenceAfterDone(t *testing.T) {
	seq, err := NewSequence(testSpec, []int32{tokBOS}, Params{MaxTokens: 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if tok, done, err := seq.Next(oneHot(tokX)); err != nil || !done || tok.Text != "" {
		t.Fatalf("first step: %+v, done %v, %v", tok, done, err)
	}
	if _, _, err := seq.Next(oneHot(tokX)); !errors.Is(err, ErrFinished) {
		t.Errorf("step after done: %v, want ErrFinished", err)
	}
	if seq.Finish().String() != "length" || seq.Finish().TGI() != "length" || len(seq.Generated()) != 1 {
		t.Errorf("finish %q/%q, generated %v", seq.Finish(), seq.Finish().TGI(), seq.Generated())
	}
}

func TestFinishReasonNames(t *testing.T) {
	tests := []struct {
		r           FinishReason
		openai, tgi string
	}{
		{FinishNone, "", ""},
		{FinishLength, "length", "length"},
		{FinishStopToken, "stop", "eos_token"},
		{FinishStopString, "stop", "stop_sequence"},
	}
	for _, tc := range tests {
		if tc.r.String() != tc.openai || tc.r.TGI() != tc.tgi {
			t.Errorf("%d: %q/%q, want %q/%q", tc.r, tc.r.String(), tc.r.TGI(), tc.openai, tc.tgi)
		}
	}
}

func TestNewSequenceErrors(t *testing.T) {
	tests := []struct {
		name   string
		prompt []int32
		params Params
		detok  bool
		param  string // the ParamError's field, or "" for another error
		is     error
	}{
		{"empty prompt", nil, Params{}, false, "prompt", ErrInvalidParams},
		{"prompt id out of range", []int32{99}, Params{}, false, "prompt", ErrInvalidParams},
		{"negative max tokens", []int32{1}, Params{MaxTokens: -1}, false, "max_tokens", ErrInvalidParams},
		{"empty stop string", []int32{1}, Params{StopStrings: []string{""}}, true, "stop", ErrInvalidParams},
		{"stop strings without detokenizer", []int32{1}, Params{StopStrings: []string{"x"}}, false, "", ErrInvalidParams},
		{"stop token out of range", []int32{1}, Params{StopTokenIDs: []int32{-1}}, false, "stop_token_ids", ErrInvalidParams},
		{"too many logprobs", []int32{1}, Params{Logprobs: LogprobRequest{TopN: 21}}, false, "top_logprobs", ErrInvalidParams},
		{"bad sampling", []int32{1}, Params{Sampling: SamplingParams{TopP: 2}}, false, "top_p", ErrInvalidParams},
		{"over the context", make([]int32, 60), Params{MaxTokens: 5}, false, "", models.ErrContextLength},
		{"prompt fills the context", make([]int32, 64), Params{}, false, "", models.ErrContextLength},
	}
	for _, tc := range tests {
		var d Detokenizer
		if tc.detok {
			d = newFakeDetok(false)
		}
		_, err := NewSequence(testSpec, tc.prompt, tc.params, d)
		if !errors.Is(err, tc.is) {
			t.Errorf("%s: error %v, want %v", tc.name, err, tc.is)
			continue
		}
		var pe *ParamError
		if tc.param != "" && (!errors.As(err, &pe) || pe.Param != tc.param) {
			t.Errorf("%s: error %v, want a ParamError for %s", tc.name, err, tc.param)
		}
	}
	var ce *ContextLengthError
	_, err := NewSequence(testSpec, make([]int32, 60), Params{MaxTokens: 5}, nil)
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "maximum context length is 64 tokens") || !strings.Contains(err.Error(), "65 tokens were requested (60 in the prompt, 5 for the completion)") {
		t.Errorf("context error %q", err)
	}
}

// FuzzSequenceStopStrings drives a sequence with random tokens and stop
// strings and checks what a client sees: the streamed pieces add up to the
// final text, the final text is the decoded text cut before the first stop
// string, and nothing streamed is ever cut.
func FuzzSequenceStopStrings(f *testing.F) {
	f.Add([]byte{tokHello, tokST, tokOP}, "STOP", "ll")
	f.Add([]byte{tokA, tokA, tokB, tokC}, "aab", "bc")
	f.Add([]byte{tokE2, tok82, tokAC, tokX}, "€x", "\x82")
	f.Fuzz(func(t *testing.T, stream []byte, stop1, stop2 string) {
		var stops []string
		for _, s := range []string{stop1, stop2} {
			if s != "" {
				stops = append(stops, s)
			}
		}
		seq, err := NewSequence(testSpec, []int32{tokBOS}, Params{StopStrings: stops, MaxTokens: 32, IgnoreEOS: true}, newFakeDetok(false))
		if err != nil {
			t.Fatal(err)
		}
		var ids []int32
		var streamed strings.Builder
		for _, b := range stream {
			id := int32(b) % int32(len(testPieces))
			tok, done, err := seq.Next(oneHot(id))
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, id)
			streamed.WriteString(tok.Text)
			if done {
				break
			}
		}
		full, _ := newFakeDetok(false).Decode(ids, true)
		want := full
		if !seq.Done() {
			// Text still held back is no part of the stream yet.
			if !strings.HasPrefix(full, streamed.String()) {
				t.Fatalf("streamed %q is not a prefix of %q", streamed.String(), full)
			}
			return
		}
		cut := -1
		for _, s := range stops {
			if i := strings.Index(full, s); i >= 0 && (cut < 0 || i < cut) {
				cut = i
			}
		}
		if cut >= 0 {
			want = full[:cut]
		}
		if seq.Finish() == FinishStopString && cut < 0 {
			t.Fatalf("stopped on %q, which %q does not contain", seq.StopString(), full)
		}
		// Invalid bytes may decode to U+FFFD differently when a stop
		// string splits them; compare only valid text.
		if !strings.Contains(full, replacement) && (streamed.String() != want || seq.Text() != want) {
			t.Fatalf("ids %v, stops %q: streamed %q, text %q, want %q", ids, stops, streamed.String(), seq.Text(), want)
		}
		if streamed.String() != seq.Text() {
			t.Fatalf("streamed %q, text %q", streamed.String(), seq.Text())
		}
	})
}

func TestSequenceLogprobs(t *testing.T) {
	seq, err := NewSequence(testSpec, []int32{tokBOS}, Params{Logprobs: LogprobRequest{TopN: 2}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	logits := oneHot(tokX)
	logits[tokA] = 9
	tok, _, err := seq.Next(logits)
	if err != nil {
		t.Fatal(err)
	}
	// log_softmax by hand: one logit 10, one 9, twenty 0.
	logZ := math.Log(math.Exp(10) + math.Exp(9) + float64(len(testPieces)-2))
	want := []TokenLogprob{{tokX, float32(10 - logZ)}, {tokA, float32(9 - logZ)}}
	if tok.ID != tokX || !close32(tok.Logprob, want[0].Logprob) || !logprobsClose(tok.TopLogprobs, want) {
		t.Errorf("token %+v, want logprobs %v", tok, want)
	}
}

// failingDetok fails every decode after the first n.
type failingDetok struct{ n int }

func (f *failingDetok) Decode([]int32, bool) (string, error) {
	if f.n--; f.n < 0 {
		return "", errors.New("broken vocabulary")
	}
	return "", nil
}

func TestSequenceErrorsStick(t *testing.T) {
	seq, err := NewSequence(testSpec, []int32{tokBOS}, Params{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	nan := oneHot(tokX)
	nan[3] = float32(math.NaN())
	if _, _, err := seq.Next(nan); !errors.Is(err, ErrBadLogits) {
		t.Fatalf("NaN logits: %v", err)
	}
	if _, _, err := seq.Next(oneHot(tokX)); !errors.Is(err, ErrBadLogits) {
		t.Errorf("after an error: %v, want the same error again", err)
	}

	seq, err = NewSequence(testSpec, []int32{tokBOS}, Params{}, &failingDetok{n: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := seq.Next(oneHot(tokX)); err == nil || !strings.Contains(err.Error(), "broken vocabulary") {
		t.Errorf("detokenizer failure: %v", err)
	}
	if _, err := NewSequence(testSpec, []int32{tokBOS}, Params{}, &failingDetok{}); err == nil {
		t.Error("detokenizer failing on the prompt: no error")
	}
}
