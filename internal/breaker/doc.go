// Package breaker is a circuit breaker: it lets calls to something that
// keeps failing fail at once, instead of each caller waiting for the same
// failure, and lets a few probe calls through later to find out whether it
// has recovered.
//
// States. A Breaker starts Closed: every call goes through and outcomes are
// counted. It opens when failures reach Settings.FailureThreshold:
//   - ModeConsecutive: that many failures in a row (a success starts the
//     count again);
//   - ModeRatio: at least that many failures within the rolling
//     Settings.Window that are also at least Settings.FailureRatio of the
//     calls counted there, so that a busy model with rare failures stays
//     closed and a quiet one does not open on a single unlucky call.
//
// Open rejects every call with an *OpenError (errors.Is ErrOpen) that says
// how long until the next probe. After Settings.OpenTimeout it turns
// HalfOpen: up to Settings.HalfOpenProbes calls go through as probes; that
// many successes close it again, and one failed probe opens it for another
// OpenTimeout. Calls beyond the probes get an *OpenError too.
//
// Contract. Allow asks to make a call; when it admits the call it returns a
// *Ticket whose Done must be called exactly once with the Outcome. Outcome
// Ignore (the caller's own fault: a bad request, a cancellation) neither
// counts nor, for a probe, decides anything: the probe's place is given to
// the next call. An outcome reported after the breaker changed state since
// its Allow (a slow call that started before the breaker opened) is not
// counted: it describes a state that no longer holds.
//
// Time comes from Settings.Now, so tests step the breaker through its
// states with a fake clock; the Open → HalfOpen change happens when the
// breaker is next asked (Allow, State, Snapshot) after the timeout.
// Settings.OnStateChange is called for every change, after the breaker's
// lock is released, on the goroutine that caused it; it may call back into
// the breaker. A Breaker is safe for concurrent use.
package breaker
