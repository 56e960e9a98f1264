package webhooks

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
	"strconv"
	"strings"
	"testing"
	"time"

	"telegram-bot-webhook/payments"
	"telegram-bot-webhook/store"
)

func listenLoopback(t *testing.T) net.Listener {
	t.Helper()
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen on loopback: %v", err)
	}
	return listener
}

// runningServer is a server whose Run is in progress in the background.
type runningServer struct {
	cancel context.CancelFunc
	done   chan struct{}
	err    error
}

// startRun runs server.Run in the background. Cleanup cancels it and waits
// for Run to return.
func startRun(t *testing.T, server *Server) *runningServer {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	run := &runningServer{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(run.done)
		run.err = server.Run(ctx)
	}()

	t.Cleanup(func() {
		run.cancel()
		select {
		case <-run.done:
		case <-time.After(waitLimit):
			t.Error("Run did not return after cancel")
		}
	})
	return run
}

// wait returns Run's result once it has returned.
func (r *runningServer) wait(t *testing.T) error {
	t.Helper()
	select {
	case <-r.done:
		return r.err
	case <-time.After(waitLimit):
		t.Fatalf("Run did not return within %s", waitLimit)
		return nil
	}
}

func postNotification(client *http.Client, url string) (int, string, error) {
	resp, err := client.Post(url+PingPongPath, "application/json", strings.NewReader(sampleNotification))
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()

	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), err
}

func TestRun_ServesHTTP(t *testing.T) {
	listener := listenLoopback(t)
	server, logs := newTestServer(t, Options{Listener: listener})
	run := startRun(t, server)

	if server.Addr() != listener.Addr().String() {
		t.Errorf("Addr = %q, want %q", server.Addr(), listener.Addr())
	}
	resp, err := http.Get("http://" + server.Addr() + HealthPath)
	if err != nil {
		t.Fatalf("GET health: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"status":"ok"`) {
		t.Errorf("health = %d %s, want 200 with status ok", resp.StatusCode, body)
	}

	status, text, err := postNotification(http.DefaultClient, "http://"+server.Addr())
	if err != nil || status != http.StatusOK || text != "OK" {
		t.Errorf("notification = %d %q %v, want 200 OK", status, text, err)
	}

	run.cancel()
	if err := run.wait(t); err != nil {
		t.Errorf("Run = %v, want nil", err)
	}
	listening := logs.one(t, "HTTP server listening")
	if listening["addr"] != listener.Addr().String() || listening["tls"] != false {
		t.Errorf("listening line = %v, want addr %s and tls false", listening, listener.Addr())
	}
	logs.one(t, "Stopping HTTP server")
	logs.one(t, "HTTP server stopped")
}

// waitListenerClosed blocks until nothing accepts connections on addr.
func waitListenerClosed(t *testing.T, addr string) {
	t.Helper()
	ticker := time.NewTicker(5 * time.Millisecond)
	defer ticker.Stop()
	deadline := time.After(waitLimit)
	for {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			return
		}
		conn.Close()

		select {
		case <-ticker.C:
		case <-deadline:
			t.Fatalf("%s still accepts connections after %s", addr, waitLimit)
		}
	}
}

func TestRun_ShutdownWaitsForInFlightRequest(t *testing.T) {
	processor := &fakeProcessor{
		result:  payments.Result{Outcome: store.OutcomeApplied},
		entered: make(chan struct{}, 1),
		release: make(chan struct{}),
	}
	listener := listenLoopback(t)
	server, logs := newTestServer(t, Options{Listener: listener, Notifications: processor})
	run := startRun(t, server)

	type answer struct {
		status int
		body   string
		err    error
	}
	answers := make(chan answer, 1)
	go func() {
		status, body, err := postNotification(http.DefaultClient, "http://"+server.Addr())
		answers <- answer{status, body, err}
	}()

	select {
	case <-processor.entered:
	case <-time.After(waitLimit):
		t.Fatal("notification did not reach the processor")
	}
	run.cancel()
	logs.waitForMessage(t, "Stopping HTTP server")
	waitListenerClosed(t, server.Addr())

	select {
	case <-run.done:
		t.Fatalf("Run returned %v while a request was in flight", run.err)
	default:
	}
	close(processor.release)

	got := <-answers
	if got.err != nil || got.status != http.StatusOK || got.body != "OK" {
		t.Errorf("in-flight notification = %d %q %v, want 200 OK", got.status, got.body, got.err)
	}
	if err := run.wait(t); err != nil {
		t.Errorf("Run = %v, want nil", err)
	}
}

