package webhooks

import (
	"errors"
	"io"
	"net"
	"net/http"
	"testing"
	"time"
)

func TestRun_PanicInHandlerKeepsServing(t *testing.T) {
	processor := &fakeProcessor{panicValue: "index out of range"}
	listener := listenLoopback(t)
	server, logs := newTestServer(t, Options{Listener: listener, Notifications: processor})
	startRun(t, server)
	url := "http://" + server.Addr()

	status, _, err := postNotification(http.DefaultClient, url)
	if err != nil || status != http.StatusInternalServerError {
		t.Errorf("panicking notification = %d %v, want 500", status, err)
	}
	logs.one(t, "Panic while handling request")

	resp, err := http.Get(url + HealthPath)
	if err != nil {
		t.Fatalf("GET health after a panic: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("health after a panic = %d, want 200", resp.StatusCode)
	}
}

func TestNew_HTTPServerLimits(t *testing.T) {
	server, _ := newTestServer(t, Options{})
	httpServer := server.httpServer

	if httpServer.ReadHeaderTimeout <= 0 || httpServer.ReadHeaderTimeout > 10*time.Second {
		t.Errorf("ReadHeaderTimeout = %s, want set and at most 10s", httpServer.ReadHeaderTimeout)
	}
	if httpServer.ReadTimeout <= 0 {
		t.Errorf("ReadTimeout = %s, want set", httpServer.ReadTimeout)
	}
	if httpServer.WriteTimeout <= 0 {
		t.Errorf("WriteTimeout = %s, want set", httpServer.WriteTimeout)
	}
	if httpServer.IdleTimeout <= 0 {
		t.Errorf("IdleTimeout = %s, want set", httpServer.IdleTimeout)
	}
	if httpServer.MaxHeaderBytes <= 0 || httpServer.MaxHeaderBytes > 1<<20 {
		t.Errorf("MaxHeaderBytes = %d, want set below the 1 MiB default", httpServer.MaxHeaderBytes)
	}
}

func TestRun_SlowHeadersDisconnected(t *testing.T) {
	server, _ := newTestServer(t, Options{Listener: listenLoopback(t)})
	server.httpServer.ReadHeaderTimeout = 50 * time.Millisecond
	startRun(t, server)

	conn, err := net.Dial("tcp", server.Addr())
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte("POST " + PingPongPath + " HTTP/1.1\r\nHost: x\r\n")); err != nil {
		t.Fatalf("write partial headers: %v", err)
	}

	// The server closes the connection once the header timeout passes.
	// waitLimit bounds the read on the test side.
	if err := conn.SetReadDeadline(time.Now().Add(waitLimit)); err != nil {
		t.Fatal(err)
	}
	_, err = io.ReadAll(conn)
	var netErr net.Error
	if errors.As(err, &netErr) && netErr.Timeout() {
		t.Fatalf("connection still open after %s, want it closed by the header timeout", waitLimit)
	}
}
