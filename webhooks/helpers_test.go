package webhooks

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"telegram-bot-webhook/payments"
	"telegram-bot-webhook/store"
)

// waitLimit bounds every wait on a channel or a condition in these tests.
const waitLimit = 10 * time.Second

// processorCall is one call received by fakeProcessor.
type processorCall struct {
	body       []byte
	remoteAddr string
}

// fakeProcessor is a NotificationProcessor that returns a fixed result.
// When entered is set it signals there on every call, and when release is
// set it waits there before returning.
type fakeProcessor struct {
	result     payments.Result
	err        error
	panicValue any
	entered    chan struct{}
	release    chan struct{}

	mu    sync.Mutex
	calls []processorCall
}

func (p *fakeProcessor) ProcessNotification(
	ctx context.Context, body []byte, remoteAddr string,
) (payments.Result, error) {
	p.mu.Lock()
	p.calls = append(p.calls, processorCall{body: body, remoteAddr: remoteAddr})
	p.mu.Unlock()

	if p.entered != nil {
		p.entered <- struct{}{}
	}
	if p.release != nil {
		<-p.release
	}
	if p.panicValue != nil {
		panic(p.panicValue)
	}
	return p.result, p.err
}

func (p *fakeProcessor) callCount() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.calls)
}

func (p *fakeProcessor) lastCall(t *testing.T) processorCall {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.calls) == 0 {
		t.Fatal("processor was not called")
	}
	return p.calls[len(p.calls)-1]
}

// fakeTelegram is a TelegramUpdates that records updates and returns accept.
type fakeTelegram struct {
	accept bool

	mu      sync.Mutex
	updates []tgbotapi.Update
}

func (f *fakeTelegram) HandleWebhookUpdate(update tgbotapi.Update) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.updates = append(f.updates, update)
	return f.accept
}

func (f *fakeTelegram) received() []tgbotapi.Update {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]tgbotapi.Update(nil), f.updates...)
}

// logBuffer collects JSON log lines and wakes waiters on every write.
type logBuffer struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	changed chan struct{}
}

func newLogBuffer() *logBuffer {
	return &logBuffer{changed: make(chan struct{})}
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	n, err := b.buf.Write(p)
	close(b.changed)
	b.changed = make(chan struct{})
	return n, err
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// records returns every log line decoded.
func (b *logBuffer) records(t *testing.T) []map[string]any {
	t.Helper()
	var records []map[string]any
	scanner := bufio.NewScanner(strings.NewReader(b.String()))
	scanner.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for scanner.Scan() {
		var record map[string]any
		if err := json.Unmarshal(scanner.Bytes(), &record); err != nil {
			t.Fatalf("log line is not JSON: %v: %s", err, scanner.Text())
		}
		records = append(records, record)
	}
	return records
}

// withMessage returns the log records whose msg is message.
func (b *logBuffer) withMessage(t *testing.T, message string) []map[string]any {
	t.Helper()
	var found []map[string]any
	for _, record := range b.records(t) {
		if record["msg"] == message {
			found = append(found, record)
		}
	}
	return found
}

// one returns the only log record whose msg is message.
func (b *logBuffer) one(t *testing.T, message string) map[string]any {
	t.Helper()
	found := b.withMessage(t, message)
	if len(found) != 1 {
		t.Fatalf("got %d log lines %q, want 1; log:\n%s", len(found), message, b.String())
	}
	return found[0]
}

// waitForMessage blocks until a line with msg message has been logged.
func (b *logBuffer) waitForMessage(t *testing.T, message string) {
	t.Helper()
	deadline := time.After(waitLimit)
	needle := `"msg":"` + message + `"`
	for {
		b.mu.Lock()
		logged := strings.Contains(b.buf.String(), needle)
		changed := b.changed
		b.mu.Unlock()
		if logged {
			return
		}

		select {
		case <-changed:
		case <-deadline:
			t.Fatalf("no log line %q within %s; log:\n%s", message, waitLimit, b.String())
		}
	}
}

// newTestServer builds a Server that logs JSON at Debug into the returned
// buffer. A nil opts.Notifications becomes a fakeProcessor answering applied.
func newTestServer(t *testing.T, opts Options) (*Server, *logBuffer) {
	t.Helper()
	logs := newLogBuffer()
	opts.Logger = slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	if opts.Notifications == nil {
		opts.Notifications = &fakeProcessor{result: payments.Result{Outcome: store.OutcomeApplied}}
	}

	server, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return server, logs
}

// serve runs one request through the server's handler.
func serve(server *Server, req *http.Request) *httptest.ResponseRecorder {
	recorder := httptest.NewRecorder()
	server.Handler().ServeHTTP(recorder, req)
	return recorder
}

// notificationRequest returns a POST of body to the PingPong route with a
// JSON content type, from 192.0.2.10.
func notificationRequest(body string) *http.Request {
	req := httptest.NewRequest(http.MethodPost, PingPongPath, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.RemoteAddr = "192.0.2.10:43210"
	return req
}

// wantJSONError checks an error answer's status and its exact JSON body.
func wantJSONError(t *testing.T, got *httptest.ResponseRecorder, status int, code string) {
	t.Helper()
	if got.Code != status {
		t.Errorf("status = %d, want %d; body %s", got.Code, status, got.Body)
	}
	if ct := got.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}

	var body map[string]string
	if err := json.Unmarshal(got.Body.Bytes(), &body); err != nil {
		t.Fatalf("body is not a JSON object of strings: %v: %s", err, got.Body)
	}
	if body["error"] != code {
		t.Errorf("error = %q, want %q", body["error"], code)
	}
	if body["message"] == "" {
		t.Error("message is empty")
	}
	if len(body) != 2 {
		t.Errorf("body has fields %v, want only error and message", body)
	}
}
