package chat

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// The bad construct sits on a line fixed by how each template is built, so
// the expected line needs no reference renderer.
func TestSyntaxErrorsCarryTheirLine(t *testing.T) {
	pad := func(n int) string { return strings.Repeat("text\n", n-1) }
	tests := []struct {
		name string
		src  string
		line int
	}{
		{"incomplete expression", pad(3) + "{{ 1 + }}", 3},
		{"stray end tag", pad(2) + "{% if true %}\nok\n{% endfor %}", 4},
		{"unknown tag", pad(5) + "{% frobnicate %}", 5},
		{"unterminated string", pad(2) + "{{ 'abc }}", 2},
		{"unclosed comment", pad(4) + "{# never closed", 4},
		{"unclosed print tag", pad(3) + "{{ x ", 3},
		{"unclosed block tag", pad(2) + "{% if x", 2},
		{"if never closed", pad(2) + "{% if x %}\n\n\nabc", 2},
		{"for never closed", pad(3) + "{% for x in y %}{% if x %}{% endif %}\n", 3},
		{"break outside loop", pad(2) + "{% break %}", 2},
		{"extends", pad(1) + "{% extends 'base' %}", 1},
		{"include", pad(6) + "{% include 'x' %}", 6},
		{"unbalanced paren", pad(2) + "{{ (1 + 2 }}", 2},
		{"closing paren first", pad(3) + "{{ ) }}", 3},
		{"lone endif", pad(7) + "{% endif %}", 7},
		{"set without target", pad(2) + "{% set %}", 2},
		{"default before required", pad(2) + "{% macro m(a=1, b) %}{% endmacro %}", 2},
		{"nested too deeply", pad(2) + "{{ " + strings.Repeat("(", 1000) + "1" + strings.Repeat(")", 1000) + " }}", 2},
		{"deep statement nesting", pad(1) + strings.Repeat("{% if x %}", 500), 1},
		{"assign to literal", pad(2) + "{% set true = 1 %}", 2},
		{"bad character", pad(3) + "{{ a ? b }}", 3},
		{"filter without name", pad(2) + "{{ x | }}", 2},
		{"test without name", pad(2) + "{{ x is }}", 2},
		{"do tag is not enabled", pad(2) + "{% do x %}", 2},
		{"tag name missing", pad(2) + "{% %}", 2},
		{"slice with four parts", pad(2) + "{{ x[1:2:3:4] }}", 2},
		{"positional after keyword", pad(2) + "{{ f(a=1, 2) }}", 2},
		{"integer too large", pad(2) + "{{ 99999999999999999999 }}", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(tt.src)
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Parse error = %v, want a *SyntaxError", err)
			}
			if se.Line != tt.line {
				t.Errorf("line %d, want %d (%v)", se.Line, tt.line, err)
			}
			if se.Msg == "" || !strings.Contains(err.Error(), fmt.Sprintf("line %d", tt.line)) {
				t.Errorf("error %q should name line %d and say what is wrong", err, tt.line)
			}
		})
	}
}

// Templates that must parse: constructs at the edges of the grammar.
func TestParsesEdgeCases(t *testing.T) {
	for _, src := range []string{
		"",
		"plain text only",
		"{{ {'a': {'b': 1}} }}", // "}}" inside a dict literal
		"{{ x.0.1 }}",           // integer attribute chain
		"{{ 'a' 'b' \"c\" }}",   // adjacent string literals
		"{% set a, b = 1, 2 %}", // tuple assignment
		"{% for (a, b) in x %}{% endfor %}",
		"{% for x in y if x recursive %}{{ loop(x) }}{% endfor %}",
		"{{ x is divisibleby 3 }}",
		"{{ f(*args, **kwargs) }}",
		"{% macro m(a, b=1) %}{{ caller() }}{% endmacro %}{% call m(1) %}x{% endcall %}",
		"{% call(item) m(1) %}{{ item }}{% endcall %}",
		"{% filter upper | trim %} x {% endfilter %}",
		"{% with a = 1, b = 2 %}{{ a + b }}{% endwith %}",
		"{% block body scoped %}x{% endblock body %}",
		"{% generation %}x{% endgeneration %}",
		"{% raw %}{{ x }}{% endraw %}",
		"{%- raw -%} {{ x }} {%- endraw -%}",
		"{{ 1_000 + 1.5e3 + 2E-2 }}",
		"{{ x[::-1] }}{{ x[1:] }}{{ x[:2] }}{{ x[::2] }}",
		"{{ (1,) }}{{ () }}{{ [1, 2,] }}{{ {'a': 1,} }}",
		"{{ a if b }}{{ a if b else c if d else e }}",
		"{{ not not x }}{{ -+-x }}",
		"{{ x | selectattr('a', 'equalto', 1) | map(attribute='b') | join }}",
	} {
		if _, err := Parse(src); err != nil {
			t.Errorf("Parse(%q): %v", src, err)
		}
	}
}
