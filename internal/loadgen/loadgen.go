// Package loadgen is the load generator behind `hfserve bench`: it drives a
// running server's OpenAI endpoints (chat completions, completions,
// embeddings) with a fixed number of concurrent clients and reports
// throughput, latency percentiles, time to first token, time per output
// token and errors by kind.
//
// It speaks plain HTTP (no SDK) so that what it measures is the server, and
// it reads token counts from the server's usage fields (streams ask for them
// with stream_options.include_usage), so tokens/s are the model's tokens, not
// an estimate. Every request's prompt is distinct (a request number leads
// it), so a response cache cannot turn the benchmark into a cache benchmark
// unless asked to (SamePrompt).
package loadgen

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// The endpoints a benchmark can drive.
const (
	EndpointChat        = "chat"
	EndpointCompletions = "completions"
	EndpointEmbeddings  = "embeddings"
)

// Config describes one benchmark run.
type Config struct {
	// BaseURL is the server, e.g. http://127.0.0.1:8080.
	BaseURL string
	// APIKey is sent as a bearer token when set.
	APIKey string
	// Endpoint is EndpointChat, EndpointCompletions or EndpointEmbeddings.
	Endpoint string
	// Model is the model id; required.
	Model string
	// Concurrency is the number of clients, each sending its next request
	// when the previous one ends.
	Concurrency int
	// Requests is how many requests to send in all; Duration, when set,
	// instead sends until it has passed (requests in flight then finish).
	Requests int
	Duration time.Duration
	// PromptWords is the length of each prompt in words (about one token
	// each for the usual tokenizers); Batch is the number of inputs per
	// embeddings request.
	PromptWords, Batch int
	// MaxTokens is each generation's max_tokens.
	MaxTokens int
	// Stream asks for streamed generations (needed for time to first
	// token).
	Stream bool
	// IgnoreEOS keeps generating to MaxTokens (the vLLM extension hfserve
	// accepts), so every request produces the same number of tokens.
	IgnoreEOS bool
	// Temperature of the generations (0: greedy).
	Temperature float64
	// SamePrompt sends the same prompt every time (for cache benchmarks).
	SamePrompt bool
	// CacheControl, when set, is sent as each request's Cache-Control
	// header: "no-cache" measures the misses of the requests a
	// SamePrompt run would otherwise answer from hfserve's cache.
	CacheControl string
	// Client is the HTTP client; nil uses one without timeouts.
	Client *http.Client
}

// Percentiles summarise a distribution in seconds.
type Percentiles struct {
	Mean float64 `json:"mean"`
	P50  float64 `json:"p50"`
	P95  float64 `json:"p95"`
	P99  float64 `json:"p99"`
	Max  float64 `json:"max"`
}

// Report is the outcome of a run.
type Report struct {
	Endpoint    string `json:"endpoint"`
	Model       string `json:"model"`
	Concurrency int    `json:"concurrency"`
	Stream      bool   `json:"stream"`
	// Requests counts finished requests, Errors the failed ones among them,
	// by kind ("http_503", "transport", "bad_response", ...).
	Requests     int            `json:"requests"`
	Errors       int            `json:"errors"`
	ErrorsByKind map[string]int `json:"errors_by_kind"`
	// Seconds is the wall time of the run.
	Seconds float64 `json:"seconds"`
	// RequestsPerSecond counts successful requests.
	RequestsPerSecond float64 `json:"requests_per_second"`
	// PromptTokens and OutputTokens are summed from usage; the rates are
	// per second of wall time.
	PromptTokens           int          `json:"prompt_tokens"`
	OutputTokens           int          `json:"output_tokens"`
	PromptTokensPerSecond  float64      `json:"prompt_tokens_per_second"`
	OutputTokensPerSecond  float64      `json:"output_tokens_per_second"`
	Latency                Percentiles  `json:"latency_seconds"`
	TimeToFirstToken       *Percentiles `json:"time_to_first_token_seconds,omitempty"`
	TimePerOutputToken     *Percentiles `json:"time_per_output_token_seconds,omitempty"`
	MeanOutputTokensPerReq float64      `json:"mean_output_tokens_per_request"`
	// Cache counts the successful responses by their X-Cache header (hit,
	// miss, bypass); absent when the server sent none.
	Cache map[string]int `json:"cache,omitempty"`
}

