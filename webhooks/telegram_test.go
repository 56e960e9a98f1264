package webhooks

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

const (
	telegramTestSecret = "right-Secret_token-123"
	telegramWrongGuess = "wrong-Guess_token-456"
)

func telegramRequest(body, secret string) *http.Request {
	req := httptest.NewRequest(http.MethodPost, TelegramPath, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if secret != "" {
		req.Header.Set(telegramSecretHeader, secret)
	}
	req.RemoteAddr = "149.154.167.200:443"
	return req
}

func newTelegramServer(t *testing.T, accept bool) (*Server, *fakeTelegram, *logBuffer) {
	t.Helper()
	telegram := &fakeTelegram{accept: accept}
	server, logs := newTestServer(t, Options{Telegram: telegram, TelegramSecret: telegramTestSecret})
	return server, telegram, logs
}

func TestTelegram_SecretRejected(t *testing.T) {
	tests := []struct {
		name, secret, reason string
	}{
		{"missing", "", "missing secret token"},
		{"wrong", telegramWrongGuess, "wrong secret token"},
		{"prefix", telegramTestSecret[:5], "wrong secret token"},
		{"longer", telegramTestSecret + "x", "wrong secret token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			server, telegram, logs := newTelegramServer(t, true)

			got := serve(server, telegramRequest(`{"update_id":1}`, tt.secret))

			wantJSONError(t, got, http.StatusUnauthorized, "invalid_secret_token")
			if n := len(telegram.received()); n != 0 {
				t.Errorf("handler got %d updates, want 0", n)
			}
			record := logs.one(t, "Telegram webhook request rejected")
			if record["level"] != "WARN" {
				t.Errorf("level = %v, want WARN", record["level"])
			}
			if record["reason"] != tt.reason {
				t.Errorf("reason = %v, want %q", record["reason"], tt.reason)
			}
			if record["remote_addr"] != "149.154.167.200" {
				t.Errorf("remote_addr = %v, want 149.154.167.200", record["remote_addr"])
			}
		})
	}
}

func TestTelegram_EmptySecretHeaderRejected(t *testing.T) {
	server, telegram, _ := newTelegramServer(t, true)
	req := telegramRequest(`{"update_id":1}`, "")
	req.Header[telegramSecretHeader] = []string{""}

	got := serve(server, req)

	wantJSONError(t, got, http.StatusUnauthorized, "invalid_secret_token")
	if n := len(telegram.received()); n != 0 {
		t.Errorf("handler got %d updates, want 0", n)
	}
}

func TestTelegram_UpdateDelivered(t *testing.T) {
	server, telegram, _ := newTelegramServer(t, true)
	body := `{"update_id":918273,"message":{"message_id":5,"date":1700000000,` +
		`"chat":{"id":77,"type":"private"},"from":{"id":77,"is_bot":false,"first_name":"Ann"},` +
		`"text":"/start"}}`

	got := serve(server, telegramRequest(body, telegramTestSecret))

	if got.Code != http.StatusOK {
		t.Errorf("status = %d, want 200; body %s", got.Code, got.Body)
	}
	if got.Body.Len() != 0 {
		t.Errorf("body = %q, want empty", got.Body)
	}
	updates := telegram.received()
	if len(updates) != 1 {
		t.Fatalf("handler got %d updates, want 1", len(updates))
	}
	if updates[0].UpdateID != 918273 {
		t.Errorf("update_id = %d, want 918273", updates[0].UpdateID)
	}
	if updates[0].Message == nil {
		t.Fatal("message is nil")
	}
	if updates[0].Message.Text != "/start" {
		t.Errorf("text = %q, want /start", updates[0].Message.Text)
	}
}

func TestTelegram_InvalidJSON(t *testing.T) {
	server, telegram, _ := newTelegramServer(t, true)

	got := serve(server, telegramRequest(`{"update_id":`, telegramTestSecret))

	wantJSONError(t, got, http.StatusBadRequest, "invalid_update")
	if n := len(telegram.received()); n != 0 {
		t.Errorf("handler got %d updates, want 0", n)
	}
}

