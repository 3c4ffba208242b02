package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"hfserve/internal/loadgen"
)

const benchDescription = `Load-test a running hfserve (or any OpenAI-compatible server): CONCURRENCY
clients send requests back to back to one endpoint and model, and the report
gives requests/s, tokens/s (from the server's usage counts), latency
percentiles, time to first token and time per output token (streamed
generations), errors by kind, and how the response cache answered (X-Cache).
Each prompt is distinct, so a response cache does not answer them unless
--same-prompt is given; --cache-control no-cache then measures the misses.`

func runBench(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "bench", "bench [flags]", benchDescription)
	var cfg loadgen.Config
	server := fs.String("server", "http://127.0.0.1:8080", "the server's base URL")
	fs.StringVar(&cfg.Endpoint, "endpoint", loadgen.EndpointCompletions, "chat, completions or embeddings")
	fs.StringVar(&cfg.Model, "model", "", "model id (default: the server's first model)")
	fs.IntVar(&cfg.Concurrency, "concurrency", 1, "clients sending requests at the same time")
	fs.IntVar(&cfg.Requests, "requests", 100, "requests to send in all (ignored with --duration)")
	fs.DurationVar(&cfg.Duration, "duration", 0, "send requests for this long instead of a count, e.g. 30s")
	fs.IntVar(&cfg.PromptWords, "prompt-words", 32, "words per prompt or embedding input (about one token each)")
	fs.IntVar(&cfg.Batch, "batch", 1, "inputs per embeddings request")
	fs.IntVar(&cfg.MaxTokens, "max-tokens", 128, "max_tokens of each generation")
	fs.BoolVar(&cfg.Stream, "stream", true, "stream generations (needed for time to first token)")
	fs.BoolVar(&cfg.IgnoreEOS, "ignore-eos", true, "generate exactly --max-tokens tokens (ignore end-of-sequence)")
	fs.Float64Var(&cfg.Temperature, "temperature", 0, "sampling temperature (0: greedy)")
	fs.BoolVar(&cfg.SamePrompt, "same-prompt", false, "send one identical prompt every time (cache benchmarks)")
	fs.StringVar(&cfg.CacheControl, "cache-control", "", `Cache-Control header of every request: "no-cache" makes hfserve compute answers it has cached (the misses of a --same-prompt run)`)
	fs.StringVar(&cfg.APIKey, "api-key", "", "API key, when the server requires one (default: $HFSERVE_API_KEY)")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("bench: unexpected argument %q", fs.Arg(0))
	}
	u, err := url.Parse(*server)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return usagef("bench: --server must be an http(s) URL such as http://127.0.0.1:8080, got %q", *server)
	}
	cfg.BaseURL = strings.TrimRight(*server, "/")
	if cfg.APIKey == "" {
		cfg.APIKey, _ = e.lookupEnv("HFSERVE_API_KEY")
	}
	if cfg.Model == "" {
		m, err := firstModel(ctx, cfg.BaseURL, cfg.APIKey)
		if err != nil {
			return err
		}
		cfg.Model = m
	}
	if err := cfg.Check(); err != nil {
		return usageError{err}
	}
	rep, err := loadgen.Run(ctx, cfg)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
	} else if err := rep.WriteText(e.stdout); err != nil {
		return err
	}
	if rep.Requests > 0 && rep.Errors == rep.Requests {
		return fmt.Errorf("bench: every request failed (%v)", rep.ErrorsByKind)
	}
	return nil
}

// firstModel asks the server for its model list and returns the first id.
func firstModel(ctx context.Context, base, key string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/v1/models", nil)
	if err != nil {
		return "", fmt.Errorf("bench: %w", err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", fmt.Errorf("bench: is the server running? %w", err)
	}
	defer resp.Body.Close()
	var list struct {
		Data []struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("bench: GET /v1/models answered %s", resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil || len(list.Data) == 0 {
		return "", fmt.Errorf("bench: the server lists no model (give --model)")
	}
	return list.Data[0].ID, nil
}
