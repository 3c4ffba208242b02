package auth

import (
	"errors"
	"net/http"
	"strings"
	"testing"
)

func TestParseCredentials(t *testing.T) {
	const key = "hfs_abcDEF123-_xyz"
	long := strings.Repeat("k", MaxCredentialLen)
	for _, c := range []struct {
		name    string
		headers [][2]string
		want    string
		wantErr error // nil: success
	}{
		{"bearer", [][2]string{{"Authorization", "Bearer " + key}}, key, nil},
		{"bearer scheme in any case", [][2]string{{"Authorization", "bEARER " + key}}, key, nil},
		{"bearer with several spaces", [][2]string{{"Authorization", "Bearer   " + key}}, key, nil},
		{"x-api-key", [][2]string{{"X-API-Key", key}}, key, nil},
		{"x-api-key in another case", [][2]string{{"x-api-key", key}}, key, nil},
		{"both, the same", [][2]string{{"Authorization", "Bearer " + key}, {"X-API-Key", key}}, key, nil},
		{"longest accepted", [][2]string{{"X-API-Key", long}}, long, nil},
		{"non-ASCII bytes", [][2]string{{"X-API-Key", "clé"}}, "clé", nil},
		{"none", nil, "", ErrNoCredentials},
		{"other headers only", [][2]string{{"Cookie", "a=b"}}, "", ErrNoCredentials},
		{"both, different", [][2]string{{"Authorization", "Bearer " + key}, {"X-API-Key", key + "x"}}, "", ErrMalformedCredentials},
		{"basic scheme", [][2]string{{"Authorization", "Basic dXNlcjpwYXNz"}}, "", ErrMalformedCredentials},
		{"scheme only", [][2]string{{"Authorization", "Bearer"}}, "", ErrMalformedCredentials},
		{"scheme and space only", [][2]string{{"Authorization", "Bearer "}}, "", ErrMalformedCredentials},
		{"key without scheme", [][2]string{{"Authorization", key}}, "", ErrMalformedCredentials},
		{"two tokens", [][2]string{{"Authorization", "Bearer " + key + " extra"}}, "", ErrMalformedCredentials},
		{"tab separator", [][2]string{{"Authorization", "Bearer\t" + key}}, "", ErrMalformedCredentials},
		{"trailing space", [][2]string{{"X-API-Key", key + " "}}, "", ErrMalformedCredentials},
		{"control character", [][2]string{{"X-API-Key", "hfs_a\x00b"}}, "", ErrMalformedCredentials},
		{"DEL character", [][2]string{{"Authorization", "Bearer hfs_a\x7fb"}}, "", ErrMalformedCredentials},
		{"newline", [][2]string{{"X-API-Key", "hfs_a\nb"}}, "", ErrMalformedCredentials},
		{"too long", [][2]string{{"X-API-Key", long + "k"}}, "", ErrMalformedCredentials},
		{"empty x-api-key", [][2]string{{"X-API-Key", ""}}, "", ErrMalformedCredentials},
		{"two authorization headers", [][2]string{{"Authorization", "Bearer " + key}, {"Authorization", "Bearer " + key}}, "", ErrMalformedCredentials},
		{"two x-api-key headers", [][2]string{{"X-API-Key", key}, {"X-API-Key", key}}, "", ErrMalformedCredentials},
		{"bad authorization beside a good x-api-key", [][2]string{{"Authorization", "Basic x"}, {"X-API-Key", key}}, "", ErrMalformedCredentials},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := http.Header{}
			for _, kv := range c.headers {
				h.Add(kv[0], kv[1])
			}
			got, err := ParseCredentials(h)
			if c.wantErr != nil {
				if !errors.Is(err, c.wantErr) || got != "" {
					t.Fatalf("ParseCredentials = %q, %v; want %v", got, err, c.wantErr)
				}
				if strings.Contains(err.Error(), key) {
					t.Fatalf("error %q shows the key", err)
				}
				return
			}
			if err != nil || got != c.want {
				t.Fatalf("ParseCredentials = %q, %v; want %q", got, err, c.want)
			}
		})
	}
}

func FuzzParseCredentials(f *testing.F) {
	for _, seed := range [][2]string{
		{"Bearer hfs_abc", ""}, {"", "hfs_abc"}, {"bearer  x", "x"}, {"Basic Zm9v", ""}, {"Bearer a b", ""},
		{"Bearer \x00", ""}, {"", "a\r\nb"}, {"Bearer", "y"}, {"Bearer " + strings.Repeat("a", 600), ""}, {"Bearer é", "é"},
	} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, authorization, apiKey string) {
		h := http.Header{}
		if authorization != "" {
			h.Set("Authorization", authorization)
		}
		if apiKey != "" {
			h.Set("X-API-Key", apiKey)
		}
		secret, err := ParseCredentials(h)
		if err != nil {
			if secret != "" {
				t.Fatalf("error %v with a secret %q", err, secret)
			}
			if !errors.Is(err, ErrNoCredentials) && !errors.Is(err, ErrMalformedCredentials) {
				t.Fatalf("error %v is neither ErrNoCredentials nor ErrMalformedCredentials", err)
			}
			return
		}
		if secret == "" || len(secret) > MaxCredentialLen || strings.ContainsFunc(secret, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
			t.Fatalf("accepted %q", secret)
		}
		// What is accepted round-trips through either header.
		for _, h := range []http.Header{{"Authorization": {"Bearer " + secret}}, {"X-Api-Key": {secret}}} {
			again, err := ParseCredentials(h)
			if err != nil || again != secret {
				t.Fatalf("round trip of %q through %v: %q, %v", secret, h, again, err)
			}
		}
	})
}
