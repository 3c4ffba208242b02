package auth

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The crash test runs this test binary again as a child that writes to
// the store through the real code path and reports each acknowledged write
// on stdout; the parent SIGKILLs it mid-stream and checks that every
// acknowledged write is in the file.
const (
	crashChildEnv = "HFSERVE_AUTH_CRASH_CHILD" // "keys" or "usage"
	crashDBEnv    = "HFSERVE_AUTH_CRASH_DB"
	crashAcks     = 20 // acknowledgements the parent waits for before the kill
)

// TestSQLiteCrashChild is the child's body; it does nothing in a normal run.
func TestSQLiteCrashChild(t *testing.T) {
	mode := os.Getenv(crashChildEnv)
	if mode == "" {
		t.Skip("only runs as the child of TestSQLiteSurvivesKill")
	}
	ctx := context.Background()
	s, err := OpenSQLite(ctx, os.Getenv(crashDBEnv))
	if err != nil {
		t.Fatal(err)
	}
	m := NewManager(s, ManagerOptions{})
	for i := 0; ; i++ { // until killed
		switch mode {
		case "keys":
			k, _, err := m.Create(ctx, KeySpec{Name: fmt.Sprintf("crash %d", i)})
			if err != nil {
				t.Fatal(err)
			}
			fmt.Printf("acked %s\n", k.ID)
		case "usage":
			if err := s.AddUsage(ctx, []UsageRecord{{Day: "2026-01-01", KeyID: "key_crash", Model: "m", Requests: 1}}); err != nil {
				t.Fatal(err)
			}
			fmt.Printf("acked %d\n", i)
		}
	}
}

func TestSQLiteSurvivesKill(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child process")
	}
	for _, mode := range []string{"keys", "usage"} {
		t.Run(mode, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "auth.db")
			acked := runCrashChild(t, mode, path)
			s, err := OpenSQLite(context.Background(), path)
			if err != nil {
				t.Fatalf("reopen after the kill: %v", err)
			}
			defer s.Close()
			ctx := context.Background()
			switch mode {
			case "keys":
				for _, id := range acked {
					if _, err := s.Key(ctx, id); err != nil {
						t.Errorf("acknowledged key %s lost: %v", id, err)
					}
				}
			case "usage":
				u, err := s.Usage(ctx, UsageFilter{})
				if err != nil {
					t.Fatal(err)
				}
				// The write in flight at the kill may have committed
				// without being acknowledged: one more is fine, one less
				// is a lost write.
				if len(u) != 1 || u[0].Requests < int64(len(acked)) || u[0].Requests > int64(len(acked))+1 {
					t.Fatalf("usage after the kill %+v; want %d or %d requests", u, len(acked), len(acked)+1)
				}
			}
		})
	}
}

// runCrashChild starts the child, reads crashAcks acknowledgements, kills
// it at once and returns what it acknowledged.
func runCrashChild(t *testing.T, mode, path string) []string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestSQLiteCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+mode, crashDBEnv+"="+path)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	timer := time.AfterFunc(time.Minute, func() { _ = cmd.Process.Kill() }) // a stuck child fails the test, not the run
	defer timer.Stop()
	var acked []string
	sc := bufio.NewScanner(out)
	for len(acked) < crashAcks && sc.Scan() {
		if id, ok := strings.CutPrefix(sc.Text(), "acked "); ok {
			acked = append(acked, id)
		}
	}
	_ = cmd.Process.Kill() // SIGKILL: no deferred function, no flush, no Close
	// The pipe may hold acknowledgements written before the kill landed:
	// they count too. It ends when the dead child's end closes.
	for sc.Scan() {
		if id, ok := strings.CutPrefix(sc.Text(), "acked "); ok {
			acked = append(acked, id)
		}
	}
	_ = cmd.Wait()
	if len(acked) < crashAcks {
		t.Fatalf("child acknowledged %d writes before it stopped, want %d", len(acked), crashAcks)
	}
	return acked
}
