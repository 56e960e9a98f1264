package webhooks

import (
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// testCertificate is a self-signed certificate for 127.0.0.1 and its key,
// both PEM encoded.
type testCertificate struct {
	serial  int64
	cert    *x509.Certificate
	certPEM []byte
	keyPEM  []byte
}

// newTestCertificate returns a certificate with the given serial and the
// subject CN=webhooks-test-<serial>, valid from an hour ago for a day.
func newTestCertificate(t *testing.T, serial int64) testCertificate {
	t.Helper()
	key := newKey(t)
	now := time.Now().Truncate(time.Second)
	template := &x509.Certificate{
		SerialNumber: big.NewInt(serial),
		Subject:      pkix.Name{CommonName: fmt.Sprintf("webhooks-test-%d", serial)},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(24*time.Hour + time.Duration(serial)*time.Minute),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, template, template, &key.PublicKey, key)
	if err != nil {
		t.Fatalf("create certificate: %v", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatalf("parse certificate: %v", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatalf("marshal key: %v", err)
	}

	return testCertificate{
		serial:  serial,
		cert:    cert,
		certPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		keyPEM:  pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}),
	}
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatalf("write %s: %v", path, err)
	}
}

func symlink(t *testing.T, target, path string) {
	t.Helper()
	if err := os.Symlink(target, path); err != nil {
		t.Fatalf("symlink %s -> %s: %v", path, target, err)
	}
}

func rename(t *testing.T, from, to string) {
	t.Helper()
	if err := os.Rename(from, to); err != nil {
		t.Fatalf("rename %s to %s: %v", from, to, err)
	}
}

// servedSerial completes a TLS handshake with addr and returns the serial
// of the certificate the server presented.
func servedSerial(addr string) (int64, error) {
	dialer := &net.Dialer{Timeout: waitLimit}
	// The test reads the served certificate instead of verifying it.
	config := &tls.Config{InsecureSkipVerify: true}
	conn, err := tls.DialWithDialer(dialer, "tcp", addr, config)
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	return conn.ConnectionState().PeerCertificates[0].SerialNumber.Int64(), nil
}

func wantServedSerial(t *testing.T, addr string, want int64) {
	t.Helper()
	got, err := servedSerial(addr)
	if err != nil {
		t.Fatalf("TLS handshake with %s: %v", addr, err)
	}
	if got != want {
		t.Errorf("served serial = %d, want %d", got, want)
	}
}

// waitForServedSerial polls new TLS handshakes until the server presents
// the certificate with serial want.
func waitForServedSerial(t *testing.T, addr string, want int64, logs *logBuffer) {
	t.Helper()
	ticker := time.NewTicker(10 * time.Millisecond)
	defer ticker.Stop()
	deadline := time.After(waitLimit)
	for {
		got, err := servedSerial(addr)
		if err == nil && got == want {
			return
		}

		select {
		case <-ticker.C:
		case <-deadline:
			t.Fatalf("served serial = %d (handshake error %v), want %d within %s; log:\n%s",
				got, err, want, waitLimit, logs.String())
		}
	}
}

// certificateLayout puts a key pair on disk the way one kind of deployment
// does and replaces it the way that deployment renews it.
type certificateLayout struct {
	name string
	// install writes the first pair into dir and returns the paths to
	// configure.
	install func(t *testing.T, dir string, pair testCertificate) (certPath, keyPath string)
	// replace puts the second pair in place of the first.
	replace func(t *testing.T, dir string, pair testCertificate)
}

