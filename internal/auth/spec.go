package auth

import (
	"fmt"
	"path"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Bounds of a KeySpec.
const (
	MaxKeyNameLen    = 128 // characters
	MaxModelPatterns = 256
	MaxModelLen      = 256 // bytes
)

// KeySpec is what Manager.Create makes a key from: the body of
// POST /admin/keys. Limits is embedded so that its fields (rpm, tpm,
// max_concurrent, daily_tokens, monthly_tokens) sit at the top level of the
// JSON.
type KeySpec struct {
	// Name labels the key: required, at most MaxKeyNameLen printable
	// characters.
	Name string `json:"name"`
	// Scopes are the key's scopes; none means DefaultScopes (inference and
	// embeddings, never admin). Names are read as ParseScope reads them.
	Scopes []Scope `json:"scopes"`
	// Models restricts the key to these models: exact ids or path.Match
	// patterns; "*" or none means every model.
	Models []string `json:"models"`
	Limits
	// ExpiresAt, when set, must be in the future.
	ExpiresAt *time.Time `json:"expires_at"`
}

// normalize validates the spec at now and returns it cleaned up: scopes
// parsed, deduplicated and in Scopes order, models deduplicated, times in
// UTC. A bad field is a *ValidationError.
func (s KeySpec) normalize(now time.Time) (KeySpec, error) {
	if err := checkKeyName(s.Name); err != nil {
		return KeySpec{}, &ValidationError{Field: "name", Msg: err.Error()}
	}
	scopes, err := normalizeScopes(s.Scopes)
	if err != nil {
		return KeySpec{}, &ValidationError{Field: "scopes", Msg: err.Error()}
	}
	models, err := normalizeModels(s.Models)
	if err != nil {
		return KeySpec{}, &ValidationError{Field: "models", Msg: err.Error()}
	}
	for _, l := range []struct {
		field string
		n     int64
	}{{"rpm", s.RPM}, {"tpm", s.TPM}, {"max_concurrent", s.MaxConcurrent}, {"daily_tokens", s.DailyTokens}, {"monthly_tokens", s.MonthlyTokens}} {
		if l.n < 0 {
			return KeySpec{}, &ValidationError{Field: l.field, Msg: fmt.Sprintf("must be 0 (unlimited) or positive, got %d", l.n)}
		}
	}
	out := KeySpec{Name: s.Name, Scopes: scopes, Models: models, Limits: s.Limits}
	if s.ExpiresAt != nil {
		if !s.ExpiresAt.After(now) {
			return KeySpec{}, &ValidationError{Field: "expires_at", Msg: fmt.Sprintf("%s is not in the future", s.ExpiresAt.UTC().Format(time.RFC3339))}
		}
		at := s.ExpiresAt.UTC()
		out.ExpiresAt = &at
	}
	return out, nil
}

// checkKeyName applies the rules of KeySpec.Name.
func checkKeyName(name string) error {
	switch {
	case strings.TrimSpace(name) == "":
		return fmt.Errorf("required")
	case !utf8.ValidString(name):
		return fmt.Errorf("not valid UTF-8")
	case utf8.RuneCountInString(name) > MaxKeyNameLen:
		return fmt.Errorf("longer than %d characters", MaxKeyNameLen)
	case strings.ContainsFunc(name, func(r rune) bool { return !unicode.IsPrint(r) }):
		return fmt.Errorf("contains a character that is not printable")
	}
	return nil
}

// normalizeScopes parses and deduplicates scopes, DefaultScopes when none.
func normalizeScopes(in []Scope) ([]Scope, error) {
	if len(in) == 0 {
		return DefaultScopes(), nil
	}
	seen := map[Scope]bool{}
	for _, s := range in {
		sc, err := ParseScope(string(s))
		if err != nil {
			return nil, err
		}
		seen[sc] = true
	}
	var out []Scope
	for _, sc := range Scopes() {
		if seen[sc] {
			out = append(out, sc)
		}
	}
	return out, nil
}

// normalizeModels checks and deduplicates model patterns; "*" anywhere
// means all models, stored as none. The result is never nil, so that JSON
// shows [] rather than null.
func normalizeModels(in []string) ([]string, error) {
	if len(in) > MaxModelPatterns {
		return nil, fmt.Errorf("%d entries, at most %d", len(in), MaxModelPatterns)
	}
	out, all := make([]string, 0, len(in)), false
	for i, m := range in {
		switch {
		case m == "":
			return nil, fmt.Errorf("entry %d is empty", i)
		case len(m) > MaxModelLen:
			return nil, fmt.Errorf("entry %d is longer than %d bytes", i, MaxModelLen)
		case !utf8.ValidString(m) || strings.ContainsFunc(m, func(r rune) bool { return !unicode.IsPrint(r) || unicode.IsSpace(r) }):
			return nil, fmt.Errorf("entry %d (%q) contains a space or a character that is not printable", i, m)
		}
		if _, err := path.Match(m, ""); err != nil {
			return nil, fmt.Errorf("entry %d (%q) is not a valid pattern: %w", i, m, err)
		}
		all = all || m == "*"
		if !slices.Contains(out, m) {
			out = append(out, m)
		}
	}
	if all {
		return []string{}, nil
	}
	return out, nil
}
