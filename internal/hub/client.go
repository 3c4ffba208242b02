package hub

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Defaults applied to zero fields of a Client.
const (
	DefaultConcurrency = 4
	DefaultRetries     = 5
	// DefaultStallTimeout is how long a download may receive nothing
	// before it counts as dropped (and is resumed).
	DefaultStallTimeout = 60 * time.Second
	defaultRetryWait    = time.Second
	maxRetryWait        = 30 * time.Second
	// DefaultProgressInterval spaces out a file's progress events.
	DefaultProgressInterval = 200 * time.Millisecond
)

// userAgent names hfserve to the Hub, as huggingface_hub names itself.
const userAgent = "hfserve (huggingface_hub-compatible)"

// Client talks to the Hugging Face Hub (or a mirror) the way
// huggingface_hub does, and downloads repos into a [Cache] in its layout.
// It implements [Downloader]. Build one with [NewClient]; the zero value
// of every tuning field takes its default. A Client keeps no state between
// calls and is safe for concurrent use.
type Client struct {
	// Endpoint is the Hub's base URL, e.g. "https://huggingface.co".
	Endpoint string
	// Token is sent as "Authorization: Bearer" to the Endpoint's host (never
	// to the storage a file redirects to, as huggingface_hub does);
	// empty sends none.
	Token string
	// Offline refuses every request with ErrOffline (HF_HUB_OFFLINE).
	Offline bool
	// HTTP sends the requests; nil is a client without an overall timeout
	// (downloads are long; StallTimeout catches a dead connection).
	HTTP *http.Client
	// Concurrency bounds the files one pull downloads at once.
	Concurrency int
	// Retries bounds the attempts per file after a dropped connection or
	// a 5xx/429 answer; each attempt resumes where the last one stopped.
	Retries int
	// RetryWait is the first wait between attempts; it doubles each time,
	// up to 30 s. Zero is one second.
	RetryWait time.Duration
	// StallTimeout ends a transfer that receives nothing for this long.
	StallTimeout time.Duration
	// ProgressInterval spaces out a file's EventProgress events.
	ProgressInterval time.Duration
	// Progress receives the events of downloads started through
	// Download (Store.Resolve); Pull takes its own.
	Progress func(PullEvent)

	// Seams for tests: wrapWriter wraps each file being written (to fail
	// like a full disk), freeSpace reports a folder's free bytes (-1:
	// unknown).
	wrapWriter func(io.Writer) io.Writer
	freeSpace  func(dir string) (int64, error)
}

var _ Downloader = (*Client)(nil)

// NewClient builds a Client from what the environment says (see
// ReadHubEnv).
func NewClient(env HubEnv) *Client {
	return &Client{Endpoint: env.Endpoint, Token: env.Token, Offline: env.Offline}
}

func (c *Client) httpClient() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return http.DefaultClient
}

func (c *Client) endpoint() string {
	if c.Endpoint == "" {
		return DefaultEndpoint
	}
	return strings.TrimRight(c.Endpoint, "/")
}

func orDefault[T int | time.Duration](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}

// request is one Hub call's description, for errors.
type request struct {
	method, url    string
	repo, revision string
	path           string      // the file, for EntryNotFound messages
	header         http.Header // extra headers (Range)
	followRedirect bool        // follow every redirect (GET of a file)
}

// do sends r. The token goes only to the Endpoint's host; a redirect is
// followed only when r.followRedirect (Go drops the token when it leaves
// the host). An error status becomes a *HubError; the caller closes the
// body of any other answer.
func (c *Client) do(ctx context.Context, r request) (*http.Response, error) {
	if c.Offline {
		return nil, fmt.Errorf("hub: %s %s: %w", r.method, r.url, ErrOffline)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, r.url, nil)
	if err != nil {
		return nil, fmt.Errorf("hub: %s %s: %w", r.method, r.url, err)
	}
	for k, v := range r.header {
		req.Header[k] = v
	}
	req.Header.Set("User-Agent", userAgent)
	// Sizes and hashes are of the stored bytes: no transparent gzip.
	req.Header.Set("Accept-Encoding", "identity")
	hasToken := c.Token != "" && c.sameHost(r.url)
	if hasToken {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	hc := c.httpClient()
	if !r.followRedirect {
		noRedirect := *hc
		noRedirect.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		hc = &noRedirect
	}
	resp, err := hc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("hub: %s %s: %w", r.method, r.url, context.Cause(ctx))
		}
		return nil, fmt.Errorf("hub: %s %s: %w: %w", r.method, r.url, errNetwork, err)
	}
	if resp.StatusCode < 400 {
		return resp, nil
	}
	defer resp.Body.Close()
	msg := resp.Header.Get("X-Error-Message")
	if msg == "" {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 300))
		msg = strings.TrimSpace(string(b))
	}
	return nil, &HubError{
		Kind: classify(resp.StatusCode, resp.Header.Get("X-Error-Code"), msg), Status: resp.StatusCode,
		Repo: r.repo, Revision: r.revision, Path: r.path, URL: r.url, Message: oneLineMessage(msg), HasToken: hasToken,
	}
}

// sameHost reports whether u is on the Endpoint's host (the token's only
// destination).
func (c *Client) sameHost(u string) bool {
	a, err1 := url.Parse(u)
	b, err2 := url.Parse(c.endpoint())
	return err1 == nil && err2 == nil && a.Host == b.Host
}

// oneLineMessage keeps an error body to one short line.
func oneLineMessage(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 300 {
		s = s[:300] + "..."
	}
	return s
}

// repoURL builds {endpoint}/{repo}/resolve/{revision}/{path} as
// huggingface_hub's hf_hub_url: the revision escaped whole (refs/pr/1 →
// refs%2Fpr%2F1), the path escaped per segment.
func (c *Client) resolveURL(repo, revision, path string) string {
	segs := strings.Split(path, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return c.endpoint() + "/" + repo + "/resolve/" + url.PathEscape(revision) + "/" + strings.Join(segs, "/")
}

// retryable reports whether err is worth another attempt: a 5xx or 429
// answer, or the network failing (refused, dropped, stalled, cut short).
func retryable(ctx context.Context, err error) bool {
	if ctx.Err() != nil {
		return false
	}
	var he *HubError
	if errors.As(err, &he) {
		return he.Temporary()
	}
	return errors.Is(err, errNetwork) || errors.Is(err, errRestart) || errors.Is(err, io.ErrUnexpectedEOF)
}

// errNetwork marks failures of the connection to the Hub.
var errNetwork = errors.New("network")

// errLocal marks failures of the local file system, which retrying does
// not fix.
var errLocal = errors.New("local file system")

// withRetry runs call until it succeeds, fails for good, or has failed
// Retries times, waiting RetryWait (doubling) in between.
func (c *Client) withRetry(ctx context.Context, call func() error) error {
	wait := orDefault(c.RetryWait, defaultRetryWait)
	for attempt := 1; ; attempt++ {
		err := call()
		if err == nil || !retryable(ctx, err) || attempt >= orDefault(c.Retries, DefaultRetries) {
			return err
		}
		if err := sleepCtx(ctx, wait); err != nil {
			return err
		}
		wait = min(2*wait, maxRetryWait)
	}
}

// sleepCtx waits d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
