package telemetry

import (
	"testing"
	"time"
)

// TestRequestSetAuth checks that the auth decision reaches the snapshot,
// the last one winning, and that a nil Request ignores it.
func TestRequestSetAuth(t *testing.T) {
	r := NewRequest(time.Now(), false)
	if s := r.Snapshot(); s.KeyID != "" || s.Auth != "" {
		t.Fatalf("fresh request: key %q auth %q", s.KeyID, s.Auth)
	}
	r.SetAuth("key_1", "ok")
	r.SetAuth("key_2", "rate_limited")
	if s := r.Snapshot(); s.KeyID != "key_2" || s.Auth != "rate_limited" {
		t.Errorf("snapshot: key %q auth %q, want key_2 rate_limited", s.KeyID, s.Auth)
	}
	var none *Request
	none.SetAuth("key_1", "ok") // must not panic
	if s := none.Snapshot(); s.KeyID != "" {
		t.Errorf("nil request snapshot has key %q", s.KeyID)
	}
}