var certificateLayouts = []certificateLayout{
	{
		name: "files overwritten in place",
		install: func(t *testing.T, dir string, pair testCertificate) (string, string) {
			writeFile(t, filepath.Join(dir, "cert.pem"), pair.certPEM)
			writeFile(t, filepath.Join(dir, "key.pem"), pair.keyPEM)
			return filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
		},
		replace: func(t *testing.T, dir string, pair testCertificate) {
			writeFile(t, filepath.Join(dir, "cert.pem"), pair.certPEM)
			writeFile(t, filepath.Join(dir, "key.pem"), pair.keyPEM)
		},
	},
	{
		name: "files renamed over the old ones",
		install: func(t *testing.T, dir string, pair testCertificate) (string, string) {
			writeFile(t, filepath.Join(dir, "cert.pem"), pair.certPEM)
			writeFile(t, filepath.Join(dir, "key.pem"), pair.keyPEM)
			return filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
		},
		replace: func(t *testing.T, dir string, pair testCertificate) {
			writeFile(t, filepath.Join(dir, "cert.pem.new"), pair.certPEM)
			writeFile(t, filepath.Join(dir, "key.pem.new"), pair.keyPEM)
			rename(t, filepath.Join(dir, "cert.pem.new"), filepath.Join(dir, "cert.pem"))
			rename(t, filepath.Join(dir, "key.pem.new"), filepath.Join(dir, "key.pem"))
		},
	},
	{
		// certbot keeps numbered files in archive/ and points symlinks in
		// live/ at the newest ones.
		name: "symlinks in a live directory swapped",
		install: func(t *testing.T, dir string, pair testCertificate) (string, string) {
			for _, sub := range []string{"archive", "live"} {
				if err := os.Mkdir(filepath.Join(dir, sub), 0o700); err != nil {
					t.Fatalf("create %s: %v", sub, err)
				}
			}
			writeFile(t, filepath.Join(dir, "archive", "fullchain1.pem"), pair.certPEM)
			writeFile(t, filepath.Join(dir, "archive", "privkey1.pem"), pair.keyPEM)
			live := filepath.Join(dir, "live")
			symlink(t, "../archive/fullchain1.pem", filepath.Join(live, "fullchain.pem"))
			symlink(t, "../archive/privkey1.pem", filepath.Join(live, "privkey.pem"))
			return filepath.Join(live, "fullchain.pem"), filepath.Join(live, "privkey.pem")
		},
		replace: func(t *testing.T, dir string, pair testCertificate) {
			writeFile(t, filepath.Join(dir, "archive", "fullchain2.pem"), pair.certPEM)
			writeFile(t, filepath.Join(dir, "archive", "privkey2.pem"), pair.keyPEM)
			live := filepath.Join(dir, "live")
			symlink(t, "../archive/fullchain2.pem", filepath.Join(live, "fullchain.pem.new"))
			symlink(t, "../archive/privkey2.pem", filepath.Join(live, "privkey.pem.new"))
			rename(t, filepath.Join(live, "fullchain.pem.new"), filepath.Join(live, "fullchain.pem"))
			rename(t, filepath.Join(live, "privkey.pem.new"), filepath.Join(live, "privkey.pem"))
		},
	},
	{
		// A Kubernetes secret volume links tls.crt to ..data/tls.crt and
		// renews by pointing the ..data symlink at a new directory, so no
		// event names the certificate file itself.
		name: "data directory symlink swapped",
		install: func(t *testing.T, dir string, pair testCertificate) (string, string) {
			writeVersionDirectory(t, filepath.Join(dir, "..v1"), pair)
			symlink(t, "..v1", filepath.Join(dir, "..data"))
			symlink(t, "..data/tls.crt", filepath.Join(dir, "tls.crt"))
			symlink(t, "..data/tls.key", filepath.Join(dir, "tls.key"))
			return filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
		},
		replace: func(t *testing.T, dir string, pair testCertificate) {
			writeVersionDirectory(t, filepath.Join(dir, "..v2"), pair)
			symlink(t, "..v2", filepath.Join(dir, "..data_tmp"))
			rename(t, filepath.Join(dir, "..data_tmp"), filepath.Join(dir, "..data"))
		},
	},
}

func writeVersionDirectory(t *testing.T, dir string, pair testCertificate) {
	t.Helper()
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatalf("create %s: %v", dir, err)
	}
	writeFile(t, filepath.Join(dir, "tls.crt"), pair.certPEM)
	writeFile(t, filepath.Join(dir, "tls.key"), pair.keyPEM)
}

// startTLSServer runs a server with the given key pair files on loopback.
// reloadDelay is the quiet time the file watcher waits before reloading.
func startTLSServer(
	t *testing.T, certPath, keyPath string, reloadDelay time.Duration,
) (*Server, *logBuffer) {
	t.Helper()
	server, logs := newTestServer(t, Options{
		Listener: listenLoopback(t),
		CertPath: certPath,
		KeyPath:  keyPath,
	})
	server.reloadDelay = reloadDelay
	startRun(t, server)
	return server, logs
}

