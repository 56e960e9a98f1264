package local

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	"telegram-bot-webhook/payments"
)

func TestPay_RetriesAfterRateLimit(t *testing.T) {
	f := newFixture(t)
	f.receiver.replyNext(reply{status: http.StatusTooManyRequests, answer: `{"error":"rate_limited"}`,
		retryAfter: "1"})
	checkout := f.prePay(f.prePayRequest("ORD-1"))

	result := f.press(checkout.PaymentURL, "pay")

	if result.status != http.StatusAccepted {
		t.Errorf("status = %d, want 202", result.status)
	}
	assertContains(t, result.body, "Payment made, confirmation on its way",
		"The shop responded with 429 Too Many Requests")
	notifications := f.receiver.waitFor(2)
	if notifications[1].Status != payments.StatusSuccess ||
		notifications[1].RequestID != notifications[0].RequestID {
		t.Errorf("second post = %s %s, want the first SUCCESS notification again",
			notifications[1].Status, notifications[1].RequestID)
	}
	posts := f.receiver.all()
	if gap := posts[1].at.Sub(posts[0].at); gap < time.Second {
		t.Errorf("second post came %s after the first, want at least the Retry-After of 1s", gap)
	}
	if err := f.provider.Close(); err != nil {
		t.Fatal(err)
	}
	if n := len(f.receiver.all()); n != 2 {
		t.Errorf("receiver got %d posts, want 2: none after the app accepted one", n)
	}
}

func TestPay_RetryAfterCapped(t *testing.T) {
	f := newFixture(t)
	f.provider.maxRetryAfter = 10 * time.Millisecond
	f.receiver.replyNext(reply{status: http.StatusServiceUnavailable, answer: "busy", retryAfter: "3600"})
	checkout := f.prePay(f.prePayRequest("ORD-1"))

	f.press(checkout.PaymentURL, "pay")

	f.receiver.waitFor(2)
}

func TestPay_RetriesBounded(t *testing.T) {
	f := newFixture(t)
	f.receiver.answerWith(http.StatusInternalServerError, "error")
	checkout := f.prePay(f.prePayRequest("ORD-1"))

	f.press(checkout.PaymentURL, "pay")

	want := 1 + len(testRetryDelays)
	f.receiver.waitFor(want)
	if err := f.provider.Close(); err != nil {
		t.Fatal(err)
	}
	if n := len(f.receiver.all()); n != want {
		t.Errorf("receiver got %d posts, want %d", n, want)
	}
}

func TestDecline_PayStopsItsRetries(t *testing.T) {
	f := newFixture(t)
	f.provider.paymentRetryDelays = []time.Duration{time.Hour}
	f.receiver.failNext(1)
	checkout := f.prePay(f.prePayRequest("ORD-1"))
	if declined := f.press(checkout.PaymentURL, "decline"); declined.status != http.StatusAccepted {
		t.Fatalf("decline status = %d, want 202 while the FAILED notification is retried", declined.status)
	}

	paid := f.press(checkout.PaymentURL, "pay")

	if paid.status != http.StatusOK {
		t.Errorf("pay status = %d, want 200", paid.status)
	}
	closeWithin(t, f.provider)
	notifications := f.receiver.waitFor(2)
	if len(notifications) != 2 || notifications[1].Status != payments.StatusSuccess {
		t.Errorf("receiver got %d posts, want FAILED then SUCCESS and no FAILED retry", len(notifications))
	}
}

func TestClose_StopsPaymentRetries(t *testing.T) {
	f := newFixture(t)
	f.provider.paymentRetryDelays = []time.Duration{time.Hour}
	f.receiver.failNext(1)
	checkout := f.prePay(f.prePayRequest("ORD-1"))
	f.press(checkout.PaymentURL, "pay")

	closeWithin(t, f.provider)

	if n := len(f.receiver.all()); n != 1 {
		t.Errorf("receiver got %d posts, want 1", n)
	}
	page := f.submit(checkout.PaymentURL, "pay", url.Values{csrfField: {f.provider.formToken(checkout.Token)}})
	if page.status != http.StatusConflict {
		t.Errorf("pay after Close: status = %d, want 409 for the paid checkout", page.status)
	}
}

// closeWithin calls Close and fails the test unless it returns within
// waitLimit.
func closeWithin(t *testing.T, p *Provider) {
	t.Helper()
	closed := make(chan error, 1)
	go func() { closed <- p.Close() }()
	select {
	case err := <-closed:
		if err != nil {
			t.Fatalf("Close: %v", err)
		}
	case <-time.After(waitLimit):
		t.Fatal("Close did not return while a notification was waiting to be posted again")
	}
}

func TestDelivery_Retryable(t *testing.T) {
	tests := []struct {
		name string
		d    delivery
		want bool
	}{
		{"accepted", delivery{code: 200, accepted: true}, false},
		{"no response", delivery{}, true},
		{"FAIL body", delivery{code: 200}, true},
		{"rate limited", delivery{code: 429}, true},
		{"server error", delivery{code: 500}, true},
		{"unavailable", delivery{code: 503}, true},
		{"bad signature", delivery{code: 401}, false},
		{"malformed", delivery{code: 400}, false},
		{"not found", delivery{code: 404}, false},
	}
	for _, tt := range tests {
		if got := tt.d.retryable(); got != tt.want {
			t.Errorf("%s: retryable = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		value string
		want  time.Duration
	}{
		{"", 0},
		{"3", 3 * time.Second},
		{"0", 0},
		{"-5", 0},
		{"soon", 0},
		{"99999999999999999", 24 * time.Hour},
		{"Fri, 01 May 2026 12:00:30 GMT", 30 * time.Second},
		{"Fri, 01 May 2026 11:00:00 GMT", 0},
	}
	for _, tt := range tests {
		if got := parseRetryAfter(tt.value, now); got != tt.want {
			t.Errorf("parseRetryAfter(%q) = %s, want %s", tt.value, got, tt.want)
		}
	}
}

func TestRefund_NotRetriedAfterClientError(t *testing.T) {
	f := newFixture(t)
	f.provider.refundRetryDelays = []time.Duration{time.Millisecond, time.Millisecond}
	checkout := f.prePay(f.prePayRequest("ORD-1"))
	f.press(checkout.PaymentURL, "pay")
	f.receiver.waitFor(1)
	f.receiver.answerWith(http.StatusBadRequest, `{"error":"malformed_notification"}`)

	if _, err := f.provider.Refund(context.Background(), refundRequest("ORD-1", "RF-1", 999)); err != nil {
		t.Fatal(err)
	}

	f.receiver.waitFor(2)
	if err := f.provider.Close(); err != nil {
		t.Fatal(err)
	}
	if n := len(f.receiver.all()); n != 2 {
		t.Errorf("receiver got %d posts, want the payment and one refund post", n)
	}
}
