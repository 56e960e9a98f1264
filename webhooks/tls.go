package webhooks

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
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

	// reloadMu serialises reloads, so that a slower reload never replaces
	// the pair that a later one stored.
	reloadMu sync.Mutex
}

// loadCertificate reads and checks the PEM key pair at certPath and keyPath.
// Errors name the file at fault.
func loadCertificate(certPath, keyPath string) (*certificateHolder, error) {
	holder := &certificateHolder{certPath: certPath, keyPath: keyPath}
	if _, err := holder.reload(); err != nil {
		return nil, err
	}
	return holder, nil
}

// reload reads the key pair from disk again and, when it is valid, replaces
// the one served. It reports whether the served certificate changed. On
// error the previous pair stays in use.
func (h *certificateHolder) reload() (changed bool, err error) {
	h.reloadMu.Lock()
	defer h.reloadMu.Unlock()

	certificate, err := h.read()
	if err != nil {
		return false, err
	}

	// The certificate contains the public key, so an unchanged chain means
	// an unchanged key pair.
	if current := h.certificate.Load(); current != nil && sameChain(current, certificate) {
		return false, nil
	}

	h.certificate.Store(certificate)
	return true, nil
}

func (h *certificateHolder) read() (*tls.Certificate, error) {
	certPEM, err := os.ReadFile(h.certPath)
	if err != nil {
		return nil, fmt.Errorf("webhooks: read TLS certificate file: %w", err)
	}

	keyPEM, err := os.ReadFile(h.keyPath)
	if err != nil {
		return nil, fmt.Errorf("webhooks: read TLS key file: %w", err)
	}

	certificate, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, fmt.Errorf("webhooks: load TLS key pair (certificate %s, key %s): %w",
			h.certPath, h.keyPath, err)
	}

	if certificate.Leaf == nil {
		leaf, err := x509.ParseCertificate(certificate.Certificate[0])
		if err != nil {
			return nil, fmt.Errorf("webhooks: parse TLS certificate %s: %w", h.certPath, err)
		}
		certificate.Leaf = leaf
	}
	return &certificate, nil
}

func sameChain(a, b *tls.Certificate) bool {
	return slices.EqualFunc(a.Certificate, b.Certificate, bytes.Equal)
}

func (h *certificateHolder) getCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	return h.certificate.Load(), nil
}

// leaf returns the parsed certificate served now.
func (h *certificateHolder) leaf() *x509.Certificate {
	return h.certificate.Load().Leaf
}

// directories returns the directories of the certificate and key files,
// without duplicates.
func (h *certificateHolder) directories() []string {
	certDir := filepath.Dir(h.certPath)
	keyDir := filepath.Dir(h.keyPath)
	if certDir == keyDir {
		return []string{certDir}
	}
	return []string{certDir, keyDir}
}

// warnIfExpired logs a warning when the served certificate is outside its
// validity period, because clients that check it reject the connection.
func (h *certificateHolder) warnIfExpired(logger *slog.Logger, now time.Time) {
	leaf := h.leaf()
	if now.Before(leaf.NotBefore) || now.After(leaf.NotAfter) {
		logger.Warn("TLS certificate is not valid now",
			"cert_path", h.certPath,
			"not_before", leaf.NotBefore,
			"not_after", leaf.NotAfter)
	}
}

// errTLSNotConfigured is returned by ReloadCertificate on a plain HTTP
// server.
var errTLSNotConfigured = errors.New(
	"webhooks: reload TLS certificate: TLS is not configured: set CertPath and KeyPath")

// ReloadCertificate reads the TLS key pair from CertPath and KeyPath again
// and serves it on new connections. When the files are missing, unreadable
// or do not form a valid pair, the previous certificate stays in use and the
// error, which names the file, is logged and returned. Run calls it on
// SIGHUP and after the files change.
func (s *Server) ReloadCertificate() error {
	return s.reloadCertificate("request")
}

// reloadCertificate reloads the key pair and logs the result. The trigger
// argument names the cause of the reload in the log.
func (s *Server) reloadCertificate(trigger string) error {
	if s.certificates == nil {
		return errTLSNotConfigured
	}

	logger := s.logger.With(
		"cert_path", s.certificates.certPath,
		"key_path", s.certificates.keyPath,
		"trigger", trigger)

	changed, err := s.certificates.reload()
	if err != nil {
		logger.Error("TLS certificate reload failed, serving the previous certificate",
			"error", err)
		return err
	}

	leaf := s.certificates.leaf()
	if !changed {
		logger.Debug("TLS certificate unchanged", "serial", leaf.SerialNumber.String())
		return nil
	}

	logger.Info("TLS certificate reloaded",
		"subject", leaf.Subject.String(),
		"serial", leaf.SerialNumber.String(),
		"not_after", leaf.NotAfter)
	s.certificates.warnIfExpired(s.logger, time.Now())
	return nil
}
