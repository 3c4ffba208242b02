package generate

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestParseGenerationConfig(t *testing.T) {
	tests := []struct {
		name    string
		json    string
		eos     []int32
		check   func(*GenerationConfig) bool
		wantErr string // substring of the error, "" for none
	}{
		{name: "eos number", json: `{"bos_token_id": 1, "eos_token_id": 2, "do_sample": false}`, eos: []int32{2},
			check: func(g *GenerationConfig) bool { return *g.BOSTokenID == 1 && !*g.DoSample && g.PadTokenID == nil }},
		{name: "eos list (Llama 3)", json: `{"eos_token_id": [128001, 128008, 128009]}`, eos: []int32{128001, 128008, 128009}},
		{name: "eos null", json: `{"eos_token_id": null, "pad_token_id": null}`,
			check: func(g *GenerationConfig) bool { return g.EOSTokenIDs == nil && g.PadTokenID == nil }},
		{name: "integral float", json: `{"eos_token_id": 2.0, "max_new_tokens": 512.0}`, eos: []int32{2},
			check: func(g *GenerationConfig) bool { return *g.MaxNewTokens == 512 }},
		{name: "sampling defaults (Qwen2.5)", json: `{"do_sample": true, "temperature": 0.7, "top_p": 0.8, "top_k": 20, "repetition_penalty": 1.05, "min_p": 0.0, "max_length": 32768, "transformers_version": "4.37.0"}`,
			check: func(g *GenerationConfig) bool {
				return *g.DoSample && *g.Temperature == 0.7 && *g.TopP == 0.8 && *g.TopK == 20 && *g.RepetitionPenalty == 1.05 && *g.MinP == 0 && *g.MaxLength == 32768
			}},
		{name: "empty", json: `{}`, check: func(g *GenerationConfig) bool { return g.DoSample == nil && g.Temperature == nil }},
		{name: "not an object", json: `[1]`, wantErr: "not a JSON object"},
		{name: "eos string", json: `{"eos_token_id": "2"}`, wantErr: "eos_token_id"},
		{name: "eos negative", json: `{"eos_token_id": [1, -2]}`, wantErr: "eos_token_id: item 1"},
		{name: "eos fraction", json: `{"eos_token_id": 2.5}`, wantErr: "eos_token_id"},
		{name: "eos too large", json: `{"eos_token_id": 1e12}`, wantErr: "eos_token_id"},
		{name: "do_sample string", json: `{"do_sample": "yes"}`, wantErr: "do_sample"},
		{name: "temperature string", json: `{"temperature": "hot"}`, wantErr: "temperature"},
		{name: "two errors", json: `{"top_k": -1, "max_new_tokens": "x"}`, wantErr: "top_k"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g, err := ParseGenerationConfig([]byte(tc.json))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one mentioning %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(g.EOSTokenIDs, tc.eos) {
				t.Errorf("eos %v, want %v", g.EOSTokenIDs, tc.eos)
			}
			if tc.check != nil && !tc.check(g) {
				t.Errorf("parsed %+v", g)
			}
		})
	}
}

func TestLoadGenerationConfig(t *testing.T) {
	g, err := LoadGenerationConfig(storiesDir)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(g.EOSTokenIDs, []int32{2}) || *g.BOSTokenID != 1 || *g.DoSample || *g.MaxLength != 512 {
		t.Errorf("stories260K: %+v", g)
	}
	// An encoder folder has none: an empty config, no error.
	g, err = LoadGenerationConfig(filepath.Join(tinyDir, "bert"))
	if err != nil || g.EOSTokenIDs != nil {
		t.Errorf("bert: %+v, %v", g, err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "generation_config.json"), []byte(`{"eos_token_id": "x"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadGenerationConfig(dir); err == nil || !strings.Contains(err.Error(), "generation_config.json") {
		t.Errorf("bad file: error %v, want one naming the file", err)
	}
}

func FuzzParseGenerationConfig(f *testing.F) {
	for _, name := range decoderFixtures {
		if data, err := os.ReadFile(filepath.Join(tinyDir, name, "generation_config.json")); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte(`{"eos_token_id": [1, 2.0, 3], "top_k": 50, "temperature": 1e308}`))
	f.Add([]byte(`{"eos_token_id": [[1]], "do_sample": null}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		g, err := ParseGenerationConfig(data)
		if err != nil {
			return
		}
		for _, id := range g.EOSTokenIDs {
			if id < 0 {
				t.Fatalf("negative eos id %d", id)
			}
		}
		for _, p := range []*int{g.TopK, g.MaxNewTokens, g.MaxLength} {
			if p != nil && *p < 0 {
				t.Fatalf("negative count %d", *p)
			}
		}
	})
}