// sample is one request's measurements.
type sample struct {
	err           string // error kind, "" on success
	latency, ttft time.Duration
	prompt, out   int
	xcache        string // the response's X-Cache header
}

// Check validates cfg.
func (c *Config) Check() error {
	switch c.Endpoint {
	case EndpointChat, EndpointCompletions, EndpointEmbeddings:
	default:
		return fmt.Errorf("loadgen: endpoint %q: want chat, completions or embeddings", c.Endpoint)
	}
	switch {
	case c.Model == "":
		return errors.New("loadgen: no model")
	case c.Concurrency < 1:
		return fmt.Errorf("loadgen: concurrency %d: want at least 1", c.Concurrency)
	case c.Requests < 1 && c.Duration <= 0:
		return errors.New("loadgen: give a request count or a duration")
	case c.PromptWords < 1:
		return fmt.Errorf("loadgen: prompt length %d: want at least 1 word", c.PromptWords)
	case c.Endpoint != EndpointEmbeddings && c.MaxTokens < 1:
		return fmt.Errorf("loadgen: max tokens %d: want at least 1", c.MaxTokens)
	}
	return nil
}

// Run drives the server and returns the report. It stops early, with what
// it measured so far, when ctx ends.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if err := cfg.Check(); err != nil {
		return nil, err
	}
	if cfg.Batch < 1 {
		cfg.Batch = 1
	}
	client := cfg.Client
	if client == nil {
		client = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: cfg.Concurrency * 2}}
	}
	var (
		mu      sync.Mutex
		samples []sample
		next    int
	)
	start := time.Now()
	var deadline time.Time
	if cfg.Duration > 0 {
		deadline = start.Add(cfg.Duration)
	}
	take := func() (int, bool) {
		mu.Lock()
		defer mu.Unlock()
		if ctx.Err() != nil || (cfg.Duration > 0 && time.Now().After(deadline)) || (cfg.Duration <= 0 && next >= cfg.Requests) {
			return 0, false
		}
		next++
		return next - 1, true
	}
	var wg sync.WaitGroup
	for range cfg.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i, ok := take()
				if !ok {
					return
				}
				s := one(ctx, client, &cfg, i)
				if ctx.Err() != nil && s.err != "" {
					return // cut short by the caller, not a server error
				}
				mu.Lock()
				samples = append(samples, s)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return summarise(&cfg, samples, time.Since(start)), nil
}

// prompt builds request i's text.
func prompt(cfg *Config, i, input int) string {
	var b strings.Builder
	if !cfg.SamePrompt {
		fmt.Fprintf(&b, "Request %d.%d: ", i, input)
	}
	words := []string{"once", "upon", "a", "time", "there", "was", "a", "little", "girl", "named", "Lily", "who", "loved", "to", "play", "in", "the", "park"}
	for w := range cfg.PromptWords {
		if w > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(words[w%len(words)])
	}
	return b.String()
}

