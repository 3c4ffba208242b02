package hub

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
)

// DefaultEndpoint is the Hugging Face Hub, used when HF_ENDPOINT is unset.
const DefaultEndpoint = "https://huggingface.co"

// maxTokenFileSize bounds what is read from the token file: it holds one
// token of a few dozen characters.
const maxTokenFileSize = 4096

// HubEnv is what the environment says about reaching the Hub, read by
// [ReadHubEnv] with huggingface_hub's rules (constants.py and
// utils/_auth.py).
type HubEnv struct {
	// Endpoint is $HF_ENDPOINT without trailing slashes, else
	// DefaultEndpoint. Mirrors (hf-mirror.com, a company proxy) are named
	// this way.
	Endpoint string
	// Token is $HF_TOKEN, else $HUGGING_FACE_HUB_TOKEN (the legacy name),
	// else the content of the token file; each with surrounding white
	// space removed, an empty value counting as unset. Empty: no token.
	Token string
	// TokenSource says where Token came from ("HF_TOKEN", the token file's
	// path, ...), for messages; never the token itself.
	TokenSource string
	// Offline is HF_HUB_OFFLINE (or the legacy TRANSFORMERS_OFFLINE) set
	// to 1, ON, YES or TRUE (any case): no network access at all.
	Offline bool
}

// ReadHubEnv reads the Hub settings from lookupEnv (os.LookupEnv in
// production) with huggingface_hub's precedence. The token file is
// $HF_TOKEN_PATH, else $HF_HOME/token, where HF_HOME defaults to
// $XDG_CACHE_HOME/huggingface, else ~/.cache/huggingface (homeDir expands
// "~"). A missing token file means no token; an unreadable one is an error.
func ReadHubEnv(lookupEnv func(string) (string, bool), homeDir string) (HubEnv, error) {
	env := HubEnv{Endpoint: DefaultEndpoint}
	if v, ok := lookupEnv("HF_ENDPOINT"); ok {
		env.Endpoint = strings.TrimRight(v, "/")
	}
	offline, _ := lookupEnv("HF_HUB_OFFLINE")
	if offline == "" {
		offline, _ = lookupEnv("TRANSFORMERS_OFFLINE")
	}
	env.Offline = isTrue(offline)
	for _, name := range []string{"HF_TOKEN", "HUGGING_FACE_HUB_TOKEN"} {
		if v, _ := lookupEnv(name); strings.TrimSpace(v) != "" {
			env.Token, env.TokenSource = strings.TrimSpace(v), name
			return env, nil
		}
	}
	path := TokenPath(lookupEnv, homeDir)
	token, err := readTokenFile(path)
	if err != nil {
		return HubEnv{}, fmt.Errorf("hub: reading the token file %s: %w", path, err)
	}
	if token != "" {
		env.Token, env.TokenSource = token, path
	}
	return env, nil
}

// TokenPath is where huggingface_hub keeps the token `huggingface-cli
// login` saves: $HF_TOKEN_PATH, else $HF_HOME/token.
func TokenPath(lookupEnv func(string) (string, bool), homeDir string) string {
	expand := func(p string) string { return expandVars(expandUser(p, homeDir), lookupEnv) }
	if v, ok := lookupEnv("HF_TOKEN_PATH"); ok {
		return expand(v)
	}
	return pyJoin(HFHome(lookupEnv, homeDir), "token")
}

// HFHome is huggingface_hub's HF_HOME: $HF_HOME, else
// $XDG_CACHE_HOME/huggingface, else ~/.cache/huggingface, with "~" and
// $VARS expanded as [CacheDir] does.
func HFHome(lookupEnv func(string) (string, bool), homeDir string) string {
	getenv := func(key, fallback string) string {
		if v, ok := lookupEnv(key); ok {
			return v
		}
		return fallback
	}
	defaultHome := pyJoin(homeDir, ".cache")
	return expandVars(expandUser(getenv("HF_HOME", pyJoin(getenv("XDG_CACHE_HOME", defaultHome), "huggingface")), homeDir), lookupEnv)
}

// readTokenFile returns the trimmed token in path; "" when there is none.
func readTokenFile(path string) (string, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxTokenFileSize))
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(b)), nil
}

// isTrue is huggingface_hub's _is_true for environment values.
func isTrue(v string) bool {
	switch strings.ToUpper(v) {
	case "1", "ON", "YES", "TRUE":
		return true
	}
	return false
}
