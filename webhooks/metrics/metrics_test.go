package metrics

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

type fixedBacklog struct {
	pending int64
	oldest  time.Time
}

func (f fixedBacklog) OutboxBacklog(context.Context) (int64, time.Time, error) {
	return f.pending, f.oldest, nil
}

func TestMetrics_SuccessRatio(t *testing.T) {
	m := New(nil)
	for range 4 {
		m.OrderEvent("created")
	}
	m.OrderEvent("paid")
	if got := m.successRate(); got != 0.25 {
		t.Fatalf("success ratio = %v, want 0.25", got)
	}
}

func TestMetrics_NotificationCounts(t *testing.T) {
	m := New(nil)
	m.NotificationReceived("RECHARGE", "applied")
	m.NotificationReceived("", "bad_signature")
	if got := testutil.ToFloat64(m.notifications.WithLabelValues("RECHARGE", "applied")); got != 1 {
		t.Errorf("applied = %v, want 1", got)
	}
	if got := testutil.ToFloat64(m.signatureFailures); got != 1 {
		t.Errorf("signature failures = %v, want 1", got)
	}
}

func TestMetrics_HandlerServesBacklog(t *testing.T) {
	m := New(fixedBacklog{pending: 3, oldest: time.Now().Add(-time.Minute)})
	recorder := httptest.NewRecorder()
	m.Handler().ServeHTTP(recorder, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	body := recorder.Body.String()
	if !strings.Contains(body, "shopbot_outbox_pending_messages 3") {
		t.Errorf("metrics lack the pending count:\n%s", body)
	}
	if !strings.Contains(body, "shopbot_outbox_oldest_pending_age_seconds 6") {
		t.Errorf("metrics lack an oldest age of about 60 s:\n%s", body)
	}
}

func TestTelegramTransport_RecordsMethodNotURL(t *testing.T) {
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/sendMessage") {
			w.WriteHeader(http.StatusTooManyRequests)
		}
	}))
	defer server.Close()
	m := New(nil)
	client := &http.Client{Transport: m.TelegramTransport(nil)}
	for _, method := range []string{"getMe", "sendMessage"} {
		resp, err := client.Post(server.URL+"/bot123:SECRET/"+method, "text/plain", nil)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
	}
	if got := testutil.ToFloat64(m.telegramErrors.WithLabelValues("sendMessage", "429")); got != 1 {
		t.Errorf("sendMessage 429 errors = %v, want 1", got)
	}
	recorder := httptest.NewRecorder()
	m.Handler().ServeHTTP(recorder, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if strings.Contains(recorder.Body.String(), "SECRET") {
		t.Error("metrics contain the bot token")
	}
}