func TestCertificateReload_FilesReplacedOnDisk(t *testing.T) {
	for _, layout := range certificateLayouts {
		t.Run(layout.name, func(t *testing.T) {
			dir := t.TempDir()
			first := newTestCertificate(t, 1)
			second := newTestCertificate(t, 2)
			certPath, keyPath := layout.install(t, dir, first)
			server, logs := startTLSServer(t, certPath, keyPath, 20*time.Millisecond)
			// The first handshake proves that Serve runs, and Run starts
			// watching before it serves.
			wantServedSerial(t, server.Addr(), 1)

			layout.replace(t, dir, second)

			waitForServedSerial(t, server.Addr(), 2, logs)
			logs.waitForMessage(t, "TLS certificate reloaded")
			reloaded := logs.withMessage(t, "TLS certificate reloaded")
			record := reloaded[len(reloaded)-1]
			if record["level"] != "INFO" {
				t.Errorf("level = %v, want INFO", record["level"])
			}
			if record["serial"] != "2" {
				t.Errorf("serial = %v, want 2", record["serial"])
			}
			if record["subject"] != "CN=webhooks-test-2" {
				t.Errorf("subject = %v, want CN=webhooks-test-2", record["subject"])
			}
			if record["not_after"] != second.cert.NotAfter.Format(time.RFC3339) {
				t.Errorf("not_after = %v, want %s", record["not_after"], second.cert.NotAfter)
			}
			if record["cert_path"] != certPath {
				t.Errorf("cert_path = %v, want %s", record["cert_path"], certPath)
			}
			if record["trigger"] != "file change" {
				t.Errorf("trigger = %v, want file change", record["trigger"])
			}
		})
	}
}

// hourDelay keeps the file watcher from reloading during a test, so that
// only the call under test can change the served certificate.
const hourDelay = time.Hour

func TestHandleHangup_ReloadsCertificate(t *testing.T) {
	dir := t.TempDir()
	layout := certificateLayouts[1]
	certPath, keyPath := layout.install(t, dir, newTestCertificate(t, 1))
	server, logs := startTLSServer(t, certPath, keyPath, hourDelay)
	wantServedSerial(t, server.Addr(), 1)

	layout.replace(t, dir, newTestCertificate(t, 2))
	server.handleHangup()

	wantServedSerial(t, server.Addr(), 2)
	record := logs.one(t, "TLS certificate reloaded")
	if record["trigger"] != "SIGHUP" {
		t.Errorf("trigger = %v, want SIGHUP", record["trigger"])
	}
}

func TestHandleHangup_WithoutTLSIgnored(t *testing.T) {
	server, logs := newTestServer(t, Options{})

	server.handleHangup()

	if record := logs.one(t, "SIGHUP ignored, TLS is not configured"); record["level"] != "INFO" {
		t.Errorf("level = %v, want INFO", record["level"])
	}
	if err := server.ReloadCertificate(); !errors.Is(err, errTLSNotConfigured) {
		t.Errorf("ReloadCertificate = %v, want errTLSNotConfigured", err)
	}
}

func TestReloadCertificate_InvalidFilesKeepServing(t *testing.T) {
	tests := []struct {
		name string
		// breakFiles damages the installed pair and returns the path that
		// the error must name.
		breakFiles func(t *testing.T, certPath, keyPath string) string
	}{
		{"key not PEM", func(t *testing.T, certPath, keyPath string) string {
			writeFile(t, keyPath, []byte("not a key"))
			return keyPath
		}},
		{"key of another certificate", func(t *testing.T, certPath, keyPath string) string {
			writeFile(t, keyPath, newTestCertificate(t, 3).keyPEM)
			return keyPath
		}},
		{"certificate missing", func(t *testing.T, certPath, keyPath string) string {
			if err := os.Remove(certPath); err != nil {
				t.Fatal(err)
			}
			return certPath
		}},
		{"certificate truncated", func(t *testing.T, certPath, keyPath string) string {
			data, err := os.ReadFile(certPath)
			if err != nil {
				t.Fatal(err)
			}
			writeFile(t, certPath, data[:len(data)/2])
			return certPath
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			certPath, keyPath := certificateLayouts[0].install(t, t.TempDir(), newTestCertificate(t, 1))
			server, logs := startTLSServer(t, certPath, keyPath, hourDelay)
			wantServedSerial(t, server.Addr(), 1)
			broken := tt.breakFiles(t, certPath, keyPath)

			err := server.ReloadCertificate()

			if err == nil || !strings.Contains(err.Error(), broken) {
				t.Errorf("ReloadCertificate = %v, want an error naming %s", err, broken)
			}
			wantServedSerial(t, server.Addr(), 1)
			record := logs.one(t, "TLS certificate reload failed, serving the previous certificate")
			if record["level"] != "ERROR" {
				t.Errorf("level = %v, want ERROR", record["level"])
			}
			if record["cert_path"] != certPath || record["key_path"] != keyPath {
				t.Errorf("paths = %v %v, want %s %s",
					record["cert_path"], record["key_path"], certPath, keyPath)
			}
			if text, _ := record["error"].(string); !strings.Contains(text, broken) {
				t.Errorf("error = %v, want it to name %s", record["error"], broken)
			}
			if n := len(logs.withMessage(t, "TLS certificate reloaded")); n != 0 {
				t.Errorf("got %d reloaded lines, want 0", n)
			}
		})
	}
}

