package webhooks

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log/slog"
	"os"
	"sync/atomic"
	"time"
)

// certificateHolder contains the key pair served to TLS clients. The server
// reads it through tls.Config.GetCertificate on every handshake, so a reload
// only has to store a new pair.
type certificateHolder struct {
	certPath    string
	keyPath     string
	certificate atomic.Pointer[tls.Certificate]
}

// loadCertificate reads and checks the PEM key pair at certPath and keyPath.
// Errors name the file at fault.
func loadCertificate(certPath, keyPath string) (*certificateHolder, error) {
	holder := &certificateHolder{certPath: certPath, keyPath: keyPath}
	if err := holder.reload(); err != nil {
		return nil, err
	}
	return holder, nil
}

// reload reads the key pair from disk again and, when it is valid, replaces
// the one served. On error the previous pair stays in use.
func (h *certificateHolder) reload() error {
	certPEM, err := os.ReadFile(h.certPath)
	if err != nil {
		return fmt.Errorf("webhooks: read TLS certificate file: %w", err)
	}

	keyPEM, err := os.ReadFile(h.keyPath)
	if err != nil {
		return fmt.Errorf("webhooks: read TLS key file: %w", err)
	}

	certificate, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return fmt.Errorf("webhooks: load TLS key pair (certificate %s, key %s): %w",
			h.certPath, h.keyPath, err)
	}

	if certificate.Leaf == nil {
		leaf, err := x509.ParseCertificate(certificate.Certificate[0])
		if err != nil {
			return fmt.Errorf("webhooks: parse TLS certificate %s: %w", h.certPath, err)
		}
		certificate.Leaf = leaf
	}

	h.certificate.Store(&certificate)
	return nil
}

func (h *certificateHolder) getCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	return h.certificate.Load(), nil
}

// warnIfExpired logs a warning when the served certificate is outside its
// validity period, because clients that check it reject the connection.
func (h *certificateHolder) warnIfExpired(logger *slog.Logger, now time.Time) {
	leaf := h.certificate.Load().Leaf
	if now.Before(leaf.NotBefore) || now.After(leaf.NotAfter) {
		logger.Warn("TLS certificate is not valid now",
			"cert_path", h.certPath,
			"not_before", leaf.NotBefore,
			"not_after", leaf.NotAfter)
	}
}
