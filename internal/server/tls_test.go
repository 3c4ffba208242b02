package server

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// testCert is a self-signed certificate for 127.0.0.1 and localhost, with
// its PEM files written to a temporary folder.
type testCert struct {
	certFile, keyFile string
	pool              *x509.CertPool // trusts the certificate
}

// newTestCert makes a fresh ECDSA P-256 key and a self-signed certificate.
func newTestCert(t testing.TB) testCert {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "hfserve test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	c := testCert{certFile: filepath.Join(dir, "cert.pem"), keyFile: filepath.Join(dir, "key.pem"), pool: x509.NewCertPool()}
	writePEM(t, c.certFile, "CERTIFICATE", der)
	writePEM(t, c.keyFile, "PRIVATE KEY", keyDER)
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	c.pool.AddCert(cert)
	return c
}

func writePEM(t testing.TB, path, typ string, der []byte) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}

func writeFile(t testing.TB, dir, name, content string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoadTLSConfig(t *testing.T) {
	good, other := newTestCert(t), newTestCert(t)
	dir := t.TempDir()
	garbage := writeFile(t, dir, "garbage.pem", "not a PEM file\n")
	badCert := writeFile(t, dir, "bad-cert.pem", string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte("junk")})))
	badKey := writeFile(t, dir, "bad-key.pem", string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte("junk")})))
	missing := filepath.Join(dir, "missing.pem")
	tests := []struct {
		name      string
		cert, key string
		// wantErr lists substrings of the error; none means success.
		wantErr []string
	}{
		{"both empty: plain HTTP", "", "", nil},
		{"pair", good.certFile, good.keyFile, nil},
		{"cert without key", good.certFile, "", []string{"tls_cert " + good.certFile, "tls_key is not"}},
		{"key without cert", "", good.keyFile, []string{"tls_key " + good.keyFile, "tls_cert is not"}},
		{"missing cert file", missing, good.keyFile, []string{"tls_cert " + missing, "no such file"}},
		{"missing key file", good.certFile, missing, []string{"tls_key " + missing, "no such file"}},
		{"cert file without PEM", garbage, good.keyFile, []string{"tls_cert " + garbage, "no PEM certificate"}},
		{"unparsable certificate", badCert, good.keyFile, []string{"tls_cert " + badCert, "certificate 1"}},
		{"key file without PEM", good.certFile, garbage, []string{"tls_key " + garbage, "no PEM private key"}},
		{"unparsable key", good.certFile, badKey, []string{"tls_key " + badKey, "not a PKCS #8"}},
		{"key of another certificate", good.certFile, other.keyFile, []string{"tls_key " + other.keyFile, "does not match tls_cert " + good.certFile}},
		{"certificate given as key", good.certFile, good.certFile, []string{"tls_key " + good.certFile, "no PEM private key"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := LoadTLSConfig(tt.cert, tt.key)
			if tt.wantErr != nil {
				if err == nil {
					t.Fatal("no error")
				}
				for _, want := range tt.wantErr {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("error %q does not mention %q", err, want)
					}
				}
				if strings.Contains(err.Error(), "\n") {
					t.Errorf("error %q spans lines", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tt.cert == "" {
				if cfg != nil {
					t.Fatalf("config %v without files", cfg)
				}
				return
			}
			if cfg.MinVersion != tls.VersionTLS12 || len(cfg.Certificates) != 1 || cfg.CipherSuites != nil {
				t.Fatalf("config: min version %x, %d certificates, cipher suites %v", cfg.MinVersion, len(cfg.Certificates), cfg.CipherSuites)
			}
		})
	}
}

// TestServeTLS serves HTTPS on loopback: a client trusting the certificate
// gets answers with HSTS, plain HTTP and TLS 1.1 are refused.
func TestServeTLS(t *testing.T) {
	c := newTestCert(t)
	cfg, err := LoadTLSConfig(c.certFile, c.keyFile)
	if err != nil {
		t.Fatal(err)
	}
	s, _ := newTestServer(t, Options{TLS: cfg})
	s.SetReady(true)
	r := startServing(t, s)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: c.pool}}}
	defer client.CloseIdleConnections()

	resp, err := client.Get("https://" + r.addr + "/ready")
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.TLS == nil {
		t.Fatalf("GET /ready over HTTPS: status %d, TLS %v", resp.StatusCode, resp.TLS != nil)
	}
	if got := resp.Header.Get("Strict-Transport-Security"); got != hstsValue {
		t.Errorf("Strict-Transport-Security = %q, want %q", got, hstsValue)
	}
	if resp.TLS.Version < tls.VersionTLS12 {
		t.Errorf("negotiated TLS version %x", resp.TLS.Version)
	}

	// Plain HTTP gets net/http's 400 "client sent an HTTP request to an
	// HTTPS server", never an answer from the API.
	plain, err := http.Get("http://" + r.addr + "/ready")
	if err == nil {
		body, _ := io.ReadAll(plain.Body)
		plain.Body.Close()
		if plain.StatusCode != http.StatusBadRequest || plain.Header.Get(RequestIDHeader) != "" {
			t.Errorf("plain HTTP to the TLS port: status %d, headers %v, body %q", plain.StatusCode, plain.Header, body)
		}
	}

	old := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: c.pool,
		MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS11}}}
	defer old.CloseIdleConnections()
	if resp, err := old.Get("https://" + r.addr + "/ready"); err == nil {
		resp.Body.Close()
		t.Fatal("a TLS 1.1 client was served")
	}

	// A client that does not trust the certificate fails the handshake.
	if resp, err := http.Get("https://" + r.addr + "/ready"); err == nil {
		resp.Body.Close()
		t.Fatal("a client without the certificate in its roots was served")
	}
}

// FuzzTLSPEM feeds arbitrary bytes to the certificate and key checks: they
// must return an error or nil, never panic.
func FuzzTLSPEM(f *testing.F) {
	c := newTestCert(f)
	for _, path := range []string{c.certFile, c.keyFile} {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n"))
	f.Add([]byte("-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		_ = checkCertificatePEM(data)
		_ = checkKeyPEM(data)
	})
}
