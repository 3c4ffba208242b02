package config

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// ByteSize is a count of bytes. In every layer it is written as a plain integer or as a
// number with a unit: B, KB, MB, GB, TB (powers of 1000) or KiB, MiB, GiB, TiB (powers of
// 1024), case-insensitively ("8MiB", "1.5 GB").
type ByteSize int64

// String writes the size with the largest binary unit that divides it exactly, so that
// printed configs stay readable and parse back to the same value.
func (b ByteSize) String() string {
	units := [...]string{"TiB", "GiB", "MiB", "KiB"}
	for i, unit := range units {
		size := int64(1) << (10 * (len(units) - i))
		if b > 0 && int64(b)%size == 0 {
			return strconv.FormatInt(int64(b)/size, 10) + unit
		}
	}
	return strconv.FormatInt(int64(b), 10)
}

// ParseByteSize reads a size as described on [ByteSize]. Negative sizes and sizes that do
// not fit in an int64 are errors.
func ParseByteSize(s string) (ByteSize, error) {
	text := strings.TrimSpace(s)
	split := strings.IndexFunc(text, func(r rune) bool { return (r < '0' || r > '9') && r != '.' })
	number, unit := text, ""
	if split >= 0 {
		number, unit = text[:split], strings.TrimSpace(text[split:])
	}
	if number == "" {
		if strings.HasPrefix(text, "-") {
			return 0, errors.New("must not be negative")
		}
		return 0, fmt.Errorf("%q is not a size (want bytes or a number with a unit such as 8MiB)", s)
	}
	multiplier, ok := sizeUnit(unit)
	if !ok {
		return 0, fmt.Errorf("%q: unknown size unit %q (want B, KB, MB, GB, TB, KiB, MiB, GiB or TiB)", s, unit)
	}
	if whole, err := strconv.ParseInt(number, 10, 64); err == nil {
		if whole > math.MaxInt64/multiplier {
			return 0, fmt.Errorf("%q is too large", s)
		}
		return ByteSize(whole * multiplier), nil
	}
	fraction, err := strconv.ParseFloat(number, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not a size: %w", s, err)
	}
	bytes := math.Floor(fraction * float64(multiplier))
	if bytes >= math.MaxInt64 {
		return 0, fmt.Errorf("%q is too large", s)
	}
	return ByteSize(bytes), nil
}

// sizeUnit is the multiplier of a size unit; "" means bytes.
func sizeUnit(unit string) (int64, bool) {
	switch strings.ToLower(unit) {
	case "", "b":
		return 1, true
	case "kb":
		return 1e3, true
	case "mb":
		return 1e6, true
	case "gb":
		return 1e9, true
	case "tb":
		return 1e12, true
	case "kib":
		return 1 << 10, true
	case "mib":
		return 1 << 20, true
	case "gib":
		return 1 << 30, true
	case "tib":
		return 1 << 40, true
	}
	return 0, false
}

// MemoryBudget is how much memory loaded models may use: a fixed size, or a share of the
// memory available when the server starts. Exactly one of Bytes and Percent is non-zero.
type MemoryBudget struct {
	Raw     string  // as written, e.g. "75%", "8GiB" or "8589934592"; printed back verbatim
	Bytes   int64   // a fixed budget in bytes; 0 when Percent is used
	Percent float64 // share of available memory, in (0, 100]; 0 when Bytes is used
}

// String is the budget as it was written, or as Bytes or Percent say when it was built in
// code without Raw.
func (m MemoryBudget) String() string {
	switch {
	case m.Raw != "":
		return m.Raw
	case m.Percent != 0:
		return strconv.FormatFloat(m.Percent, 'f', -1, 64) + "%"
	}
	return ByteSize(m.Bytes).String()
}