func TestReloadCertificate_UnchangedFilesLogDebug(t *testing.T) {
	certPath, keyPath := certificateLayouts[0].install(t, t.TempDir(), newTestCertificate(t, 1))
	server, logs := newTestServer(t, Options{CertPath: certPath, KeyPath: keyPath})

	if err := server.ReloadCertificate(); err != nil {
		t.Fatalf("ReloadCertificate: %v", err)
	}

	if record := logs.one(t, "TLS certificate unchanged"); record["level"] != "DEBUG" {
		t.Errorf("level = %v, want DEBUG", record["level"])
	}
	if n := len(logs.withMessage(t, "TLS certificate reloaded")); n != 0 {
		t.Errorf("got %d reloaded lines for unchanged files, want 0", n)
	}
}

func TestReloadCertificate_Request(t *testing.T) {
	dir := t.TempDir()
	certPath, keyPath := certificateLayouts[0].install(t, dir, newTestCertificate(t, 1))
	server, logs := startTLSServer(t, certPath, keyPath, hourDelay)
	wantServedSerial(t, server.Addr(), 1)
	certificateLayouts[0].replace(t, dir, newTestCertificate(t, 2))

	if err := server.ReloadCertificate(); err != nil {
		t.Fatalf("ReloadCertificate: %v", err)
	}

	wantServedSerial(t, server.Addr(), 2)
	if record := logs.one(t, "TLS certificate reloaded"); record["trigger"] != "request" {
		t.Errorf("trigger = %v, want request", record["trigger"])
	}
}

func TestRun_LogsWatchedCertificateFiles(t *testing.T) {
	certPath, keyPath := certificateLayouts[0].install(t, t.TempDir(), newTestCertificate(t, 1))
	server, logs := startTLSServer(t, certPath, keyPath, hourDelay)
	wantServedSerial(t, server.Addr(), 1)

	record := logs.one(t, "Watching TLS certificate files")
	if record["cert_path"] != certPath || record["key_path"] != keyPath {
		t.Errorf("paths = %v %v, want %s %s", record["cert_path"], record["key_path"], certPath, keyPath)
	}
}

func TestNew_UnreadableCertificateFile(t *testing.T) {
	_, keyPath := certificateLayouts[0].install(t, t.TempDir(), newTestCertificate(t, 1))
	directory := t.TempDir()

	_, err := New(Options{Notifications: &fakeProcessor{}, CertPath: directory, KeyPath: keyPath})

	if err == nil || !strings.Contains(err.Error(), directory) {
		t.Errorf("New = %v, want an error naming %s", err, directory)
	}
}

func TestCertificateHolder_Directories(t *testing.T) {
	tests := []struct {
		certPath, keyPath string
		want              []string
	}{
		{"/etc/tls/cert.pem", "/etc/tls/key.pem", []string{"/etc/tls"}},
		{"/etc/tls/cert.pem", "/etc/keys/key.pem", []string{"/etc/tls", "/etc/keys"}},
		{"cert.pem", "key.pem", []string{"."}},
	}
	for _, tt := range tests {
		holder := &certificateHolder{certPath: tt.certPath, keyPath: tt.keyPath}

		got := holder.directories()

		if strings.Join(got, ",") != strings.Join(tt.want, ",") {
			t.Errorf("directories(%s, %s) = %v, want %v", tt.certPath, tt.keyPath, got, tt.want)
		}
	}
}
