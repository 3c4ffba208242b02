package serving

import (
	"errors"
	"fmt"
	"time"
)

// Errors the Manager returns, for errors.Is. The server maps them to HTTP
// statuses: ErrUnknownModel to 404, ErrCannotFit to 503 with Retry-After,
// ErrLoadTimeout to 503 (the next request retries the load), ErrClosed to
// 503, and a *LoadError to 500.
var (
	// ErrUnknownModel means the name is not in the catalog.
	ErrUnknownModel = errors.New("serving: unknown model")
	// ErrCannotFit means a load would exceed max_loaded_models or the
	// memory budget even after evicting every idle, unpinned model. The
	// error is a *CapacityError.
	ErrCannotFit = errors.New("serving: not enough capacity to load the model")
	// ErrLoadTimeout means a load took longer than model_load_timeout.
	ErrLoadTimeout = errors.New("serving: model load timed out")
	// ErrClosed means the Manager has been closed.
	ErrClosed = errors.New("serving: model manager is closed")
)

// errAbandoned cancels a load nobody waits for any more; it never reaches a
// caller because, by definition, none is left.
var errAbandoned = errors.New("serving: load abandoned by every waiter")

// CapacityError says why a model could not be loaded now. It matches
// ErrCannotFit with errors.Is.
type CapacityError struct {
	// Model is the model that was to be loaded.
	Model string
	// NeedBytes is its estimated resident size.
	NeedBytes int64
	// BudgetBytes is the memory budget (0: none).
	BudgetBytes int64
	// UsedBytes is what resident and loading models hold, the idle ones
	// that could have been evicted included.
	UsedBytes int64
	// Loaded counts the models resident, loading or unloading.
	Loaded int
	// MaxLoaded is max_loaded_models (0: no limit).
	MaxLoaded int
	// Busy counts the resident models that could not be evicted: in
	// use, pinned or still loading.
	Busy int
	// Permanent is set when the model is larger than the whole budget, so
	// waiting will never help.
	Permanent bool
}

// RetryAfter is a hint for the Retry-After header: how soon capacity may
// free up. It is 0 for a permanent error.
func (e *CapacityError) RetryAfter() time.Duration {
	if e.Permanent {
		return 0
	}
	// Busy models free up when their requests finish, typically within
	// seconds for the requests this server runs.
	return 5 * time.Second
}

// Error implements error.
func (e *CapacityError) Error() string {
	if e.Permanent {
		return fmt.Sprintf("serving: model %q needs about %d bytes, more than the whole memory budget of %d bytes",
			e.Model, e.NeedBytes, e.BudgetBytes)
	}
	msg := fmt.Sprintf("serving: model %q cannot be loaded now: %d of %d models in use or pinned cannot be evicted",
		e.Model, e.Busy, e.Loaded)
	if e.MaxLoaded > 0 {
		msg += fmt.Sprintf(", max_loaded_models is %d", e.MaxLoaded)
	}
	if e.BudgetBytes > 0 {
		msg += fmt.Sprintf(", it needs about %d bytes and %d of the %d-byte budget are held", e.NeedBytes, e.UsedBytes, e.BudgetBytes)
	}
	return msg
}

// Is makes errors.Is(err, ErrCannotFit) true.
func (e *CapacityError) Is(target error) bool { return target == ErrCannotFit }

// LoadError is a load that failed: unreadable or corrupt weights, an
// unsupported architecture, a timeout. The model goes to the failed state
// with this error; the next Acquire tries again.
type LoadError struct {
	// Model is the model's name.
	Model string
	// Err is the cause.
	Err error
}

// Error implements error.
func (e *LoadError) Error() string {
	return fmt.Sprintf("serving: loading model %q: %v", e.Model, e.Err)
}

// Unwrap returns the cause.
func (e *LoadError) Unwrap() error { return e.Err }
