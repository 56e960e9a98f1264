package webhooks

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"telegram-bot-webhook/payments"
	"telegram-bot-webhook/store"
)

const sampleNotification = `{"accId":"2018092714313010016291","bizContent":"{}","sign":"ABC"}`

func TestHealth_ExactBody(t *testing.T) {
	server, _ := newTestServer(t, Options{})

	got := serve(server, httptest.NewRequest(http.MethodGet, HealthPath, nil))

	if got.Code != http.StatusOK {
		t.Errorf("status = %d, want 200", got.Code)
	}
	if ct := got.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
	want := `{"status":"ok","service":"telegram-bot-webhook"}`
	if got.Body.String() != want {
		t.Errorf("body = %q, want %q", got.Body, want)
	}
}

func TestPingPong_OutcomeResponses(t *testing.T) {
	tests := []struct {
		outcome   string
		status    int
		errorCode string
	}{
		{store.OutcomeApplied, http.StatusOK, ""},
		{store.OutcomeDuplicate, http.StatusOK, ""},
		{store.OutcomeRejected, http.StatusOK, ""},
		{store.OutcomeUnknownOrder, http.StatusOK, ""},
		{store.OutcomeDeferred, http.StatusOK, ""},
		{store.OutcomeIgnored, http.StatusOK, ""},
		{store.OutcomeBadSignature, http.StatusUnauthorized, "invalid_signature"},
		{store.OutcomeMalformed, http.StatusBadRequest, "malformed_notification"},
	}
	for _, tt := range tests {
		t.Run(tt.outcome, func(t *testing.T) {
			processor := &fakeProcessor{result: payments.Result{Outcome: tt.outcome}}
			server, _ := newTestServer(t, Options{Notifications: processor})

			got := serve(server, notificationRequest(sampleNotification))

			if header := got.Header().Get(NotificationOutcomeHeader); header != tt.outcome {
				t.Errorf("%s = %q, want %q", NotificationOutcomeHeader, header, tt.outcome)
			}
			if tt.errorCode != "" {
				wantJSONError(t, got, tt.status, tt.errorCode)
				return
			}
			if got.Code != tt.status {
				t.Errorf("status = %d, want %d", got.Code, tt.status)
			}
			if got.Body.String() != "OK" {
				t.Errorf("body = %q, want OK", got.Body)
			}
			if ct := got.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
				t.Errorf("Content-Type = %q, want text/plain", ct)
			}
		})
	}
}

func TestPingPong_BadSignatureExactBody(t *testing.T) {
	processor := &fakeProcessor{result: payments.Result{Outcome: store.OutcomeBadSignature}}
	server, _ := newTestServer(t, Options{Notifications: processor})

	got := serve(server, notificationRequest(sampleNotification))

	want := `{"error":"invalid_signature","message":"signature verification failed"}`
	if got.Body.String() != want {
		t.Errorf("body = %s, want %s", got.Body, want)
	}
}

func TestPingPong_PassesRawBodyAndDirectIP(t *testing.T) {
	processor := &fakeProcessor{result: payments.Result{Outcome: store.OutcomeApplied}}
	server, _ := newTestServer(t, Options{Notifications: processor})
	req := notificationRequest(sampleNotification)
	req.Header.Set("X-Forwarded-For", "203.0.113.7")
	req.Header.Set("X-Real-Ip", "203.0.113.8")

	serve(server, req)

	call := processor.lastCall(t)
	if string(call.body) != sampleNotification {
		t.Errorf("body = %q, want %q", call.body, sampleNotification)
	}
	if call.remoteAddr != "192.0.2.10" {
		t.Errorf("remoteAddr = %q, want 192.0.2.10 from RemoteAddr", call.remoteAddr)
	}
}

