package telemetry

import (
	"context"
	"encoding/hex"
	"strings"
	"testing"
	"unicode"
)

func TestRequestIDContext(t *testing.T) {
	ctx := context.Background()
	if got := RequestID(ctx); got != "" {
		t.Errorf("RequestID(background) = %q, want empty", got)
	}
	ctx = WithRequestID(ctx, "abc")
	if got := RequestID(ctx); got != "abc" {
		t.Errorf("RequestID = %q, want abc", got)
	}
	// A string under another key type must not be mistaken for the id.
	type otherKey struct{}
	if got := RequestID(context.WithValue(context.Background(), otherKey{}, "x")); got != "" {
		t.Errorf("RequestID with foreign key = %q, want empty", got)
	}
}

func TestNewRequestID(t *testing.T) {
	seen := make(map[string]bool)
	for range 1000 {
		id := NewRequestID()
		b, err := hex.DecodeString(id)
		if err != nil || len(b) != 16 {
			t.Fatalf("NewRequestID() = %q: want 32 hex digits (err %v)", id, err)
		}
		if !ValidRequestID(id) {
			t.Fatalf("NewRequestID() = %q is not a ValidRequestID", id)
		}
		if seen[id] {
			t.Fatalf("NewRequestID() repeated %q", id)
		}
		seen[id] = true
	}
}

func TestValidRequestID(t *testing.T) {
	tests := []struct {
		id   string
		want bool
	}{
		{"", false},
		{"a", true},
		{"0123456789abcdef0123456789abcdef", true},
		{"req-2024_01.01:abc/xyz~!", true},
		{strings.Repeat("x", MaxRequestIDLen), true},
		{strings.Repeat("x", MaxRequestIDLen+1), false},
		{"has space", false},
		{"tab\there", false},
		{"line\nbreak", false},
		{"cr\r", false},
		{"nul\x00", false},
		{"del\x7f", false},
		{"ünïcode", false},
		{"\xff\xfe", false},
	}
	for _, tt := range tests {
		if got := ValidRequestID(tt.id); got != tt.want {
			t.Errorf("ValidRequestID(%q) = %v, want %v", tt.id, got, tt.want)
		}
	}
}

// FuzzValidRequestID checks the sanitizer against an independent statement
// of its rule, written with the unicode package rather than byte ranges.
func FuzzValidRequestID(f *testing.F) {
	for _, s := range []string{"", "abc", "a b", "\x00", "é", strings.Repeat("z", 200), "\x7f", "~"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, id string) {
		want := id != "" && len(id) <= MaxRequestIDLen
		for _, r := range id {
			if r > unicode.MaxASCII || !unicode.IsPrint(r) || unicode.IsSpace(r) {
				want = false
			}
		}
		if got := ValidRequestID(id); got != want {
			t.Fatalf("ValidRequestID(%q) = %v, want %v", id, got, want)
		}
	})
}
