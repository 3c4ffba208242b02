package main

// End-to-end tests: build the real binary, run `hfserve serve` on a loopback
// port, talk to it over HTTP with the official OpenAI Go SDK and plain
// requests, and stop it with SIGTERM as an init system would.

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"golang.org/x/sys/cpu"
)

// buildBinary compiles cmd/hfserve once per test binary run.
var buildOnce = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "hfserve-e2e-")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "hfserve")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", errors.New("go build: " + err.Error() + "\n" + string(out))
	}
	return bin, nil
})

// serverProcess is a running `hfserve serve`.
type serverProcess struct {
	cmd     *exec.Cmd
	baseURL string
	logs    *logBuffer
	exited  chan error    // Wait's result, once
	done    chan struct{} // closed when Wait has returned
}

type logBuffer struct {
	mu    sync.Mutex
	lines []string
}

func (l *logBuffer) add(s string) { l.mu.Lock(); l.lines = append(l.lines, s); l.mu.Unlock() }
func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

// startServer runs the binary with args (plus a loopback listen address and
// JSON logs) and waits for it to report its address and answer /ready.
func startServer(t *testing.T, env []string, args ...string) *serverProcess {
	t.Helper()
	return startServerWith(t, http.DefaultClient, env, args...)
}

// startServerWith is startServer probing /ready with client (one that
// trusts the server's certificate, for HTTPS).
func startServerWith(t *testing.T, client *http.Client, env []string, args ...string) *serverProcess {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end test skipped in -short mode")
	}
	bin, err := buildOnce()
	if err != nil {
		t.Fatal(err)
	}
	full := append([]string{"serve", "--listen", "127.0.0.1:0", "--log-format", "json", "--data-dir", t.TempDir()}, args...)
	cmd := exec.Command(bin, full...)
	cmd.Env = append([]string{"HOME=" + t.TempDir(), "PATH=" + os.Getenv("PATH")}, env...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &serverProcess{cmd: cmd, logs: &logBuffer{}, exited: make(chan error, 1), done: make(chan struct{})}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			p.logs.add(line)
			var rec struct {
				Msg  string `json:"msg"`
				Addr string `json:"addr"`
				URL  string `json:"url"`
			}
			if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "listening" {
				if rec.URL == "" {
					rec.URL = "http://" + rec.Addr
				}
				addr <- rec.URL
			}
		}
		p.exited <- cmd.Wait()
		close(p.done)
	}()
	// A server the test did not stop is killed and reaped here. done, not
	// cmd.ProcessState, says whether it has exited: Wait sets ProcessState
	// on the goroutine above, unsynchronised with this one.
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() {
			t.Logf("server logs:\n%s", p.logs)
		}
	})
	select {
	case u := <-addr:
		p.baseURL = u
	case err := <-p.exited:
		t.Fatalf("server exited before listening: %v\n%s", err, p.logs)
	case <-time.After(60 * time.Second):
		t.Fatalf("server did not report its address\n%s", p.logs)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := client.Get(p.baseURL + "/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("/ready never answered 200 (last: %v)\n%s", err, p.logs)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stop sends SIGTERM and waits for a clean exit.
func (p *serverProcess) stop(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-p.exited:
		if err != nil {
			t.Fatalf("server exited with %v after SIGTERM\n%s", err, p.logs)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("server did not stop within 30s of SIGTERM\n%s", p.logs)
	}
}

func getJSON(t *testing.T, url string, wantStatus int, into any) http.Header {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != wantStatus {
		t.Fatalf("GET %s: status %d, want %d; body %s", url, resp.StatusCode, wantStatus, body)
	}
	if err := json.Unmarshal(body, into); err != nil {
		t.Fatalf("GET %s: body is not JSON: %v: %s", url, err, body)
	}
	return resp.Header
}

func TestE2EServeBuiltinDefault(t *testing.T) {
	p := startServer(t, nil)

	var health map[string]any
	h := getJSON(t, p.baseURL+"/health", http.StatusOK, &health)
	if health["status"] != "ok" {
		t.Fatalf("/health = %v", health)
	}
	if h.Get("X-Request-ID") == "" {
		t.Fatal("no X-Request-ID on the response")
	}

	// The official OpenAI SDK lists the models.
	client := openai.NewClient(option.WithBaseURL(p.baseURL+"/v1/"), option.WithAPIKey("unused"), option.WithMaxRetries(0))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	page, err := client.Models.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Data) != 1 || page.Data[0].ID != "stories260k" {
		t.Fatalf("models = %+v, want only the built-in stories260k", page.Data)
	}
	m, err := client.Models.Get(ctx, "stories260k")
	if err != nil || m.ID != "stories260k" {
		t.Fatalf("Models.Get = %+v, %v", m, err)
	}

	// Errors come in the OpenAI shape, and the SDK understands them.
	_, err = client.Models.Get(ctx, "no-such-model")
	var apiErr *openai.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusNotFound {
		t.Fatalf("Models.Get(unknown) error = %v, want a 404 openai.Error", err)
	}
	var shape struct {
		Error struct {
			Message string  `json:"message"`
			Type    string  `json:"type"`
			Param   *string `json:"param"`
			Code    *string `json:"code"`
		} `json:"error"`
	}
	getJSON(t, p.baseURL+"/v1/no/such/route", http.StatusNotFound, &shape)
	if shape.Error.Message == "" || shape.Error.Type != "invalid_request_error" {
		t.Fatalf("404 body not in the OpenAI error shape: %+v", shape)
	}

	// A client-chosen request id is echoed and appears in the logs.
	req, _ := http.NewRequest("GET", p.baseURL+"/v1/models", nil)
	req.Header.Set("X-Request-ID", "e2e-request-42")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := resp.Header.Get("X-Request-ID"); got != "e2e-request-42" {
		t.Fatalf("X-Request-ID echoed as %q", got)
	}

	// The hardware report shows the machine and the kernels in use.
	var hw struct {
		CPUFeatures   []string `json:"cpu_features"`
		LogicalCores  int      `json:"logical_cores"`
		Backend       string   `json:"backend"`
		KernelSet     string   `json:"kernel_set"`
		KernelThreads int      `json:"kernel_threads"`
		Accelerators  []any    `json:"accelerators"`
	}
	getJSON(t, p.baseURL+"/admin/hardware", http.StatusOK, &hw)
	if hw.LogicalCores < 1 || hw.Backend != "cpu" || hw.KernelSet == "" || hw.KernelThreads < 1 || hw.Accelerators == nil {
		t.Fatalf("/admin/hardware = %+v", hw)
	}

	p.stop(t)
	if !strings.Contains(p.logs.String(), `"request_id":"e2e-request-42"`) {
		t.Fatalf("request id not in the logs:\n%s", p.logs)
	}
}

func TestE2EServeModelFlags(t *testing.T) {
	tiny, err := filepath.Abs("../../testdata/models/tiny")
	if err != nil {
		t.Fatal(err)
	}
	p := startServer(t, nil, "--model", "chat="+filepath.Join(tiny, "qwen3"), "--model-dir", filepath.Join(tiny))
	var list struct {
		Object string `json:"object"`
		Data   []struct {
			ID     string `json:"id"`
			Object string `json:"object"`
		} `json:"data"`
	}
	getJSON(t, p.baseURL+"/v1/models", http.StatusOK, &list)
	ids := map[string]bool{}
	for _, m := range list.Data {
		ids[m.ID] = true
	}
	for _, want := range []string{"chat", "llama", "bert", "qwen2", "xlm-roberta"} {
		if !ids[want] {
			t.Errorf("model %q missing from /v1/models: %v", want, ids)
		}
	}
	if list.Object != "list" {
		t.Errorf("object = %q, want list", list.Object)
	}
	p.stop(t)
}

func TestE2EBadConfigFailsFast(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test skipped in -short mode")
	}
	bin, err := buildOnce()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "serve", "--max-batch-size", "-3")
	cmd.Env = []string{"HOME=" + t.TempDir()}
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 2 {
		t.Fatalf("want exit code 2, got %v: %s", err, out)
	}
	if !strings.Contains(string(out), "max_batch_size") || strings.Count(strings.TrimSpace(string(out)), "\n") != 0 {
		t.Fatalf("want one line naming max_batch_size, got %q", out)
	}
}

