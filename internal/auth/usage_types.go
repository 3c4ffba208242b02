package auth

import (
	"cmp"
	"fmt"
	"slices"
	"time"
)

// DayLayout is the layout of UsageRecord.Day and UsageFilter's days.
const DayLayout = "2006-01-02"

// UsageRecord is what one key did with one model on one UTC day.
type UsageRecord struct {
	// Day is the UTC day, YYYY-MM-DD.
	Day string `json:"day"`
	// KeyID is the key's id (AdminKeyID for the bootstrap admin key).
	KeyID string `json:"key_id"`
	// Model is the model's id.
	Model string `json:"model"`
	// Requests counts requests, failed ones included.
	Requests int64 `json:"requests"`
	// PromptTokens counts tokens read.
	PromptTokens int64 `json:"prompt_tokens"`
	// GeneratedTokens counts tokens written.
	GeneratedTokens int64 `json:"generated_tokens"`
	// Errors counts failed requests.
	Errors int64 `json:"errors"`
}

// Tokens is prompt plus generated tokens, what token limits count.
func (r *UsageRecord) Tokens() int64 { return r.PromptTokens + r.GeneratedTokens }

// isZero reports whether every counter is zero; stores keep no such record.
func (r *UsageRecord) isZero() bool {
	return r.Requests == 0 && r.PromptTokens == 0 && r.GeneratedTokens == 0 && r.Errors == 0
}

// usageKey identifies the record a counter belongs to.
type usageKey struct{ day, keyID, model string }

func (r *UsageRecord) key() usageKey { return usageKey{r.Day, r.KeyID, r.Model} }

// add adds o's counters to r's.
func (r *UsageRecord) add(o *UsageRecord) {
	r.Requests += o.Requests
	r.PromptTokens += o.PromptTokens
	r.GeneratedTokens += o.GeneratedTokens
	r.Errors += o.Errors
}

// UsageFilter selects usage records; empty fields select everything.
type UsageFilter struct {
	// KeyID selects one key.
	KeyID string
	// Model selects one model.
	Model string
	// From and To are the first and last day (YYYY-MM-DD, UTC), inclusive.
	From, To string
}

// Validate checks the filter's days, naming the bad one in a
// *ValidationError (field "from" or "to").
func (f *UsageFilter) Validate() error {
	for _, d := range []struct{ field, day string }{{"from", f.From}, {"to", f.To}} {
		if d.day == "" {
			continue
		}
		if _, err := ParseDay(d.day); err != nil {
			return &ValidationError{Field: d.field, Msg: err.Error()}
		}
	}
	if f.From != "" && f.To != "" && f.From > f.To {
		return &ValidationError{Field: "to", Msg: fmt.Sprintf("%s is before from %s", f.To, f.From)}
	}
	return nil
}

// matches reports whether r passes the filter. Days compare as strings
// because YYYY-MM-DD sorts like the dates it names.
func (f *UsageFilter) matches(r *UsageRecord) bool {
	return (f.KeyID == "" || r.KeyID == f.KeyID) &&
		(f.Model == "" || r.Model == f.Model) &&
		(f.From == "" || r.Day >= f.From) &&
		(f.To == "" || r.Day <= f.To)
}

// Day is the UTC day of t as UsageRecord.Day writes it.
func Day(t time.Time) string { return t.UTC().Format(DayLayout) }

// ParseDay reads a YYYY-MM-DD day as midnight UTC.
func ParseDay(s string) (time.Time, error) {
	t, err := time.Parse(DayLayout, s)
	if err != nil || t.Format(DayLayout) != s {
		return time.Time{}, fmt.Errorf("day %q is not YYYY-MM-DD", s)
	}
	return t, nil
}

// sortUsage orders records by day, key id and model, the order every
// Usage method returns.
func sortUsage(records []UsageRecord) {
	slices.SortFunc(records, func(a, b UsageRecord) int {
		return cmp.Or(cmp.Compare(a.Day, b.Day), cmp.Compare(a.KeyID, b.KeyID), cmp.Compare(a.Model, b.Model))
	})
}