func TestRun_ShutdownTimeoutReturnsError(t *testing.T) {
	processor := &fakeProcessor{
		result:  payments.Result{Outcome: store.OutcomeApplied},
		entered: make(chan struct{}, 1),
		release: make(chan struct{}),
	}
	defer close(processor.release)
	listener := listenLoopback(t)
	server, _ := newTestServer(t, Options{
		Listener:        listener,
		Notifications:   processor,
		ShutdownTimeout: time.Millisecond,
	})
	run := startRun(t, server)

	go postNotification(http.DefaultClient, "http://"+server.Addr())
	<-processor.entered
	run.cancel()

	err := run.wait(t)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Run = %v, want a shutdown deadline error", err)
	}
}

func TestRun_PortInUse(t *testing.T) {
	occupied := listenLoopback(t)
	defer occupied.Close()
	port := occupied.Addr().(*net.TCPAddr).Port
	server, _ := newTestServer(t, Options{Listen: "127.0.0.1", Port: port})

	err := server.Run(context.Background())

	want := "127.0.0.1:" + strconv.Itoa(port)
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("Run = %v, want an error naming %s", err, want)
	}
}

func TestRun_SecondCallFails(t *testing.T) {
	server, _ := newTestServer(t, Options{Listener: listenLoopback(t)})
	run := startRun(t, server)
	run.cancel()
	if err := run.wait(t); err != nil {
		t.Fatalf("first Run = %v, want nil", err)
	}

	if err := server.Run(context.Background()); err == nil {
		t.Error("second Run = nil, want an error")
	}
}

// writeKeyPair writes a PEM certificate for 127.0.0.1 signed by certKey and
// the PEM of fileKey, and returns the paths and the certificate. The
// certificate is valid from an hour ago until an hour from now.
func writeKeyPair(
	t *testing.T, certKey, fileKey *ecdsa.PrivateKey,
) (certPath, keyPath string, cert *x509.Certificate) {
	t.Helper()
	return writeKeyPairValidUntil(t, certKey, fileKey, time.Now().Add(time.Hour))
}

func writeKeyPairValidUntil(
	t *testing.T, certKey, fileKey *ecdsa.PrivateKey, notAfter time.Time,
) (certPath, keyPath string, cert *x509.Certificate) {
	t.Helper()
	template := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:    notAfter.Add(-2 * time.Hour),
		NotAfter:     notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, template, template, &certKey.PublicKey, certKey)
	if err != nil {
		t.Fatalf("create certificate: %v", err)
	}
	cert, err = x509.ParseCertificate(der)
	if err != nil {
		t.Fatalf("parse certificate: %v", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(fileKey)
	if err != nil {
		t.Fatalf("marshal key: %v", err)
	}

	dir := t.TempDir()
	certPath = filepath.Join(dir, "cert.pem")
	keyPath = filepath.Join(dir, "key.pem")
	writePEM(t, certPath, "CERTIFICATE", der)
	writePEM(t, keyPath, "PRIVATE KEY", keyDER)
	return certPath, keyPath, cert
}

func writePEM(t *testing.T, path, blockType string, der []byte) {
	t.Helper()
	data := pem.EncodeToMemory(&pem.Block{Type: blockType, Bytes: der})
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatalf("write %s: %v", path, err)
	}
}

func newKey(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatalf("generate key: %v", err)
	}
	return key
}

