package config

import (
	"math"
	"strings"
	"testing"
	"time"
)

func TestParseByteSize(t *testing.T) {
	tests := []struct {
		in      string
		want    ByteSize
		wantErr string
	}{
		{in: "0", want: 0},
		{in: "1024", want: 1024},
		{in: "8MiB", want: 8 * 1024 * 1024},
		{in: "8 mib", want: 8 * 1024 * 1024},
		{in: "512MB", want: 512 * 1000 * 1000},
		{in: "1.5GB", want: 1500 * 1000 * 1000},
		{in: "1.5KiB", want: 1536},
		{in: "2TiB", want: 2 * 1024 * 1024 * 1024 * 1024},
		{in: "10B", want: 10},
		{in: " 7 ", want: 7},
		{in: "9223372036854775807", want: math.MaxInt64},
		{in: "-1", wantErr: "negative"},
		{in: "-8MiB", wantErr: "negative"},
		{in: "", wantErr: "not a size"},
		{in: "MiB", wantErr: "not a size"},
		{in: "8XB", wantErr: "unknown size unit"},
		{in: "1e3", wantErr: "unknown size unit"},
		{in: "1..2", wantErr: "not a size"},
		{in: "9223372036854775808", wantErr: "too large"},
		{in: "9000000TiB", wantErr: "too large"},
		{in: "99999999999999999999.5TiB", wantErr: "too large"},
	}
	for _, tt := range tests {
		got, err := ParseByteSize(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseByteSize(%q) = %d, %v; want error containing %q", tt.in, got, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseByteSize(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
		}
	}
}

// TestByteSizeStringRoundTrip checks that printed sizes parse back to themselves.
func TestByteSizeStringRoundTrip(t *testing.T) {
	for _, size := range []ByteSize{0, 1, 1000, 1024, 1536, 8 << 20, 3 << 30, 5 << 40, math.MaxInt64} {
		back, err := ParseByteSize(size.String())
		if err != nil || back != size {
			t.Errorf("%d prints as %q, which parses to %d, %v", size, size.String(), back, err)
		}
	}
	if got := ByteSize(8 << 20).String(); got != "8MiB" {
		t.Errorf("8 MiB prints as %q", got)
	}
}

func TestParseMemoryBudget(t *testing.T) {
	tests := []struct {
		in      string
		want    MemoryBudget
		wantErr string
	}{
		{in: "75%", want: MemoryBudget{Raw: "75%", Percent: 75}},
		{in: "100%", want: MemoryBudget{Raw: "100%", Percent: 100}},
		{in: "12.5 %", want: MemoryBudget{Raw: "12.5 %", Percent: 12.5}},
		{in: "8GiB", want: MemoryBudget{Raw: "8GiB", Bytes: 8 << 30}},
		{in: "8589934592", want: MemoryBudget{Raw: "8589934592", Bytes: 8 << 30}},
		{in: "0%", wantErr: "above 0%"},
		{in: "-5%", wantErr: "above 0%"},
		{in: "101%", wantErr: "at most 100%"},
		{in: "NaN%", wantErr: "not a percentage"},
		{in: "%", wantErr: "not a percentage"},
		{in: "0", wantErr: "more than 0 bytes"},
		{in: "lots", wantErr: "not a size"},
	}
	for _, tt := range tests {
		got, err := ParseMemoryBudget(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseMemoryBudget(%q) = %+v, %v; want error containing %q", tt.in, got, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseMemoryBudget(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
		}
	}
}

func TestMemoryBudgetLimit(t *testing.T) {
	tests := []struct {
		budget    MemoryBudget
		available uint64
		want      uint64
	}{
		{MemoryBudget{Percent: 75}, 16 << 30, 12 << 30},
		{MemoryBudget{Percent: 100}, 1000, 1000},
		{MemoryBudget{Bytes: 8 << 30}, 16 << 30, 8 << 30},
		{MemoryBudget{Bytes: 8 << 30}, 1 << 30, 8 << 30}, // a fixed budget is the user's call
	}
	for _, tt := range tests {
		if got := tt.budget.Limit(tt.available); got != tt.want {
			t.Errorf("%+v.Limit(%d) = %d, want %d", tt.budget, tt.available, got, tt.want)
		}
	}
}

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"300", 300 * time.Second, true},
		{"0", 0, true},
		{"-1", -time.Second, true},
		{"5m", 5 * time.Minute, true},
		{"1h30m", 90 * time.Minute, true},
		{"250ms", 250 * time.Millisecond, true},
		{" 10s ", 10 * time.Second, true},
		{"", 0, false},
		{"5 minutes", 0, false},
		{"1.5", 0, false},
		{"99999999999999", 0, false}, // seconds that overflow a Duration
	}
	for _, tt := range tests {
		got, err := parseDuration(tt.in)
		if (err == nil) != tt.ok || (tt.ok && got != tt.want) {
			t.Errorf("parseDuration(%q) = %v, %v; want %v, ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func TestFormatDurationRoundTrip(t *testing.T) {
	for _, d := range []time.Duration{0, -time.Second, time.Millisecond, 90 * time.Second,
		5 * time.Minute, time.Hour, 90 * time.Minute, 25*time.Hour + time.Second, math.MaxInt64} {
		text := formatDuration(d)
		back, err := parseDuration(text)
		if err != nil || back != d {
			t.Errorf("%v formats as %q, which parses to %v, %v", d, text, back, err)
		}
	}
	if got := formatDuration(5 * time.Minute); got != "5m" {
		t.Errorf("5 minutes format as %q, want 5m", got)
	}
}

func TestParseModelRef(t *testing.T) {
	tests := []struct {
		in      string
		want    ModelSpec
		wantErr bool
	}{
		{in: "org/name", want: ModelSpec{Ref: "org/name"}},
		{in: "org/name@v1.0", want: ModelSpec{Ref: "org/name@v1.0"}},
		{in: "tiny=org/name@main", want: ModelSpec{Name: "tiny", Ref: "org/name@main"}},
		{in: "tiny=./models/a=b", want: ModelSpec{Name: "tiny", Ref: "./models/a=b"}},
		{in: "./models/a=b", want: ModelSpec{Ref: "./models/a=b"}},
		{in: "/srv/m=1", want: ModelSpec{Ref: "/srv/m=1"}},
		{in: " chat = ./m ", want: ModelSpec{Name: "chat", Ref: "./m"}},
		{in: "", wantErr: true},
		{in: "=org/name", wantErr: true},
		{in: "tiny=", wantErr: true},
	}
	for _, tt := range tests {
		got, err := ParseModelRef(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParseModelRef(%q) = %+v, %v; want %+v, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestModelSpecID(t *testing.T) {
	if got := (ModelSpec{Name: "a", Ref: "org/b"}).ID(); got != "a" {
		t.Errorf("ID with alias = %q", got)
	}
	if got := (ModelSpec{Ref: "org/b"}).ID(); got != "org/b" {
		t.Errorf("ID without alias = %q", got)
	}
}