func TestPingPong_TransientErrorReturns500(t *testing.T) {
	processor := &fakeProcessor{
		result: payments.Result{OrderID: "ORD-1"},
		err:    errors.New("database is locked"),
	}
	server, logs := newTestServer(t, Options{Notifications: processor})

	got := serve(server, notificationRequest(sampleNotification))

	wantJSONError(t, got, http.StatusInternalServerError, "processing_failed")
	if header := got.Header().Get(NotificationOutcomeHeader); header != "error" {
		t.Errorf("%s = %q, want error", NotificationOutcomeHeader, header)
	}
	record := logs.one(t, "PingPong notification failed")
	if record["level"] != "ERROR" {
		t.Errorf("level = %v, want ERROR", record["level"])
	}
	if record["error"] != "database is locked" {
		t.Errorf("error = %v, want the processor error", record["error"])
	}
	if record["order_id"] != "ORD-1" {
		t.Errorf("order_id = %v, want ORD-1", record["order_id"])
	}
}

func TestPingPong_BodyOverLimit(t *testing.T) {
	tests := []struct {
		name          string
		contentLength int64
	}{
		{"declared length", 65},
		{"unknown length", -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			processor := &fakeProcessor{}
			server, logs := newTestServer(t, Options{Notifications: processor, BodyLimit: 64})
			req := notificationRequest(strings.Repeat("x", 65))
			req.ContentLength = tt.contentLength

			got := serve(server, req)

			wantJSONError(t, got, http.StatusRequestEntityTooLarge, "body_too_large")
			if n := processor.callCount(); n != 0 {
				t.Errorf("processor called %d times, want 0", n)
			}
			if record := logs.one(t, "PingPong notification rejected"); record["level"] != "WARN" {
				t.Errorf("level = %v, want WARN", record["level"])
			}
		})
	}
}

func TestPingPong_BodyAtLimitAccepted(t *testing.T) {
	processor := &fakeProcessor{result: payments.Result{Outcome: store.OutcomeMalformed}}
	server, _ := newTestServer(t, Options{Notifications: processor, BodyLimit: 64})
	body := strings.Repeat("x", 64)

	serve(server, notificationRequest(body))

	if got := processor.lastCall(t).body; string(got) != body {
		t.Errorf("body = %q, want the 64 bytes sent", got)
	}
}

func TestPingPong_ContentType(t *testing.T) {
	tests := []struct {
		contentType string
		accepted    bool
	}{
		{"application/json", true},
		{"application/json; charset=utf-8", true},
		{"Application/JSON;charset=UTF-8", true},
		{"", false},
		{"text/plain", false},
		{"application/x-www-form-urlencoded", false},
		{"application/jsonp", false},
		{"application/json; charset", false},
	}
	for _, tt := range tests {
		t.Run(tt.contentType, func(t *testing.T) {
			processor := &fakeProcessor{result: payments.Result{Outcome: store.OutcomeApplied}}
			server, _ := newTestServer(t, Options{Notifications: processor})
			req := notificationRequest(sampleNotification)
			req.Header.Set("Content-Type", tt.contentType)

			got := serve(server, req)

			if tt.accepted {
				if got.Code != http.StatusOK {
					t.Errorf("status = %d, want 200", got.Code)
				}
				return
			}
			wantJSONError(t, got, http.StatusUnsupportedMediaType, "unsupported_media_type")
			if n := processor.callCount(); n != 0 {
				t.Errorf("processor called %d times, want 0", n)
			}
		})
	}
}

func TestPingPong_LogLine(t *testing.T) {
	processor := &fakeProcessor{result: payments.Result{
		Outcome:       store.OutcomeApplied,
		OrderID:       "ORD-42",
		TransactionID: "TX-9",
		NotifyType:    "RECHARGE",
		Status:        "SUCCESS",
	}}
	server, logs := newTestServer(t, Options{Notifications: processor})

	got := serve(server, notificationRequest(sampleNotification))

	record := logs.one(t, "PingPong notification processed")
	want := map[string]any{
		"level":          "INFO",
		"order_id":       "ORD-42",
		"transaction_id": "TX-9",
		"notify_type":    "RECHARGE",
		"status":         "SUCCESS",
		"outcome":        "applied",
		"remote_addr":    "192.0.2.10",
	}
	for field, value := range want {
		if record[field] != value {
			t.Errorf("%s = %v, want %v", field, record[field], value)
		}
	}
	if _, ok := record["duration"]; !ok {
		t.Error("duration is missing")
	}
	requestID := got.Header().Get("X-Request-Id")
	if requestID == "" {
		t.Fatal("response has no X-Request-Id")
	}
	if record["request_id"] != requestID {
		t.Errorf("request_id = %v, want %q", record["request_id"], requestID)
	}
}

