// Package schedule batches requests for one loaded model so that concurrent
// callers share forward passes: a continuous batcher for decoders and a
// dynamic batcher for encoders.
//
// Decoders (Decoder): one goroutine per model runs steps. Each step is one
// ragged models.Batch over every active sequence: one token for sequences
// that are decoding, a prompt chunk for sequences still prefilling (chunked
// to the step's token budget, so a long prompt never stalls the running
// streams for more than one chunk). Sequences join and leave between steps.
// A sequence's tokens are chosen by its own generate.Sequence on the
// scheduler goroutine; callers receive them in their own goroutine, so a
// slow reader delays only itself.
//
// Encoders (Encoder): requests queue; a batch is cut when it reaches its
// size or token bound, when its first request has waited the batch wait, or
// at once when the model is idle — so a lone request never waits for
// company. Inputs are sorted by length inside a batch to keep padding small,
// and each caller gets its own rows back.
//
// Both bound their queues (ErrQueueFull past the bound, which the API maps to
// 503 with Retry-After), measure queue time, never run a cancelled caller's
// work if it has not started, and shut down cleanly: Close rejects new work,
// lets work in flight finish until its context ends, then cancels the rest.
//
// Observability: each request's telemetry.Request (in its context) learns
// when its work left the queue and when its tokens came out; OnStep and
// OnBatch report every forward pass (batch metrics); with a Tracer, a
// request's wait is a span under its own, and each forward pass is the
// root of its own trace linked to the requests it served (see tracing).
package schedule
