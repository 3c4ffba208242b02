package main

// End-to-end test of the admin dashboard (issue 9) in a real headless
// browser: Debian's chromium, driven with chromedp against the real binary
// with API keys on. It logs in with the admin key, creates a key, sees it
// listed, revokes it, sees it revoked, loads a model and sees its state,
// and keeps a screenshot. Without chromium the test skips, unless
// HFSERVE_REQUIRE_CHROMIUM=1 (CI installs it) makes that a failure.
// Screenshots go to $HFSERVE_TEST_ARTIFACTS (default: a temporary folder).

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// findChromium returns the browser to drive, skipping the test when there
// is none (failing it with HFSERVE_REQUIRE_CHROMIUM=1).
func findChromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "headless-shell"} {
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	if os.Getenv("HFSERVE_REQUIRE_CHROMIUM") == "1" {
		t.Fatal("HFSERVE_REQUIRE_CHROMIUM=1 but no chromium on PATH (apt-get install chromium)")
	}
	t.Skip("no chromium on PATH (apt-get install chromium); set HFSERVE_REQUIRE_CHROMIUM=1 to make this a failure")
	return ""
}

// artifactsDir is where the test keeps what it shows.
func artifactsDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("HFSERVE_TEST_ARTIFACTS")
	if dir == "" {
		return t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// browserConsole collects what the page complains about: exceptions,
// console errors and log entries such as CSP violations.
type browserConsole struct {
	mu       sync.Mutex
	problems []string
}

func (c *browserConsole) add(s string) {
	c.mu.Lock()
	c.problems = append(c.problems, s)
	c.mu.Unlock()
}

func (c *browserConsole) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return strings.Join(c.problems, "\n")
}

func TestE2EDashboard(t *testing.T) {
	chromium := findChromium(t)
	p := startServer(t, authEnv)
	// Some usage to chart: a generation with the admin key.
	if status, _, body := keyedRequest(t, "POST", p.baseURL+"/v1/completions", e2eAdminKey,
		`{"model":"stories260k","prompt":"Once","max_tokens":3}`); status != 200 {
		t.Fatalf("completion: %d %s", status, body)
	}
	// The model's state is shown as it is; unload it so the page can load it.
	if status, _, body := keyedRequest(t, "POST", p.baseURL+"/admin/models/stories260k/unload", e2eAdminKey, ""); status != 200 {
		t.Fatalf("unload: %d %s", status, body)
	}

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromium), chromedp.NoSandbox,
		chromedp.DisableGPU, chromedp.WindowSize(1400, 2000))
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancelBrowser := chromedp.NewContext(allocCtx)
	defer cancelBrowser()
	ctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()

	console := &browserConsole{}
	// Both subscribe at once, before anything happens on the page.
	messages := chromedp.Console(ctx)
	dialogs := chromedp.Events(ctx, page.JavascriptDialogOpening)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			// Network errors are the page's expected 4xx answers (a cache
			// that is off answers 404); the rest is the page's fault.
			if (m.Type == chromedp.ConsoleError || m.IsException()) && m.Source != "network" ||
				strings.Contains(m.Text, "Content Security Policy") {
				console.add(m.String())
			}
		}
	}()
	go func() {
		// The page confirms a revocation; the operator says yes.
		for _, err := range dialogs {
			if err != nil {
				return
			}
			_, _ = chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: true})
		}
	}()

	text := func(sel string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("read %s: %v\nbrowser: %s", sel, err, console)
		}
		return v
	}
	do := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			t.Fatalf("%s: %v\nbrowser: %s", what, err, console)
		}
	}

	model := `#models tr[data-model-id="stories260k"]`
	do("log in",
		chromedp.Navigate(p.baseURL+"/admin/ui/"),
		chromedp.WaitVisible(chromedp.CSS("#login-form")),
		chromedp.SendKeys(chromedp.CSS("#admin-key"), e2eAdminKey),
		chromedp.Click(chromedp.CSS("#login-button")),
		chromedp.WaitVisible(chromedp.CSS("#app")),
		chromedp.WaitVisible(chromedp.CSS(model+" .state")),
	)
	if got := text(model + " .state"); got != "available" {
		t.Errorf("stories260k shown as %q, want available (it was unloaded)", got)
	}

	do("create a key",
		chromedp.SendKeys(chromedp.CSS("#key-name"), "browser-key"),
		chromedp.Click(chromedp.CSS("#key-create")),
		chromedp.WaitVisible(chromedp.CSS("#key-secret")),
	)
	secret, keyID := text("#key-secret-value"), text("#key-secret-id")
	if !strings.HasPrefix(secret, "hfs_") || !strings.HasPrefix(keyID, "key_") {
		t.Fatalf("the page shows secret %q for key %q", secret, keyID)
	}
	if status, _, _ := keyedRequest(t, "GET", p.baseURL+"/v1/models", secret, ""); status != 200 {
		t.Errorf("the key made in the browser: %d", status)
	}
	row := `#keys tr[data-key-id="` + keyID + `"]`
	do("see the key listed", chromedp.WaitVisible(chromedp.CSS(row+" .state-active")))
	do("revoke the key",
		chromedp.Click(chromedp.CSS(row+" button.revoke")),
		chromedp.WaitVisible(chromedp.CSS(row+" .state-revoked")),
	)
	if got := text(row + " .state"); got != "revoked" {
		t.Errorf("revoked key shown as %q", got)
	}
	if status, _, _ := keyedRequest(t, "GET", p.baseURL+"/v1/models", secret, ""); status != 401 {
		t.Errorf("the key revoked in the browser: %d, want 401", status)
	}

	// Load the model from the page; its state follows.
	do("load a model",
		chromedp.Click(chromedp.CSS(model+" button.load")),
		chromedp.WaitVisible(chromedp.CSS(model+" .state-loaded")),
		// The usage chart has a bar for the admin key's generation, and
		// the hardware is listed.
		chromedp.WaitVisible(chromedp.CSS("#chart-keys rect")),
		chromedp.WaitVisible(chromedp.CSS("#hardware dt")),
	)
	if got := text(model + " .state"); got != "loaded" {
		t.Errorf("after load, stories260k shown as %q", got)
	}
	// Quality 100 is a PNG.
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	shot := filepath.Join(artifactsDir(t), "dashboard.png")
	if err := os.WriteFile(shot, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", shot)
	if problems := console.String(); problems != "" {
		t.Errorf("the page reported problems (CSP violations, script errors):\n%s", problems)
	}
}
