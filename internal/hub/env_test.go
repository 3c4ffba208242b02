package hub

import (
	"os"
	"path/filepath"
	"testing"
)

func TestReadHubEnv(t *testing.T) {
	home := t.TempDir()
	hfHome := filepath.Join(home, ".cache", "huggingface")
	if err := os.MkdirAll(hfHome, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(hfHome, "token"), []byte("  file-token\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(t.TempDir(), "tok")
	if err := os.WriteFile(other, []byte("path-token"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name        string
		env         map[string]string
		want        HubEnv
		wantNoToken bool
	}{
		{"defaults read the token file", nil,
			HubEnv{Endpoint: DefaultEndpoint, Token: "file-token", TokenSource: filepath.Join(hfHome, "token")}, false},
		{"HF_TOKEN wins", map[string]string{"HF_TOKEN": " env-token ", "HUGGING_FACE_HUB_TOKEN": "legacy"},
			HubEnv{Endpoint: DefaultEndpoint, Token: "env-token", TokenSource: "HF_TOKEN"}, false},
		{"legacy token name", map[string]string{"HF_TOKEN": "  ", "HUGGING_FACE_HUB_TOKEN": "legacy"},
			HubEnv{Endpoint: DefaultEndpoint, Token: "legacy", TokenSource: "HUGGING_FACE_HUB_TOKEN"}, false},
		{"HF_TOKEN_PATH", map[string]string{"HF_TOKEN_PATH": other},
			HubEnv{Endpoint: DefaultEndpoint, Token: "path-token", TokenSource: other}, false},
		{"HF_HOME without a token file", map[string]string{"HF_HOME": t.TempDir()},
			HubEnv{Endpoint: DefaultEndpoint}, true},
		{"mirror endpoint", map[string]string{"HF_ENDPOINT": "https://hf-mirror.com//", "HF_HOME": "/nonexistent"},
			HubEnv{Endpoint: "https://hf-mirror.com"}, true},
		{"offline", map[string]string{"HF_HUB_OFFLINE": "1", "HF_HOME": "/nonexistent"}, HubEnv{Endpoint: DefaultEndpoint, Offline: true}, true},
		{"offline yes", map[string]string{"HF_HUB_OFFLINE": "yes", "HF_HOME": "/nonexistent"}, HubEnv{Endpoint: DefaultEndpoint, Offline: true}, true},
		{"offline legacy", map[string]string{"TRANSFORMERS_OFFLINE": "TRUE", "HF_HOME": "/nonexistent"}, HubEnv{Endpoint: DefaultEndpoint, Offline: true}, true},
		{"offline 0", map[string]string{"HF_HUB_OFFLINE": "0", "HF_HOME": "/nonexistent"}, HubEnv{Endpoint: DefaultEndpoint}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lookup := func(k string) (string, bool) { v, ok := tt.env[k]; return v, ok }
			got, err := ReadHubEnv(lookup, home)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
	// An unreadable token file (here: a folder) is an error, not silence.
	dirAsToken := map[string]string{"HF_TOKEN_PATH": t.TempDir()}
	if _, err := ReadHubEnv(func(k string) (string, bool) { v, ok := dirAsToken[k]; return v, ok }, home); err == nil {
		t.Error("a token path that is a folder was accepted")
	}
}

func TestHFHomeMatchesCacheDir(t *testing.T) {
	// CacheDir is HFHome + "/hub" whenever HF_HUB_CACHE is unset: the two
	// must agree on HF_HOME's precedence.
	for _, env := range []map[string]string{
		nil,
		{"HF_HOME": "/data/hf"},
		{"XDG_CACHE_HOME": "/xdg"},
		{"HF_HOME": "~/hf", "XDG_CACHE_HOME": "/xdg"},
	} {
		lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
		if got, want := HFHome(lookup, "/home/u")+"/hub", CacheDir(lookup, "/home/u"); got != want {
			t.Errorf("%v: HFHome/hub = %s, CacheDir = %s", env, got, want)
		}
	}
}
