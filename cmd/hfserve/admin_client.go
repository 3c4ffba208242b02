package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"hfserve/api"
)

// adminClient talks to a running server's admin API, for the CLI commands
// that manage it (keys, ps).
type adminClient struct {
	base string // scheme://host[:port], no trailing slash
	key  string // admin key; "" sends none
	cmd  string // the command's name, for messages
}

// adminFlags are the flags every admin command takes, as ps takes them.
type adminFlags struct {
	server, apiKey *string
	asJSON         *bool
	timeout        *time.Duration
}

func addAdminFlags(fs *flag.FlagSet) adminFlags {
	return adminFlags{
		server:  fs.String("server", "", "the server's base URL (default: http:// + serve's listen address, 127.0.0.1:8080)"),
		apiKey:  fs.String("api-key", "", "admin API key (default: $HFSERVE_ADMIN_KEY)"),
		asJSON:  fs.Bool("json", false, "print the server's JSON answer"),
		timeout: fs.Duration("timeout", 10*time.Second, "how long to wait for the server"),
	}
}

// client resolves the flags against the environment: --server, else
// $HFSERVE_LISTEN, else 127.0.0.1:8080; --api-key, else $HFSERVE_ADMIN_KEY.
func (f adminFlags) client(e *env, cmd string) (*adminClient, error) {
	base := *f.server
	if base == "" {
		base = "http://127.0.0.1:8080"
		if v, ok := e.lookupEnv("HFSERVE_LISTEN"); ok && v != "" {
			base = "http://" + v
		}
	}
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, usagef("%s: --server must be an http(s) URL such as http://127.0.0.1:8080, got %q", cmd, base)
	}
	key := *f.apiKey
	if key == "" {
		key, _ = e.lookupEnv("HFSERVE_ADMIN_KEY")
	}
	return &adminClient{base: strings.TrimRight(base, "/"), key: key, cmd: cmd}, nil
}

// maxAdminAnswer bounds what the CLI reads of an answer.
const maxAdminAnswer = 64 << 20

// do sends a request with body (nil: none; otherwise encoded as JSON) and
// returns the answer's body when its status is wantStatus; any other
// status becomes an error carrying the server's message.
func (c *adminClient) do(ctx context.Context, method, path string, body any, wantStatus int) ([]byte, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", c.cmd, err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c.cmd, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.key != "" {
		req.Header.Set("Authorization", "Bearer "+c.key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s: is hfserve running? %w", c.cmd, err)
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, maxAdminAnswer))
	if err != nil {
		return nil, fmt.Errorf("%s: reading %s %s: %w", c.cmd, method, path, err)
	}
	if resp.StatusCode != wantStatus {
		var e api.ErrorResponse
		if json.Unmarshal(answer, &e) == nil && e.Error.Message != "" {
			return nil, fmt.Errorf("%s: %s: %s", c.cmd, resp.Status, e.Error.Message)
		}
		return nil, fmt.Errorf("%s: %s %s answered %s", c.cmd, method, path, resp.Status)
	}
	return answer, nil
}
