package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"

	"hfserve/internal/serving"
)

// sseWriter writes server-sent events. The response starts (200 and the
// event-stream headers) with the first event, so an error found before
// any event can still be answered with its own status.
type sseWriter struct {
	w  http.ResponseWriter
	rc *http.ResponseController
	// prefix starts each event: "data: " as OpenAI writes it, "data:" as
	// TGI's axum does. SSE readers accept both.
	prefix  string
	started bool
	// err is the first write error: the client is gone and every later
	// write fails with it.
	err error
}

func newSSEWriter(w http.ResponseWriter, prefix string) *sseWriter {
	return &sseWriter{w: w, rc: http.NewResponseController(w), prefix: prefix}
}

// start writes the status and headers once.
func (s *sseWriter) start() {
	if s.started {
		return
	}
	s.started = true
	h := s.w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	// Tells nginx-style proxies not to buffer the stream.
	h.Set("X-Accel-Buffering", "no")
	h.Del("Content-Length")
	s.w.WriteHeader(http.StatusOK)
}

// event writes v as one event's JSON data and flushes it.
func (s *sseWriter) event(v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("server: encode %T event: %w", v, err)
	}
	// Encode ends with a newline; an event ends with an empty line.
	return s.raw(bytes.TrimRight(buf.Bytes(), "\n"))
}

// raw writes data (one line, such as [DONE]) as an event and flushes it.
func (s *sseWriter) raw(data []byte) error {
	if s.err != nil {
		return s.err
	}
	s.start()
	msg := make([]byte, 0, len(s.prefix)+len(data)+2)
	msg = append(append(append(msg, s.prefix...), data...), "\n\n"...)
	if _, err := s.w.Write(msg); err != nil {
		s.err = fmt.Errorf("server: write event: %w", err)
		return s.err
	}
	if err := s.rc.Flush(); err != nil {
		s.err = fmt.Errorf("server: flush event: %w", err)
		return s.err
	}
	return nil
}

// eventQueue carries generated tokens from the generation, which must
// never wait on the network, to the handler's goroutine, which writes them.
// It is unbounded, but a generation adds at most its max tokens, each a few
// bytes.
type eventQueue struct {
	mu     sync.Mutex
	events []serving.GenerateEvent
	// failed is the writer's error once the client is gone; push returns
	// it so the generation stops.
	failed error
	ready  chan struct{} // has a value when events are waiting
}

func newEventQueue() *eventQueue { return &eventQueue{ready: make(chan struct{}, 1)} }

// push is the Service's emit callback.
func (q *eventQueue) push(ev serving.GenerateEvent) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.failed != nil {
		return q.failed
	}
	q.events = append(q.events, ev)
	select {
	case q.ready <- struct{}{}:
	default:
	}
	return nil
}

func (q *eventQueue) drain() []serving.GenerateEvent {
	q.mu.Lock()
	defer q.mu.Unlock()
	evs := q.events
	q.events = nil
	return evs
}

func (q *eventQueue) fail(err error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.failed = err
}

// generateFunc is serving.Service.Generate's signature.
type generateFunc func(ctx context.Context, req serving.GenerateRequest, emit func(serving.GenerateEvent) error) (*serving.GenerateResult, error)

// generateStreamed runs a generation with its tokens handed to onEvent in
// order, on the calling goroutine. The generation runs in a goroutine of
// its own that never blocks on onEvent, so a slow client holds up only its
// own response, never the engine (which may be batching other requests).
// When onEvent fails (the client is gone) the generation is cancelled and
// its error returned; generateStreamed returns only after the generation
// has stopped.
func generateStreamed(ctx context.Context, generate generateFunc, req serving.GenerateRequest, onEvent func(serving.GenerateEvent) error) (*serving.GenerateResult, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type outcome struct {
		res *serving.GenerateResult
		err error
	}
	q := newEventQueue()
	done := make(chan outcome, 1)
	go func() {
		// A panic here would take the process down: no middleware guards
		// this goroutine.
		defer func() {
			if v := recover(); v != nil {
				done <- outcome{nil, fmt.Errorf("server: generation panicked: %v", v)}
			}
		}()
		res, err := generate(ctx, req, q.push)
		done <- outcome{res, err}
	}()
	deliver := func() error {
		for _, ev := range q.drain() {
			if err := onEvent(ev); err != nil {
				q.fail(err)
				cancel()
				return err
			}
		}
		return nil
	}
	for {
		select {
		case <-q.ready:
			if err := deliver(); err != nil {
				<-done
				return nil, err
			}
		case out := <-done:
			// Events pushed before the end are still queued.
			if err := deliver(); err != nil {
				return nil, err
			}
			return out.res, out.err
		}
	}
}
