package serving

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sync/atomic"

	"hfserve/internal/models"
)

// ErrPanic is matched (errors.Is) by every *PanicError.
var ErrPanic = errors.New("serving: the model panicked")

// PanicError is a panic inside a model call, recovered so that one bad
// forward pass fails its requests instead of the process. The server
// answers 500; the value and stack are logged, never sent to clients.
type PanicError struct {
	// Model is the model's name.
	Model string
	// Value is what was passed to panic.
	Value any
	// Stack is the panicking goroutine's stack.
	Stack []byte

	// logged makes the Service log a panic shared by a batch's requests
	// once.
	logged atomic.Bool
}

// Error implements error; it leaves the value out, as it may hold
// internals.
func (e *PanicError) Error() string {
	return fmt.Sprintf("serving: model %q failed: internal error in the model (logged)", e.Model)
}

// Is makes errors.Is(err, ErrPanic) true.
func (e *PanicError) Is(target error) bool { return target == ErrPanic }

// recovered turns a recovered panic value into a *PanicError.
func recovered(model string, v any) *PanicError {
	return &PanicError{Model: model, Value: v, Stack: debug.Stack()}
}

// guardModel wraps a loaded model so that a panic in any of its calls
// comes back as a *PanicError. The schedulers call the model on their own
// goroutine, where an unrecovered panic would end the process; wrapping
// the model covers them and the unbatched paths alike. A panic on a kernel
// pool worker goroutine is beyond this (and the engine's kernels do not
// panic on any input that passed its checks).
func guardModel(name string, m models.Model) models.Model {
	switch mm := m.(type) {
	case models.Decoder:
		return &guardedDecoder{Decoder: mm, name: name}
	case models.Encoder:
		return &guardedEncoder{Encoder: mm, name: name}
	}
	return m
}

// guardedDecoder is a Decoder whose calls recover panics.
type guardedDecoder struct {
	models.Decoder
	name string
}

func (g *guardedDecoder) NewCache(maxTokens int) (c *models.KVCache, err error) {
	defer func() {
		if v := recover(); v != nil {
			c, err = nil, recovered(g.name, v)
		}
	}()
	return g.Decoder.NewCache(maxTokens)
}

func (g *guardedDecoder) Forward(ctx context.Context, b *models.Batch) (out []float32, err error) {
	defer func() {
		if v := recover(); v != nil {
			out, err = nil, recovered(g.name, v)
		}
	}()
	return g.Decoder.Forward(ctx, b)
}

// guardedEncoder is an Encoder whose calls recover panics.
type guardedEncoder struct {
	models.Encoder
	name string
}

func (g *guardedEncoder) Encode(ctx context.Context, b *models.EncoderBatch) (out *models.EncoderOutput, err error) {
	defer func() {
		if v := recover(); v != nil {
			out, err = nil, recovered(g.name, v)
		}
	}()
	return g.Encoder.Encode(ctx, b)
}