// adminModels reads GET /admin/models into id → state.
func adminModels(t *testing.T, base string) map[string]string {
	t.Helper()
	var list struct {
		Object string `json:"object"`
		Data   []struct {
			ID    string `json:"id"`
			State string `json:"state"`
			Loads int    `json:"loads"`
		} `json:"data"`
	}
	getJSON(t, base+"/admin/models", http.StatusOK, &list)
	states := map[string]string{}
	for _, m := range list.Data {
		states[m.ID] = m.State
	}
	return states
}

func postStatus(t *testing.T, url string) int {
	t.Helper()
	resp, err := http.Post(url, "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

func TestE2EAdminModelLifecycle(t *testing.T) {
	tiny, err := filepath.Abs("../../testdata/models/tiny")
	if err != nil {
		t.Fatal(err)
	}
	// bert is preloaded: /ready waits for it. llama loads on demand.
	p := startServer(t, nil, "--model", "bert="+filepath.Join(tiny, "bert"), "--model", "llama="+filepath.Join(tiny, "llama"),
		"--preload", "--keep-alive", "-1")
	if got := adminModels(t, p.baseURL); got["bert"] != "loaded" || got["llama"] != "loaded" {
		t.Fatalf("after preload: %v, want both loaded", got)
	}
	if code := postStatus(t, p.baseURL+"/admin/models/llama/unload"); code != http.StatusOK {
		t.Fatalf("unload: status %d", code)
	}
	if got := adminModels(t, p.baseURL); got["llama"] != "available" || got["bert"] != "loaded" {
		t.Fatalf("after unload: %v", got)
	}
	if code := postStatus(t, p.baseURL+"/admin/models/llama/load"); code != http.StatusOK {
		t.Fatalf("load: status %d", code)
	}
	if got := adminModels(t, p.baseURL); got["llama"] != "loaded" {
		t.Fatalf("after load: %v", got)
	}
	if code := postStatus(t, p.baseURL+"/admin/models/nope/load"); code != http.StatusNotFound {
		t.Fatalf("load unknown model: status %d, want 404", code)
	}
	if code := postStatus(t, p.baseURL+"/admin/models/llama/explode"); code != http.StatusNotFound && code != http.StatusBadRequest {
		t.Fatalf("unknown action: status %d", code)
	}
	p.stop(t)
}

// TestE2EKernelsSetting: the kernels setting reaches the tensor package (the
// hardware report names the set, and the built-in model still tells its story
// on the portable kernels), a name that is not a set fails like any bad
// setting, and a set this CPU lacks stops the start with a clear message.
func TestE2EKernelsSetting(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test skipped in -short mode")
	}
	bin, err := buildOnce()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "serve", "--kernels", "neon")
	cmd.Env = []string{"HOME=" + t.TempDir()}
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 2 || !strings.Contains(string(out), "kernels") {
		t.Fatalf("--kernels neon: want exit code 2 naming kernels, got %v: %s", err, out)
	}
	// run (generation without a server) refuses a bad value the same way.
	cmd = exec.Command(bin, "run", "builtin", "Once upon a time")
	cmd.Env = []string{"HOME=" + t.TempDir(), "HFSERVE_KERNELS=neon"}
	if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), `HFSERVE_KERNELS="neon": not a kernel set`) {
		t.Fatalf("run with HFSERVE_KERNELS=neon: want a refusal, got %v: %s", err, out)
	}
	if runtime.GOARCH == "amd64" && !cpu.X86.HasAVX512F {
		cmd := exec.Command(bin, "serve", "--listen", "127.0.0.1:0")
		cmd.Env = []string{"HOME=" + t.TempDir(), "HFSERVE_KERNELS=avx512"}
		out, err := cmd.CombinedOutput()
		if err == nil || !strings.Contains(string(out), `HFSERVE_KERNELS="avx512": this CPU or build runs only`) {
			t.Fatalf("HFSERVE_KERNELS=avx512 without AVX-512: want a refusal, got %v: %s", err, out)
		}
	}

	p := startServer(t, nil, "--kernels", "go")
	var hw struct {
		KernelSet string `json:"kernel_set"`
	}
	getJSON(t, p.baseURL+"/admin/hardware", http.StatusOK, &hw)
	if hw.KernelSet != "go" {
		t.Fatalf("--kernels go: kernel_set %q", hw.KernelSet)
	}
	client := openai.NewClient(option.WithBaseURL(p.baseURL+"/v1/"), option.WithAPIKey("unused"), option.WithMaxRetries(0))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	comp, err := client.Completions.New(ctx, openai.CompletionNewParams{
		Model:       "stories260k",
		Prompt:      openai.CompletionNewParamsPromptUnion{OfString: openai.String("Once upon a time")},
		MaxTokens:   openai.Int(12),
		Temperature: openai.Float(0),
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(comp.Choices) != 1 || !strings.Contains(comp.Choices[0].Text, "Lily") {
		t.Fatalf("portable kernels: completion %+v, want karpathy's story (Lily)", comp.Choices)
	}
	p.stop(t)
}
