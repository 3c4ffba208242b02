package server

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"strings"
)

// LoadTLSConfig builds the HTTPS configuration from a PEM certificate
// (chain, leaf first) and its PEM private key, the tls_cert and tls_key
// settings: TLS 1.2 at least, Go's default cipher suites. Both empty
// returns nil (serve plain HTTP). One without the other, a file that cannot
// be read or holds no PEM certificate (or key), and a key that does not
// match the certificate are errors naming the setting and the file. The
// files are read once: replacing them needs a restart.
func LoadTLSConfig(certFile, keyFile string) (*tls.Config, error) {
	switch {
	case certFile == "" && keyFile == "":
		return nil, nil
	case keyFile == "":
		return nil, fmt.Errorf("tls_cert %s is set but tls_key is not: HTTPS needs both", certFile)
	case certFile == "":
		return nil, fmt.Errorf("tls_key %s is set but tls_cert is not: HTTPS needs both", keyFile)
	}
	certPEM, err := os.ReadFile(certFile)
	if err != nil {
		return nil, fmt.Errorf("tls_cert %s: %w", certFile, err)
	}
	if err := checkCertificatePEM(certPEM); err != nil {
		return nil, fmt.Errorf("tls_cert %s: %w", certFile, err)
	}
	keyPEM, err := os.ReadFile(keyFile)
	if err != nil {
		return nil, fmt.Errorf("tls_key %s: %w", keyFile, err)
	}
	if err := checkKeyPEM(keyPEM); err != nil {
		return nil, fmt.Errorf("tls_key %s: %w", keyFile, err)
	}
	// Both parse on their own, so what X509KeyPair still refuses is the
	// pair: a key that is not the certificate's.
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, fmt.Errorf("tls_key %s does not match tls_cert %s: %w", keyFile, certFile, err)
	}
	return &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{pair}}, nil
}

// checkCertificatePEM requires at least one certificate, every one of them
// parseable.
func checkCertificatePEM(data []byte) error {
	n := 0
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		n++
		if _, err := x509.ParseCertificate(block.Bytes); err != nil {
			return fmt.Errorf("certificate %d: %w", n, err)
		}
	}
	if n == 0 {
		return errors.New("no PEM certificate (-----BEGIN CERTIFICATE-----) found")
	}
	return nil
}

// checkKeyPEM requires a private key block in one of the encodings
// crypto/tls reads: PKCS #8, PKCS #1 (RSA) or SEC 1 (EC).
func checkKeyPEM(data []byte) error {
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			return errors.New("no PEM private key (-----BEGIN ... PRIVATE KEY-----) found")
		}
		if block.Type != "PRIVATE KEY" && !strings.HasSuffix(block.Type, " PRIVATE KEY") {
			continue
		}
		if _, err := x509.ParsePKCS8PrivateKey(block.Bytes); err == nil {
			return nil
		}
		if _, err := x509.ParsePKCS1PrivateKey(block.Bytes); err == nil {
			return nil
		}
		if _, err := x509.ParseECPrivateKey(block.Bytes); err == nil {
			return nil
		}
		return fmt.Errorf("the %s block is not a PKCS #8, PKCS #1 or SEC 1 private key", block.Type)
	}
}
