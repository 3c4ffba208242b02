package serving

import (
	"errors"
	"fmt"
	"time"
)

// ErrLoadBackoff is matched (errors.Is) by every *LoadBackoffError.
var ErrLoadBackoff = errors.New("serving: model load backing off")

// LoadBackoffError is a request for a model whose recent loads failed,
// made before its next load attempt is due (ManagerOptions.LoadBackoff).
// The server answers 503 with Retry-After: the model may load next time
// (a file restored, memory freed), but not before then.
type LoadBackoffError struct {
	// Model is the model's name.
	Model string
	// Failures counts its loads that failed in a row.
	Failures int
	// RetryAfter is how long until the next load attempt.
	RetryAfter time.Duration
	// Err is the last load's error (a *LoadError).
	Err error
}

// Error implements error.
func (e *LoadBackoffError) Error() string {
	return fmt.Sprintf("serving: model %q failed to load %d time(s) in a row; next attempt in %s; last error: %v",
		e.Model, e.Failures, e.RetryAfter.Round(time.Millisecond), e.Err)
}

// Unwrap returns the last load's error.
func (e *LoadBackoffError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrLoadBackoff) true.
func (e *LoadBackoffError) Is(target error) bool { return target == ErrLoadBackoff }

// backoffLocked refuses a request's load of a failed model before its
// retry time; explicit loads (admin, preload) are never refused, since an
// operator asking now means now.
func (m *Manager) backoffLocked(s *slot, request bool) error {
	if !request || s.state != StateFailed || s.retryAt.IsZero() {
		return nil
	}
	wait := s.retryAt.Sub(m.now())
	if wait <= 0 {
		return nil
	}
	return &LoadBackoffError{Model: s.entry.Name, Failures: s.failStreak, RetryAfter: wait, Err: s.err}
}

// LoadBackoff is a model's load backoff: the loads it failed in a row and
// when the next one may run (zero when no wait is due).
func (m *Manager) LoadBackoff(name string) (failures int, next time.Time, err error) {
	s, err := m.lookup(name)
	if err != nil {
		return 0, time.Time{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if s.state == StateFailed && m.now().Before(s.retryAt) {
		next = s.retryAt
	}
	return s.failStreak, next, nil
}

// ResetLoadBackoff forgets a model's failed loads, so the next request
// tries to load it at once.
func (m *Manager) ResetLoadBackoff(name string) error {
	s, err := m.lookup(name)
	if err != nil {
		return err
	}
	m.mu.Lock()
	s.failStreak, s.retryAt = 0, time.Time{}
	m.mu.Unlock()
	return nil
}
