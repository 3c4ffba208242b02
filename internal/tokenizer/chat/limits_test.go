package chat

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

var userHi = Input{Messages: []any{map[string]any{"role": "user", "content": "Hi"}}}

func TestHostileTemplatesAreBounded(t *testing.T) {
	small := Limits{MaxOutputBytes: 1 << 16, MaxAllocBytes: 1 << 20, MaxSteps: 100_000, MaxDepth: 20}
	tests := []struct {
		name   string
		src    string
		limits Limits
		limit  string
	}{
		{"huge range", "{% for i in range(1000000000) %}{% endfor %}", small, "alloc"},
		{"nested loops", "{% for a in range(10000) %}{% for b in range(10000) %}{% endfor %}{% endfor %}", Limits{MaxSteps: 100_000}, "steps"},
		{"string doubling", "{% set ns = namespace(s='ab') %}{% for i in range(100) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s }}", small, "alloc"},
		{"string doubling with +", "{% set ns = namespace(s='ab') %}{% for i in range(100) %}{% set ns.s = ns.s + ns.s %}{% endfor %}", small, "alloc"},
		{"list doubling", "{% set ns = namespace(l=[1]) %}{% for i in range(100) %}{% set ns.l = ns.l + ns.l %}{% endfor %}", small, "alloc"},
		{"string repetition", "{{ 'a' * 10000000000 }}", Limits{}, "alloc"},
		{"list repetition", "{{ [1, 2] * 10000000000 }}", Limits{}, "alloc"},
		{"endless recursion", "{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}", Limits{}, "depth"},
		{"recursive loop", "{% for x in [1] recursive %}{{ loop([1]) }}{% endfor %}", small, "depth"},
		{"too much output", "{% for i in range(10000) %}0123456789{% endfor %}", small, "output"},
		{"output of a capture", "{% set x %}{% for i in range(10000) %}0123456789{% endfor %}{% endset %}", small, "output"},
		{"replace blow-up", "{% set ns = namespace(s='aa') %}{% for i in range(60) %}{% set ns.s = ns.s.replace('a', 'aa') %}{% endfor %}", small, "alloc"},
		{"join blow-up", "{% set ns = namespace(s='x' * 1000) %}{% for i in range(30) %}{% set ns.s = [ns.s, ns.s] | join(ns.s) %}{% endfor %}", small, "alloc"},
		{"tojson of a huge value", "{% set ns = namespace(l=['x']) %}{% for i in range(40) %}{% set ns.l = [ns.l, ns.l] %}{% endfor %}{{ ns.l | tojson }}", small, "alloc"},
		{"center width", "{{ 'x' | center(10000000000) }}", small, "alloc"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tmpl, err := Parse(tt.src)
			if err != nil {
				t.Fatal(err)
			}
			_, err = tmpl.WithLimits(tt.limits).Render(context.Background(), userHi, SpecialTokens{})
			var le *LimitError
			if !errors.As(err, &le) {
				t.Fatalf("error = %v, want a *LimitError", err)
			}
			if le.Limit != tt.limit {
				t.Errorf("stopped by the %s limit, want %s (%v)", le.Limit, tt.limit, err)
			}
			if le.Line != 1 {
				t.Errorf("line %d, want 1", le.Line)
			}
		})
	}
}

func TestRenderHonoursContext(t *testing.T) {
	tmpl, err := Parse("{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}")
	if err != nil {
		t.Fatal(err)
	}
	huge := tmpl.WithLimits(Limits{MaxSteps: 1 << 62})

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := huge.Render(ctx, userHi, SpecialTokens{}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: error = %v, want context.Canceled", err)
	}

	ctx, cancel = context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := huge.Render(ctx, userHi, SpecialTokens{}); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("deadline: error = %v, want context.DeadlineExceeded", err)
	}
}

func TestLimitsWithinBoundsRender(t *testing.T) {
	// Limits must not stop ordinary templates: a long conversation renders
	// under the defaults.
	tmpl, _, err := FromTokenizerConfig("../../../testdata/tokenizers/qwen3", "")
	if err != nil {
		t.Fatal(err)
	}
	var msgs []any
	for i := range 2000 {
		role := []string{"user", "assistant"}[i%2]
		msgs = append(msgs, map[string]any{"role": role, "content": strings.Repeat("word ", 100)})
	}
	out, err := tmpl.Render(context.Background(), Input{Messages: msgs, AddGenerationPrompt: true}, SpecialTokens{})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(out, "<|im_start|>"); got != 2001 {
		t.Errorf("%d turns rendered, want 2001", got)
	}
}

// A value nested in itself a hundred thousand times must neither crash the
// printer, the comparison nor the JSON encoder with a stack overflow.
func TestDeeplyNestedValues(t *testing.T) {
	tmpl, err := Parse("{% set ns = namespace(l=[]) %}{% for i in range(100000) %}{% set ns.l = [ns.l] %}{% endfor %}" +
		"{{ ns.l | string | length > 0 }} {{ ns.l == ns.l }}\n{{ ns.l | tojson }}")
	if err != nil {
		t.Fatal(err)
	}
	_, err = tmpl.Render(context.Background(), userHi, SpecialTokens{})
	var re *RenderError
	if !errors.As(err, &re) || re.Line != 2 {
		t.Fatalf("error = %v, want a *RenderError on line 2 from tojson", err)
	}
}