func TestTelegram_BodyOverLimit(t *testing.T) {
	telegram := &fakeTelegram{accept: true}
	server, _ := newTestServer(t, Options{
		Telegram:       telegram,
		TelegramSecret: telegramTestSecret,
		BodyLimit:      16,
	})

	got := serve(server, telegramRequest(`{"update_id":123456789}`, telegramTestSecret))

	wantJSONError(t, got, http.StatusRequestEntityTooLarge, "body_too_large")
	if n := len(telegram.received()); n != 0 {
		t.Errorf("handler got %d updates, want 0", n)
	}
}

func TestTelegram_QueueFullReturns503(t *testing.T) {
	server, telegram, logs := newTelegramServer(t, false)

	got := serve(server, telegramRequest(`{"update_id":7}`, telegramTestSecret))

	wantJSONError(t, got, http.StatusServiceUnavailable, "queue_full")
	if got.Header().Get("Retry-After") == "" {
		t.Error("Retry-After header is missing")
	}
	if n := len(telegram.received()); n != 1 {
		t.Errorf("handler got %d updates, want 1", n)
	}
	if record := logs.one(t, "Telegram update queue full, asking for redelivery"); record["update_id"] != float64(7) {
		t.Errorf("update_id = %v, want 7", record["update_id"])
	}
}

func TestTelegram_SecretNeverLogged(t *testing.T) {
	server, _, logs := newTelegramServer(t, true)

	serve(server, telegramRequest(`{"update_id":1}`, telegramWrongGuess))
	serve(server, telegramRequest(`{"update_id":2}`, telegramTestSecret))
	serve(server, telegramRequest(`{"update_id":`, telegramTestSecret))

	text := logs.String()
	if strings.Contains(text, telegramTestSecret) {
		t.Error("log contains the expected secret")
	}
	if strings.Contains(text, telegramWrongGuess) {
		t.Error("log contains the received secret")
	}
	if len(logs.withMessage(t, "HTTP request")) != 3 {
		t.Errorf("want 3 access log lines; log:\n%s", text)
	}
}

func TestNew_TelegramWithoutSecret(t *testing.T) {
	_, err := New(Options{Notifications: &fakeProcessor{}, Telegram: &fakeTelegram{}})

	if err == nil || !strings.Contains(err.Error(), "secret") {
		t.Errorf("error = %v, want one about the missing secret", err)
	}
}

func TestTelegram_ContentType(t *testing.T) {
	tests := []struct {
		contentType string
		accepted    bool
	}{
		{"application/json", true},
		{"application/json; charset=utf-8", true},
		{"", false},
		{"text/plain", false},
		{"multipart/form-data; boundary=x", false},
		{"application/x-www-form-urlencoded", false},
	}
	for _, tt := range tests {
		t.Run(tt.contentType, func(t *testing.T) {
			server, telegram, logs := newTelegramServer(t, true)
			req := telegramRequest(`{"update_id":1}`, telegramTestSecret)
			req.Header.Set("Content-Type", tt.contentType)

			got := serve(server, req)

			if tt.accepted {
				if got.Code != http.StatusOK {
					t.Errorf("status = %d, want 200; body %s", got.Code, got.Body)
				}
				return
			}
			wantJSONError(t, got, http.StatusUnsupportedMediaType, "unsupported_media_type")
			if n := len(telegram.received()); n != 0 {
				t.Errorf("handler got %d updates, want 0", n)
			}
			if record := logs.one(t, "Telegram webhook request rejected"); record["reason"] != "unsupported content type" {
				t.Errorf("reason = %v, want unsupported content type", record["reason"])
			}
		})
	}
}

func TestTelegram_BodyOverLimitUnknownLength(t *testing.T) {
	telegram := &fakeTelegram{accept: true}
	server, _ := newTestServer(t, Options{
		Telegram:       telegram,
		TelegramSecret: telegramTestSecret,
		BodyLimit:      16,
	})
	req := telegramRequest(`{"update_id":123456789}`, telegramTestSecret)
	req.ContentLength = -1

	got := serve(server, req)

	wantJSONError(t, got, http.StatusRequestEntityTooLarge, "body_too_large")
	if n := len(telegram.received()); n != 0 {
		t.Errorf("handler got %d updates, want 0", n)
	}
}
