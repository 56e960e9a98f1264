package webhooks

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestRoutes_WrongMethodReturns405(t *testing.T) {
	tests := []struct {
		method, path, allow string
	}{
		{http.MethodGet, PingPongPath, http.MethodPost},
		{http.MethodPut, PingPongPath, http.MethodPost},
		{http.MethodGet, TelegramPath, http.MethodPost},
		{http.MethodPost, HealthPath, http.MethodGet},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			processor := &fakeProcessor{}
			server, _ := newTestServer(t, Options{
				Notifications:  processor,
				Telegram:       &fakeTelegram{accept: true},
				TelegramSecret: "secret",
			})

			got := serve(server, httptest.NewRequest(tt.method, tt.path, nil))

			wantJSONError(t, got, http.StatusMethodNotAllowed, "method_not_allowed")
			if allow := got.Header().Get("Allow"); !strings.Contains(allow, tt.allow) {
				t.Errorf("Allow = %q, want it to contain %s", allow, tt.allow)
			}
			if n := processor.callCount(); n != 0 {
				t.Errorf("processor called %d times, want 0", n)
			}
		})
	}
}

func TestRoutes_UnknownPathReturns404(t *testing.T) {
	server, logs := newTestServer(t, Options{})

	got := serve(server, httptest.NewRequest(http.MethodGet, "/admin", nil))

	wantJSONError(t, got, http.StatusNotFound, "not_found")
	record := logs.one(t, "HTTP request")
	if record["level"] != "INFO" {
		t.Errorf("level = %v, want INFO", record["level"])
	}
	if record["status"] != float64(http.StatusNotFound) {
		t.Errorf("status = %v, want 404", record["status"])
	}
	if record["path"] != "/admin" {
		t.Errorf("path = %v, want /admin", record["path"])
	}
}

func TestRoutes_TelegramAbsentWithoutHandler(t *testing.T) {
	server, _ := newTestServer(t, Options{})

	got := serve(server, telegramRequest(`{"update_id":1}`, "secret"))

	wantJSONError(t, got, http.StatusNotFound, "not_found")
}

func TestAccessLog_Fields(t *testing.T) {
	server, logs := newTestServer(t, Options{})
	req := httptest.NewRequest(http.MethodGet, HealthPath, nil)
	req.RemoteAddr = "198.51.100.4:5555"

	got := serve(server, req)

	record := logs.one(t, "HTTP request")
	want := map[string]any{
		"level":      "DEBUG",
		"method":     http.MethodGet,
		"path":       HealthPath,
		"status":     float64(http.StatusOK),
		"remote_ip":  "198.51.100.4",
		"request_id": got.Header().Get("X-Request-Id"),
	}
	for field, value := range want {
		if record[field] != value {
			t.Errorf("%s = %v, want %v", field, record[field], value)
		}
	}
	if _, ok := record["latency"]; !ok {
		t.Error("latency is missing")
	}
}

func TestRequestID_ClientValue(t *testing.T) {
	tests := []struct {
		name, sent string
		kept       bool
	}{
		{"valid", "req-2024.01:abc_DEF", true},
		{"too long", strings.Repeat("a", maxRequestIDLength+1), false},
		{"space", "abc def", false},
		{"quote", `abc"def`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			server, logs := newTestServer(t, Options{})
			req := notificationRequest(sampleNotification)
			req.Header.Set("X-Request-Id", tt.sent)

			got := serve(server, req)

			id := got.Header().Get("X-Request-Id")
			if tt.kept && id != tt.sent {
				t.Errorf("X-Request-Id = %q, want %q kept", id, tt.sent)
			}
			if !tt.kept && (id == tt.sent || id == "") {
				t.Errorf("X-Request-Id = %q, want a generated ID", id)
			}
			for _, record := range logs.records(t) {
				if record["request_id"] != id {
					t.Errorf("%v: request_id = %v, want %q", record["msg"], record["request_id"], id)
				}
			}
		})
	}
}

func TestHandleError_UnexpectedErrorLogged(t *testing.T) {
	server, logs := newTestServer(t, Options{})
	recorder := httptest.NewRecorder()
	c := server.echo.NewContext(httptest.NewRequest(http.MethodGet, "/x", nil), recorder)
	c.Response().Header().Set("X-Request-Id", "rid-1")

	server.handleError(errors.New("template missing"), c)

	wantJSONError(t, recorder, http.StatusInternalServerError, "internal_error")
	record := logs.one(t, "Request failed")
	if record["level"] != "ERROR" {
		t.Errorf("level = %v, want ERROR", record["level"])
	}
	if record["error"] != "template missing" {
		t.Errorf("error = %v, want the handler error", record["error"])
	}
	if record["request_id"] != "rid-1" {
		t.Errorf("request_id = %v, want rid-1", record["request_id"])
	}
}
