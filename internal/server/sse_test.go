package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"hfserve/api"
	"hfserve/internal/generate"
	"hfserve/internal/serving"
)

func TestSSEWriter(t *testing.T) {
	rec := httptest.NewRecorder()
	s := newSSEWriter(rec, "data: ")
	if err := s.event(map[string]string{"a": "<b>"}); err != nil {
		t.Fatal(err)
	}
	if err := s.raw([]byte("[DONE]")); err != nil {
		t.Fatal(err)
	}
	if got, want := rec.Body.String(), "data: {\"a\":\"<b>\"}\n\ndata: [DONE]\n\n"; got != want {
		t.Errorf("body %q, want %q", got, want)
	}
	h := rec.Header()
	if rec.Code != http.StatusOK || h.Get("Content-Type") != "text/event-stream" || h.Get("Cache-Control") != "no-cache" || !rec.Flushed {
		t.Errorf("status %d, headers %v, flushed %v", rec.Code, h, rec.Flushed)
	}
}

// failingWriter fails every write, as a connection whose client left.
type failingWriter struct {
	header http.Header
	writes int
}

func (w *failingWriter) Header() http.Header { return w.header }
func (w *failingWriter) WriteHeader(int)     {}
func (w *failingWriter) Write([]byte) (int, error) {
	w.writes++
	return 0, errors.New("broken pipe")
}

func TestSSEWriterRemembersFailure(t *testing.T) {
	fw := &failingWriter{header: http.Header{}}
	s := newSSEWriter(fw, "data:")
	if err := s.event(1); err == nil {
		t.Fatal("write to a failing writer succeeded")
	}
	if err := s.event(2); err == nil || fw.writes != 1 {
		t.Fatalf("second event: %v after %d writes; want the first error and no new write", err, fw.writes)
	}
}

// fakeGenerator emits tokens until told to stop, recording how it ended.
type fakeGenerator struct {
	tokens   int           // tokens to emit; 0 emits until stopped
	finished chan struct{} // closed when Generate returns
	emitErr  atomic.Value  // the error emit returned, if any
	ctxErr   atomic.Value  // the context's error when it stopped, if any
	panicAt  int           // panic at this token (1-based); 0 never
}

func newFakeGenerator(tokens int) *fakeGenerator {
	return &fakeGenerator{tokens: tokens, finished: make(chan struct{})}
}

func (g *fakeGenerator) generate(ctx context.Context, req serving.GenerateRequest, emit func(serving.GenerateEvent) error) (*serving.GenerateResult, error) {
	defer close(g.finished)
	res := &serving.GenerateResult{Model: req.Model, Choices: []generate.Result{{}}}
	for i := 0; g.tokens == 0 || i < g.tokens; i++ {
		if g.panicAt == i+1 {
			panic("model exploded")
		}
		if err := ctx.Err(); err != nil {
			g.ctxErr.Store(err)
			return res, err
		}
		tok := generate.Token{ID: int32(i), Text: fmt.Sprint(i, " ")}
		if err := emit(serving.GenerateEvent{Token: tok, Index: i}); err != nil {
			g.emitErr.Store(err)
			return res, err
		}
		res.Choices[0].Tokens = append(res.Choices[0].Tokens, tok)
		res.Choices[0].Text += tok.Text
		if g.tokens == 0 {
			time.Sleep(time.Millisecond)
		}
	}
	return res, nil
}

// TestGenerateStreamedSlowReader: a reader that has not taken the first
// token yet must not hold up the generation, and it still gets every
// token in order afterwards.
func TestGenerateStreamedSlowReader(t *testing.T) {
	g := newFakeGenerator(200)
	var got []int
	res, err := generateStreamed(context.Background(), g.generate, serving.GenerateRequest{}, func(ev serving.GenerateEvent) error {
		if len(got) == 0 {
			select {
			case <-g.finished:
			case <-time.After(10 * time.Second):
				return errors.New("the generation waited for the reader")
			}
		}
		got = append(got, ev.Index)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 200 || len(res.Choices[0].Tokens) != 200 {
		t.Fatalf("reader got %d events, result %d tokens; want 200", len(got), len(res.Choices[0].Tokens))
	}
	for i, idx := range got {
		if idx != i {
			t.Fatalf("event %d has index %d: out of order", i, idx)
		}
	}
}

// TestGenerateStreamedClientGone: when writing fails the generation is
// stopped (through emit's error or its context) and waited for.
func TestGenerateStreamedClientGone(t *testing.T) {
	g := newFakeGenerator(0) // endless
	gone := errors.New("client gone")
	n := 0
	_, err := generateStreamed(context.Background(), g.generate, serving.GenerateRequest{}, func(serving.GenerateEvent) error {
		n++
		if n == 3 {
			return gone
		}
		return nil
	})
	if !errors.Is(err, gone) {
		t.Fatalf("error %v, want %v", err, gone)
	}
	select {
	case <-g.finished:
	default:
		t.Fatal("generateStreamed returned while the generation still ran")
	}
	if g.emitErr.Load() == nil && g.ctxErr.Load() == nil {
		t.Fatal("the generation was not told to stop")
	}
}

// TestGenerateStreamedCancel: cancelling the request's context stops the
// generation and returns its error.
func TestGenerateStreamedCancel(t *testing.T) {
	g := newFakeGenerator(0)
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	_, err := generateStreamed(ctx, g.generate, serving.GenerateRequest{}, func(serving.GenerateEvent) error {
		if n++; n == 2 {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
}

func TestGenerateStreamedPanic(t *testing.T) {
	g := newFakeGenerator(10)
	g.panicAt = 4
	_, err := generateStreamed(context.Background(), g.generate, serving.GenerateRequest{}, func(serving.GenerateEvent) error { return nil })
	if err == nil {
		t.Fatal("a panicking generation reported no error")
	}
}

// TestStreamErrorEvents: an error after the stream started ends it with an
// error event in the API's shape; before, it is an ordinary error answer.
func TestStreamErrorEvents(t *testing.T) {
	req := httptest.NewRequest(http.MethodPost, "/v1/chat/completions", nil)
	rec := httptest.NewRecorder()
	failOpenAIStream(rec, req, newSSEWriter(rec, "data: "), serving.ErrClosed, chatPrompt)
	checkError(t, rec, http.StatusServiceUnavailable, api.ErrTypeServiceUnavailable, "shutting_down", "")

	rec = httptest.NewRecorder()
	sse := newSSEWriter(rec, "data: ")
	_ = sse.event(map[string]int{"n": 1})
	failOpenAIStream(rec, req, sse, &serving.LoadError{Model: "m", Err: errors.New("bad")}, chatPrompt)
	events := sseEvents(t, rec.Body.String(), "data: ")
	if len(events) != 2 {
		t.Fatalf("events %q", events)
	}
	if e := decodeError(t, []byte(events[1])); e.Type != api.ErrTypeServer || deref(e.Code) != "model_load_failed" {
		t.Fatalf("error event %+v", e)
	}
}