func TestRun_TLS(t *testing.T) {
	key := newKey(t)
	certPath, keyPath, cert := writeKeyPair(t, key, key)
	server, logs := newTestServer(t, Options{
		Listener: listenLoopback(t),
		CertPath: certPath,
		KeyPath:  keyPath,
	})
	startRun(t, server)
	pool := x509.NewCertPool()
	pool.AddCert(cert)

	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	defer client.CloseIdleConnections()
	resp, err := client.Get("https://" + server.Addr() + HealthPath)
	if err != nil {
		t.Fatalf("GET health over TLS: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("status = %d, want 200", resp.StatusCode)
	}
	if resp.TLS == nil || resp.TLS.Version < tls.VersionTLS12 {
		t.Errorf("connection state = %+v, want TLS 1.2 or later", resp.TLS)
	}

	old := &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS11}
	conn, err := tls.Dial("tcp", server.Addr(), old)
	if err == nil {
		conn.Close()
		t.Fatal("TLS 1.1 handshake succeeded, want it rejected")
	}
	if !strings.Contains(err.Error(), "protocol version") {
		t.Errorf("TLS 1.1 handshake error = %v, want a protocol version alert", err)
	}
	logs.waitForMessage(t, "HTTP server error")
	if record := logs.one(t, "HTTP server error"); record["level"] != "DEBUG" {
		t.Errorf("handshake error level = %v, want DEBUG", record["level"])
	}

	if resp, err := http.Get("http://" + server.Addr() + HealthPath); err == nil {
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			t.Error("plain HTTP on the TLS port returned 200")
		}
	}
	if record := logs.one(t, "HTTP server listening"); record["tls"] != true {
		t.Errorf("tls = %v, want true", record["tls"])
	}
}

func TestNew_MismatchedKeyPair(t *testing.T) {
	certPath, keyPath, _ := writeKeyPair(t, newKey(t), newKey(t))

	_, err := New(Options{Notifications: &fakeProcessor{}, CertPath: certPath, KeyPath: keyPath})

	if err == nil {
		t.Fatal("New = nil error, want a key pair error")
	}
	if !strings.Contains(err.Error(), certPath) || !strings.Contains(err.Error(), keyPath) {
		t.Errorf("error = %v, want it to name %s and %s", err, certPath, keyPath)
	}
}

func TestNew_ExpiredCertificateWarns(t *testing.T) {
	key := newKey(t)
	certPath, keyPath, _ := writeKeyPairValidUntil(t, key, key, time.Now().Add(-time.Minute))

	_, logs := newTestServer(t, Options{CertPath: certPath, KeyPath: keyPath})

	record := logs.one(t, "TLS certificate is not valid now")
	if record["level"] != "WARN" {
		t.Errorf("level = %v, want WARN", record["level"])
	}
	if record["cert_path"] != certPath {
		t.Errorf("cert_path = %v, want %s", record["cert_path"], certPath)
	}
}

func TestNew_MissingKeyPairFile(t *testing.T) {
	key := newKey(t)
	certPath, keyPath, _ := writeKeyPair(t, key, key)
	missing := filepath.Join(t.TempDir(), "absent.pem")

	tests := []struct {
		name, certPath, keyPath string
	}{
		{"certificate", missing, keyPath},
		{"key", certPath, missing},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(Options{
				Notifications: &fakeProcessor{},
				CertPath:      tt.certPath,
				KeyPath:       tt.keyPath,
			})

			if err == nil || !strings.Contains(err.Error(), missing) {
				t.Errorf("error = %v, want it to name %s", err, missing)
			}
			if err != nil && !strings.Contains(err.Error(), tt.name) {
				t.Errorf("error = %v, want it to say the %s file failed", err, tt.name)
			}
		})
	}
}

func TestNew_InvalidOptions(t *testing.T) {
	tests := []struct {
		name string
		opts Options
		want string
	}{
		{"no processor", Options{}, "notification processor"},
		{"cert without key", Options{Notifications: &fakeProcessor{}, CertPath: "c.pem"}, "both"},
		{"key without cert", Options{Notifications: &fakeProcessor{}, KeyPath: "k.pem"}, "both"},
		{"port", Options{Notifications: &fakeProcessor{}, Port: 70000}, "70000"},
		{"body limit", Options{Notifications: &fakeProcessor{}, BodyLimit: -1}, "body limit"},
		{"timeout", Options{Notifications: &fakeProcessor{}, ShutdownTimeout: -time.Second}, "shutdown"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.opts)

			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want one containing %q", err, tt.want)
			}
		})
	}
}