// one sends request i and measures it.
func one(ctx context.Context, client *http.Client, cfg *Config, i int) sample {
	body := map[string]any{"model": cfg.Model}
	path := "/v1/" + cfg.Endpoint
	switch cfg.Endpoint {
	case EndpointEmbeddings:
		inputs := make([]string, cfg.Batch)
		for k := range inputs {
			inputs[k] = prompt(cfg, i, k)
		}
		body["input"] = inputs
	case EndpointChat:
		path = "/v1/chat/completions"
		body["messages"] = []map[string]string{{"role": "user", "content": prompt(cfg, i, 0)}}
	case EndpointCompletions:
		body["prompt"] = prompt(cfg, i, 0)
	}
	if cfg.Endpoint != EndpointEmbeddings {
		body["max_tokens"] = cfg.MaxTokens
		body["temperature"] = cfg.Temperature
		if cfg.IgnoreEOS {
			body["ignore_eos"] = true
		}
		if cfg.Stream {
			body["stream"] = true
			body["stream_options"] = map[string]any{"include_usage": true}
		}
	}
	data, _ := json.Marshal(body)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(cfg.BaseURL, "/")+path, bytes.NewReader(data))
	if err != nil {
		return sample{err: "request"}
	}
	req.Header.Set("Content-Type", "application/json")
	if cfg.APIKey != "" {
		req.Header.Set("Authorization", "Bearer "+cfg.APIKey)
	}
	if cfg.CacheControl != "" {
		req.Header.Set("Cache-Control", cfg.CacheControl)
	}
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return sample{err: "transport", latency: time.Since(start)}
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		io.Copy(io.Discard, resp.Body)
		return sample{err: fmt.Sprintf("http_%d", resp.StatusCode), latency: time.Since(start)}
	}
	if cfg.Stream && cfg.Endpoint != EndpointEmbeddings {
		s := readStream(resp.Body, start)
		s.xcache = resp.Header.Get("X-Cache")
		return s
	}
	var out struct {
		Usage struct {
			PromptTokens     int `json:"prompt_tokens"`
			CompletionTokens int `json:"completion_tokens"`
		} `json:"usage"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return sample{err: "bad_response", latency: time.Since(start)}
	}
	return sample{latency: time.Since(start), prompt: out.Usage.PromptTokens, out: out.Usage.CompletionTokens, xcache: resp.Header.Get("X-Cache")}
}

// readStream reads an SSE generation, timing its first content.
func readStream(body io.Reader, start time.Time) sample {
	var s sample
	sc := bufio.NewScanner(body)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	done := false
	for sc.Scan() {
		data, ok := strings.CutPrefix(sc.Text(), "data:")
		if !ok {
			continue
		}
		data = strings.TrimSpace(data)
		if data == "[DONE]" {
			done = true
			break
		}
		var chunk struct {
			Choices []struct {
				Text  string `json:"text"`
				Delta struct {
					Content string `json:"content"`
				} `json:"delta"`
			} `json:"choices"`
			Usage *struct {
				PromptTokens     int `json:"prompt_tokens"`
				CompletionTokens int `json:"completion_tokens"`
			} `json:"usage"`
			Error json.RawMessage `json:"error"`
		}
		if err := json.Unmarshal([]byte(data), &chunk); err != nil {
			s.err = "bad_response"
			break
		}
		if len(chunk.Error) > 0 && string(chunk.Error) != "null" {
			s.err = "stream_error"
			break
		}
		if s.ttft == 0 {
			for _, c := range chunk.Choices {
				if c.Text != "" || c.Delta.Content != "" {
					s.ttft = time.Since(start)
				}
			}
		}
		if chunk.Usage != nil {
			s.prompt, s.out = chunk.Usage.PromptTokens, chunk.Usage.CompletionTokens
		}
	}
	s.latency = time.Since(start)
	if s.err == "" && (sc.Err() != nil || !done) {
		s.err = "stream_cut"
	}
	if s.ttft == 0 {
		s.ttft = s.latency
	}
	return s
}

func summarise(cfg *Config, samples []sample, wall time.Duration) *Report {
	r := &Report{Endpoint: cfg.Endpoint, Model: cfg.Model, Concurrency: cfg.Concurrency, Stream: cfg.Stream,
		Requests: len(samples), ErrorsByKind: map[string]int{}, Seconds: wall.Seconds()}
	var lat, ttft, tpot []float64
	ok := 0
	for _, s := range samples {
		if s.err != "" {
			r.Errors++
			r.ErrorsByKind[s.err]++
			continue
		}
		ok++
		if s.xcache != "" {
			if r.Cache == nil {
				r.Cache = map[string]int{}
			}
			r.Cache[s.xcache]++
		}
		r.PromptTokens += s.prompt
		r.OutputTokens += s.out
		lat = append(lat, s.latency.Seconds())
		if cfg.Stream && cfg.Endpoint != EndpointEmbeddings {
			ttft = append(ttft, s.ttft.Seconds())
			if s.out > 1 {
				tpot = append(tpot, (s.latency-s.ttft).Seconds()/float64(s.out-1))
			}
		}
	}
	if secs := wall.Seconds(); secs > 0 {
		r.RequestsPerSecond = float64(ok) / secs
		r.PromptTokensPerSecond = float64(r.PromptTokens) / secs
		r.OutputTokensPerSecond = float64(r.OutputTokens) / secs
	}
	if ok > 0 {
		r.MeanOutputTokensPerReq = float64(r.OutputTokens) / float64(ok)
	}
	r.Latency = percentiles(lat)
	if len(ttft) > 0 {
		p := percentiles(ttft)
		r.TimeToFirstToken = &p
	}
	if len(tpot) > 0 {
		p := percentiles(tpot)
		r.TimePerOutputToken = &p
	}
	return r
}

// percentiles uses the nearest-rank method.
func percentiles(xs []float64) Percentiles {
	if len(xs) == 0 {
		return Percentiles{}
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	rank := func(p float64) float64 {
		i := int(math.Ceil(p/100*float64(len(s)))) - 1
		return s[min(max(i, 0), len(s)-1)]
	}
	var sum float64
	for _, x := range s {
		sum += x
	}
	return Percentiles{Mean: sum / float64(len(s)), P50: rank(50), P95: rank(95), P99: rank(99), Max: s[len(s)-1]}
}

// WriteText prints the report for people.
func (r *Report) WriteText(w io.Writer) error {
	ms := func(x float64) string { return fmt.Sprintf("%.1f ms", x*1000) }
	var b strings.Builder
	fmt.Fprintf(&b, "endpoint %s, model %s, concurrency %d, stream %t\n", r.Endpoint, r.Model, r.Concurrency, r.Stream)
	fmt.Fprintf(&b, "requests        %d in %.2f s (%d errors)\n", r.Requests, r.Seconds, r.Errors)
	fmt.Fprintf(&b, "throughput      %.2f req/s, %.1f output tok/s, %.1f prompt tok/s\n", r.RequestsPerSecond, r.OutputTokensPerSecond, r.PromptTokensPerSecond)
	fmt.Fprintf(&b, "latency         p50 %s  p95 %s  p99 %s  max %s\n", ms(r.Latency.P50), ms(r.Latency.P95), ms(r.Latency.P99), ms(r.Latency.Max))
	if p := r.TimeToFirstToken; p != nil {
		fmt.Fprintf(&b, "first token     p50 %s  p95 %s  p99 %s\n", ms(p.P50), ms(p.P95), ms(p.P99))
	}
	if p := r.TimePerOutputToken; p != nil {
		fmt.Fprintf(&b, "per out. token  p50 %s  p95 %s  p99 %s\n", ms(p.P50), ms(p.P95), ms(p.P99))
	}
	if len(r.Cache) > 0 {
		kinds := make([]string, 0, len(r.Cache))
		for k, n := range r.Cache {
			kinds = append(kinds, fmt.Sprintf("%s=%d", k, n))
		}
		slices.Sort(kinds)
		fmt.Fprintf(&b, "cache           %s\n", strings.Join(kinds, " "))
	}
	if r.Errors > 0 {
		kinds := make([]string, 0, len(r.ErrorsByKind))
		for k, n := range r.ErrorsByKind {
			kinds = append(kinds, fmt.Sprintf("%s=%d", k, n))
		}
		slices.Sort(kinds)
		fmt.Fprintf(&b, "errors          %s\n", strings.Join(kinds, " "))
	}
	_, err := io.WriteString(w, b.String())
	return err
}
