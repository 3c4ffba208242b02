package loadgen

import (
	"strings"
	"testing"
	"time"
)

func TestPercentilesNearestRank(t *testing.T) {
	xs := make([]float64, 100)
	for i := range xs {
		xs[i] = float64(100 - i) // 100..1, unsorted on purpose
	}
	p := percentiles(xs)
	if p.P50 != 50 || p.P95 != 95 || p.P99 != 99 || p.Max != 100 || p.Mean != 50.5 {
		t.Fatalf("percentiles = %+v", p)
	}
	if one := percentiles([]float64{3}); one.P50 != 3 || one.P99 != 3 {
		t.Fatalf("one sample: %+v", one)
	}
	if (percentiles(nil) != Percentiles{}) {
		t.Fatal("no samples should give zeros")
	}
}

func TestCheckRejectsBadConfigs(t *testing.T) {
	good := Config{Endpoint: EndpointCompletions, Model: "m", Concurrency: 1, Requests: 1, PromptWords: 1, MaxTokens: 1}
	if err := good.Check(); err != nil {
		t.Fatal(err)
	}
	for name, mutate := range map[string]func(*Config){
		"endpoint":    func(c *Config) { c.Endpoint = "images" },
		"model":       func(c *Config) { c.Model = "" },
		"concurrency": func(c *Config) { c.Concurrency = 0 },
		"count":       func(c *Config) { c.Requests, c.Duration = 0, 0 },
		"prompt":      func(c *Config) { c.PromptWords = 0 },
		"max tokens":  func(c *Config) { c.MaxTokens = 0 },
	} {
		c := good
		mutate(&c)
		if c.Check() == nil {
			t.Errorf("%s: accepted %+v", name, c)
		}
	}
	emb := good
	emb.Endpoint, emb.MaxTokens, emb.Duration = EndpointEmbeddings, 0, time.Second
	if err := emb.Check(); err != nil {
		t.Fatalf("embeddings need no max tokens: %v", err)
	}
}

func TestPromptsAreDistinctUnlessAsked(t *testing.T) {
	c := &Config{PromptWords: 5}
	if prompt(c, 1, 0) == prompt(c, 2, 0) || prompt(c, 1, 0) == prompt(c, 1, 1) {
		t.Fatal("prompts repeat")
	}
	if got := strings.Fields(prompt(c, 1, 0)); len(got) != 7 { // "Request 1.0:" + 5 words
		t.Fatalf("prompt %q", prompt(c, 1, 0))
	}
	c.SamePrompt = true
	if prompt(c, 1, 0) != prompt(c, 2, 3) {
		t.Fatal("SamePrompt prompts differ")
	}
}
