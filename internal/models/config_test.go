package models

import (
	"errors"
	"strings"
	"testing"
)

func TestConfigAccessors(t *testing.T) {
	c, err := ParseConfig([]byte(`{
		"a": 4096, "b": 4096.0, "c": 1.5, "d": "x", "e": null, "f": true, "g": [1, 2], "h": 7,
		"s": "12", "neg": -1, "big": 1e30, "o": {"k": 2}, "id2label": {"1": "pos", "0": "neg"}}`))
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Dim("a"); got != 4096 {
		t.Errorf("Dim(a) = %d", got)
	}
	if got := c.Dim("b"); got != 4096 {
		t.Errorf("Dim(b) = %d (integral float)", got)
	}
	if got := c.Float("c", 0); got != 1.5 {
		t.Errorf("Float(c) = %v", got)
	}
	if got := c.DimOr("e", 9); got != 9 {
		t.Errorf("DimOr(null) = %d, want the default", got)
	}
	if got := c.DimOr("absent", 9); got != 9 {
		t.Errorf("DimOr(absent) = %d, want the default", got)
	}
	if !c.Bool("f", false) || c.String("d", "") != "x" {
		t.Errorf("Bool/String wrong")
	}
	if got := c.TokenIDs("g"); len(got) != 2 || got[1] != 2 {
		t.Errorf("TokenIDs(list) = %v", got)
	}
	if got := c.TokenIDs("h"); len(got) != 1 || got[0] != 7 {
		t.Errorf("TokenIDs(one) = %v", got)
	}
	if got := c.TokenIDs("neg"); got != nil {
		t.Errorf("TokenIDs(-1) = %v, want none", got)
	}
	if got := c.TokenID("neg"); got != -1 {
		t.Errorf("TokenID(-1) = %d", got)
	}
	if o := c.Object("o"); o == nil || o.Dim("k") != 2 {
		t.Errorf("Object(o) wrong")
	}
	if got := c.LabelNames(); len(got) != 2 || got[0] != "neg" || got[1] != "pos" {
		t.Errorf("LabelNames = %v", got)
	}
	if err := c.Err(); err != nil {
		t.Fatalf("no problems yet, got %v", err)
	}
	// Every problem is recorded and named.
	c.Dim("c")
	c.Dim("s")
	c.Dim("missing")
	c.Dim("big")
	c.Bool("a", false)
	c.Object("o").Dim("absent")
	c.Failf("d", "not liked")
	err = c.Err()
	for _, want := range []string{`"c": 1.5 is not a whole number`, `"s": want a number, got "12"`, `"missing": missing`, `"big"`,
		`"a": want true or false`, `"o.absent": missing`, `"d": not liked`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not mention %s", err, want)
		}
	}
	if !errors.Is(err, ErrUnsupported) {
		t.Errorf("Failf's problem is not ErrUnsupported")
	}
}

func TestConfigLabels(t *testing.T) {
	tests := []struct {
		json string
		want []string
		bad  bool
	}{
		{`{}`, []string{"LABEL_0", "LABEL_1"}, false},
		{`{"num_labels": 3}`, []string{"LABEL_0", "LABEL_1", "LABEL_2"}, false},
		{`{"id2label": {"0": "a"}, "num_labels": 5}`, []string{"a"}, false},
		{`{"id2label": {"0": "a", "2": "b"}}`, nil, true},
		{`{"id2label": {"x": "a"}}`, nil, true},
		{`{"id2label": ["a"]}`, nil, true},
	}
	for _, tt := range tests {
		c, err := ParseConfig([]byte(tt.json))
		if err != nil {
			t.Fatal(err)
		}
		got := c.LabelNames()
		if (c.Err() != nil) != tt.bad || strings.Join(got, ",") != strings.Join(tt.want, ",") {
			t.Errorf("%s: labels %v, err %v", tt.json, got, c.Err())
		}
	}
}

func TestParseConfigRejects(t *testing.T) {
	for _, in := range []string{``, `null`, `[]`, `{"a":1} {}`, `{"a":`} {
		if _, err := ParseConfig([]byte(in)); err == nil {
			t.Errorf("ParseConfig(%q) accepted", in)
		}
	}
}

func FuzzConfig(f *testing.F) {
	f.Add([]byte(`{"a": 1, "o": {"b": [1, 2]}, "id2label": {"0": "x"}}`))
	f.Add([]byte(`{"a": "1", "o": null, "id2label": {"5": "x"}, "g": [1.5, -2]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseConfig(data)
		if err != nil {
			return
		}
		for _, k := range []string{"a", "o", "g", "id2label"} {
			c.Dim(k)
			c.Float(k, 0)
			c.Bool(k, false)
			c.String(k, "")
			c.Strings(k)
			c.TokenIDs(k)
			if o := c.Object(k); o != nil {
				o.Dim("b")
			}
		}
		c.LabelNames()
		_ = c.Err()
	})
}
