package models

import "errors"

// Errors callers may test for with errors.Is.
var (
	// ErrClosed is returned by a model used after Close.
	ErrClosed = errors.New("models: model is closed")
	// ErrContextLength is returned when a sequence would grow past the
	// model's context (max_position_embeddings) or its cache.
	ErrContextLength = errors.New("models: context length exceeded")
	// ErrBadInput is returned for a batch the model cannot run: token ids
	// out of range, mismatched lengths, a cache from another model.
	ErrBadInput = errors.New("models: bad input")
	// ErrUnsupported is returned at load for a config value or tensor the
	// engine does not implement.
	ErrUnsupported = errors.New("models: unsupported")
)