// check reports a budget whose parsed form is out of range or ambiguous.
func (m MemoryBudget) check() error {
	switch {
	case m.Bytes != 0 && m.Percent != 0:
		return errors.New("set either Bytes or Percent, not both")
	case m.Percent != 0:
		if !(m.Percent > 0 && m.Percent <= 100) {
			return fmt.Errorf("percentage %s must be above 0%% and at most 100%%", m)
		}
	case m.Bytes <= 0:
		return fmt.Errorf("%s: must be more than 0 bytes", m)
	}
	return nil
}

// Limit is the budget in bytes given the memory available to the process.
func (m MemoryBudget) Limit(available uint64) uint64 {
	if m.Percent > 0 {
		return uint64(float64(available) * m.Percent / 100)
	}
	return uint64(m.Bytes)
}

// ParseMemoryBudget reads a budget: a size as for [ParseByteSize], or a percentage in
// (0, 100] such as "75%". The size must be positive.
func ParseMemoryBudget(s string) (MemoryBudget, error) {
	raw := strings.TrimSpace(s)
	if number, ok := strings.CutSuffix(raw, "%"); ok {
		percent, err := strconv.ParseFloat(strings.TrimSpace(number), 64)
		if err != nil || math.IsNaN(percent) {
			return MemoryBudget{}, fmt.Errorf("%q is not a percentage", s)
		}
		if percent <= 0 || percent > 100 {
			return MemoryBudget{}, fmt.Errorf("percentage %q must be above 0%% and at most 100%%", s)
		}
		return MemoryBudget{Raw: raw, Percent: percent}, nil
	}
	size, err := ParseByteSize(raw)
	if err != nil {
		return MemoryBudget{}, err
	}
	if size <= 0 {
		return MemoryBudget{}, errors.New("must be more than 0 bytes")
	}
	return MemoryBudget{Raw: raw, Bytes: int64(size)}, nil
}

// parseDuration reads a Go duration string, or a bare integer meaning seconds.
func parseDuration(s string) (time.Duration, error) {
	text := strings.TrimSpace(s)
	if seconds, err := strconv.ParseInt(text, 10, 64); err == nil {
		if seconds > math.MaxInt64/int64(time.Second) || seconds < math.MinInt64/int64(time.Second) {
			return 0, fmt.Errorf("%q seconds is too long", s)
		}
		return time.Duration(seconds) * time.Second, nil
	}
	d, err := time.ParseDuration(text)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration (want e.g. 30s, 5m, 1h30m, or a number of seconds)", s)
	}
	return d, nil
}

// formatDuration writes d as time.Duration.String does, without its trailing zero units
// ("5m" rather than "5m0s"); parseDuration reads it back unchanged.
func formatDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}

// ParseModelRef reads a model reference as given to --model: REF or alias=REF, where REF is
// a folder or org/name[@revision]. The text before the first '=' is an alias only when it
// holds no '/', so folder paths containing '=' still work. The reference itself is resolved
// later, by the hub.
func ParseModelRef(s string) (ModelSpec, error) {
	text := strings.TrimSpace(s)
	spec := ModelSpec{Ref: text}
	if alias, ref, ok := strings.Cut(text, "="); ok && !strings.ContainsAny(alias, `/\`) {
		spec = ModelSpec{Name: strings.TrimSpace(alias), Ref: strings.TrimSpace(ref)}
		if spec.Name == "" {
			return ModelSpec{}, fmt.Errorf("%q: empty alias before '='", s)
		}
	}
	if spec.Ref == "" {
		return ModelSpec{}, fmt.Errorf("%q: empty model reference", s)
	}
	return spec, nil
}

// formatModelRef is the inverse of ParseModelRef, or false when spec has more than a name
// and a reference or would not read back the same.
func formatModelRef(spec ModelSpec) (string, bool) {
	if spec != (ModelSpec{Name: spec.Name, Ref: spec.Ref}) {
		return "", false
	}
	text := spec.Ref
	if spec.Name != "" {
		text = spec.Name + "=" + spec.Ref
	}
	back, err := ParseModelRef(text)
	return text, err == nil && back == spec
}