func TestPingPong_RefusedOutcomesLogWarn(t *testing.T) {
	for _, outcome := range []string{
		store.OutcomeRejected, store.OutcomeBadSignature, store.OutcomeMalformed,
	} {
		t.Run(outcome, func(t *testing.T) {
			processor := &fakeProcessor{result: payments.Result{
				Outcome: outcome,
				Detail:  "amount does not match the order",
			}}
			server, logs := newTestServer(t, Options{Notifications: processor})

			serve(server, notificationRequest(sampleNotification))

			record := logs.one(t, "PingPong notification processed")
			if record["level"] != "WARN" {
				t.Errorf("level = %v, want WARN", record["level"])
			}
			if record["detail"] != "amount does not match the order" {
				t.Errorf("detail = %v, want the result detail", record["detail"])
			}
		})
	}
}

func TestPingPong_NoDuplicateInfoAccessLine(t *testing.T) {
	server, logs := newTestServer(t, Options{})

	serve(server, notificationRequest(sampleNotification))

	record := logs.one(t, "HTTP request")
	if record["level"] != "DEBUG" {
		t.Errorf("access log level = %v, want DEBUG for notifications", record["level"])
	}
}

func TestPingPong_PanicReturns500AndRecovers(t *testing.T) {
	processor := &fakeProcessor{panicValue: "nil map write"}
	server, logs := newTestServer(t, Options{Notifications: processor})

	got := serve(server, notificationRequest(sampleNotification))

	wantJSONError(t, got, http.StatusInternalServerError, "internal_error")
	record := logs.one(t, "Panic while handling request")
	if record["level"] != "ERROR" {
		t.Errorf("level = %v, want ERROR", record["level"])
	}
	if record["panic"] != "nil map write" {
		t.Errorf("panic = %v, want the panic value", record["panic"])
	}
	if stack, _ := record["stack"].(string); !strings.Contains(stack, "ProcessNotification") {
		t.Errorf("stack does not show the panicking function: %q", stack)
	}
	if record["request_id"] != got.Header().Get("X-Request-Id") {
		t.Errorf("request_id = %v, want the response X-Request-Id", record["request_id"])
	}
	access := logs.one(t, "HTTP request")
	if access["status"] != float64(http.StatusInternalServerError) {
		t.Errorf("access log status = %v, want 500", access["status"])
	}

	processor.panicValue = nil
	processor.result = payments.Result{Outcome: store.OutcomeApplied}
	if got := serve(server, notificationRequest(sampleNotification)); got.Code != http.StatusOK {
		t.Errorf("status after a panic = %d, want 200", got.Code)
	}
}

func TestPingPong_NoOutcomeHeaderBeforeProcessing(t *testing.T) {
	processor := &fakeProcessor{result: payments.Result{Outcome: store.OutcomeApplied}}
	server, _ := newTestServer(t, Options{Notifications: processor})
	req := notificationRequest(sampleNotification)
	req.Header.Set("Content-Type", "text/plain")

	got := serve(server, req)

	wantJSONError(t, got, http.StatusUnsupportedMediaType, "unsupported_media_type")
	if header, ok := got.Header()[NotificationOutcomeHeader]; ok {
		t.Errorf("%s = %q on a request that was not processed, want no header",
			NotificationOutcomeHeader, header)
	}
}
