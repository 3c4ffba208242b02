package main

// End-to-end tests of the hardening settings (issue 9): HTTPS with a
// self-signed certificate through the official OpenAI SDK, token limits,
// CORS and security headers on the real binary, secrets kept out of its
// logs, and start-up failures for bad certificate settings.

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
)

// selfSigned writes a fresh self-signed certificate for 127.0.0.1 and its
// key into dir and returns their paths and a pool trusting it.
func selfSigned(t *testing.T, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "hfserve e2e"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true, IsCA: true, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	for path, block := range map[string]*pem.Block{certFile: {Type: "CERTIFICATE", Bytes: der}, keyFile: {Type: "PRIVATE KEY", Bytes: keyDER}} {
		if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

func TestE2ETLSAndHardening(t *testing.T) {
	const (
		maxOutput = 8
		origin    = "https://app.example.com"
		secret    = "hfs_SECRETe2e0123456789abcdef"
	)
	certFile, keyFile, pool := selfSigned(t, t.TempDir())
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	defer client.CloseIdleConnections()
	p := startServerWith(t, client, nil, "--tls-cert", certFile, "--tls-key", keyFile,
		"--max-output-tokens", "8", "--cors-allowed-origin", origin)
	if !strings.HasPrefix(p.baseURL, "https://") {
		t.Fatalf("base URL %q: the server does not say it serves HTTPS", p.baseURL)
	}

	// The official SDK over HTTPS, trusting the test's certificate.
	sdk := openai.NewClient(option.WithBaseURL(p.baseURL+"/v1/"), option.WithAPIKey("unused"),
		option.WithMaxRetries(0), option.WithHTTPClient(client))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	comp, err := sdk.Completions.New(ctx, openai.CompletionNewParams{
		Model:       "stories260k",
		Prompt:      openai.CompletionNewParamsPromptUnion{OfString: openai.String("Once upon a time")},
		MaxTokens:   openai.Int(maxOutput),
		Temperature: openai.Float(0),
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(comp.Choices) != 1 || comp.Usage.CompletionTokens < 1 || comp.Usage.CompletionTokens > maxOutput {
		t.Fatalf("completion over HTTPS = %+v", comp)
	}
	stream := sdk.Completions.NewStreaming(ctx, openai.CompletionNewParams{
		Model:       "stories260k",
		Prompt:      openai.CompletionNewParamsPromptUnion{OfString: openai.String("Once upon a time")},
		MaxTokens:   openai.Int(maxOutput),
		Temperature: openai.Float(0),
	})
	var streamed strings.Builder
	for stream.Next() {
		for _, c := range stream.Current().Choices {
			streamed.WriteString(c.Text)
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	if streamed.String() != comp.Choices[0].Text {
		t.Fatalf("streamed over HTTPS %q, want %q", streamed.String(), comp.Choices[0].Text)
	}

	// max_output_tokens: the SDK sees OpenAI's error for a max_tokens
	// over the limit.
	_, err = sdk.Completions.New(ctx, openai.CompletionNewParams{
		Model:     "stories260k",
		Prompt:    openai.CompletionNewParamsPromptUnion{OfString: openai.String("Once upon a time")},
		MaxTokens: openai.Int(maxOutput + 1),
	})
	var apiErr *openai.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusBadRequest || apiErr.Code != "invalid_value" || apiErr.Param != "max_tokens" {
		t.Fatalf("max_tokens over max_output_tokens: %v", err)
	}

	// Headers: HSTS and nosniff everywhere; CORS for the allowed origin,
	// sent with credentials a browser page would send, in the URL too.
	req, err := http.NewRequest(http.MethodGet, p.baseURL+"/v1/models?api_key="+secret, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Origin", origin)
	req.Header.Set("Authorization", "Bearer "+secret)
	req.Header.Set("X-API-Key", secret)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	h := resp.Header
	if resp.StatusCode != http.StatusOK || h.Get("Strict-Transport-Security") == "" || h.Get("X-Content-Type-Options") != "nosniff" ||
		h.Get("Access-Control-Allow-Origin") != origin {
		t.Fatalf("GET /v1/models: status %d, headers %v", resp.StatusCode, h)
	}

	// Plain HTTP to the HTTPS port is not served.
	plainURL := "http://" + strings.TrimPrefix(p.baseURL, "https://") + "/health"
	if plain, err := http.Get(plainURL); err == nil {
		body, _ := io.ReadAll(plain.Body)
		plain.Body.Close()
		if plain.StatusCode == http.StatusOK {
			t.Fatalf("plain HTTP was served: %s", body)
		}
	}

	p.stop(t)
	logs := p.logs.String()
	if !strings.Contains(logs, `"path":"/v1/models"`) {
		t.Fatalf("the request with credentials was not logged:\n%s", logs)
	}
	for _, leak := range []string{"SECRET", "api_key=", "Bearer"} {
		if strings.Contains(logs, leak) {
			t.Errorf("the logs contain %q:\n%s", leak, logs)
		}
	}
}

// TestServeTLSStartupErrors: bad certificate settings stop `serve` at once
// with one line naming the setting and the file, exit code 1.
func TestServeTLSStartupErrors(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, _ := selfSigned(t, dir)
	_, otherKey, _ := selfSigned(t, t.TempDir())
	missing := filepath.Join(dir, "missing.pem")
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"cert without key", []string{"--tls-cert", certFile}, []string{"tls_cert " + certFile, "tls_key"}},
		{"key without cert", []string{"--tls-key", keyFile}, []string{"tls_key " + keyFile, "tls_cert"}},
		{"missing cert", []string{"--tls-cert", missing, "--tls-key", keyFile}, []string{"tls_cert " + missing}},
		{"key is the certificate", []string{"--tls-cert", certFile, "--tls-key", certFile}, []string{"tls_key " + certFile}},
		{"key of another certificate", []string{"--tls-cert", certFile, "--tls-key", otherKey}, []string{"tls_key " + otherKey, "does not match", certFile}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"serve", "--listen", "127.0.0.1:0", "--data-dir", t.TempDir()}, tt.args...)
			code, _, stderr := runCLI(t, nil, args...)
			if code != 1 {
				t.Fatalf("exit code %d, want 1; stderr %q", code, stderr)
			}
			if strings.Count(stderr, "\n") != 1 || !strings.HasPrefix(stderr, "hfserve: ") {
				t.Fatalf("stderr must be exactly one line starting with 'hfserve: ', got %q", stderr)
			}
			for _, want := range tt.want {
				if !strings.Contains(stderr, want) {
					t.Errorf("stderr %q does not mention %q", stderr, want)
				}
			}
		})
	}
}
