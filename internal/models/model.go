package models

import (
	"context"

	"hfserve/internal/tensor"
)

// Model is a loaded model, whatever its task.
type Model interface {
	// Info describes the model; it never changes after loading.
	Info() Info
	// Close releases the model's memory. It waits for forward passes in
	// flight; later calls fail with ErrClosed. It is idempotent.
	Close() error
}

// Encoder is a bidirectional model: one forward pass over a padded batch.
type Encoder interface {
	Model
	// Encode runs the batch and returns hidden states and, where the model
	// has them, the pooler output and the head's logits.
	Encode(ctx context.Context, batch *EncoderBatch) (*EncoderOutput, error)
}

// Decoder is a causal model run step by step over ragged batches, so that a
// scheduler can batch sequences that started at different times.
type Decoder interface {
	Model
	// NewCache returns an empty KV cache for one sequence of at most
	// maxTokens tokens (prompt and generated together). maxTokens above the
	// model's context length is an error.
	NewCache(maxTokens int) (*KVCache, error)
	// Forward appends each sequence's new tokens to its cache and returns
	// the requested rows of logits (or hidden states, see Batch.Hidden),
	// row-major [Batch.OutputRows(), Info().OutputDim(hidden)]. On error no
	// cache has changed length.
	Forward(ctx context.Context, batch *Batch) ([]float32, error)
}

// LoadOptions are the choices a caller makes when loading a model.
type LoadOptions struct {
	// Pool runs the kernels' parallel loops; nil runs everything on the
	// calling goroutine. Models loaded by one server share one pool.
	Pool *tensor.Pool
}
