package tools

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"telegram-bot-webhook/store"
)

// outcomeServer starts a loopback server that responds to every request
// with status, the body OK and the outcome in X-Notification-Outcome.
func outcomeServer(t *testing.T, status int, outcome string) string {
	t.Helper()
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set(outcomeHeader, outcome)
		w.WriteHeader(status)
		_, _ = w.Write([]byte("OK"))
	}))
	t.Cleanup(server.Close)
	return server.URL + "/webhook/pingpong"
}

func TestSimulate_FailedOutcomesReturnError(t *testing.T) {
	path, st := orderStore(t)
	createOrder(t, st, "ORD-1", 999, "USD", "TX-1")

	for _, tc := range []struct {
		outcome string
		status  int
		want    []string
	}{
		{store.OutcomeRejected, http.StatusOK,
			[]string{"rejected the event (outcome rejected)", "The server log names the reason"}},
		{store.OutcomeUnknownOrder, http.StatusOK,
			[]string{"the server has no order ORD-1", "Run this command with the server's DATABASE_PATH"}},
		{store.OutcomeBadSignature, http.StatusUnauthorized,
			[]string{"outcome bad_signature", "another PINGPONG_WEBHOOK_SECRET"}},
		{store.OutcomeMalformed, http.StatusBadRequest,
			[]string{"could not read the notification (outcome malformed)", "The server log names the reason"}},
		{"error", http.StatusInternalServerError,
			[]string{"HTTP 500, so PingPong would send the notification again"}},
	} {
		t.Run(tc.outcome, func(t *testing.T) {
			url := outcomeServer(t, tc.status, tc.outcome)

			r := runSimulate(t, testSettings(path, url), "paid", "--order", "ORD-1")

			if r.err == nil {
				t.Fatalf("Simulate returned nil; output:\n%s", r.stdout)
			}
			assertContains(t, r.stdout, "Outcome: "+tc.outcome+"\n")
			for _, want := range tc.want {
				assertContains(t, r.err.Error(), want)
			}
		})
	}
}

func TestSimulate_NoChangeOutcomesPrintNote(t *testing.T) {
	path, st := orderStore(t)
	paidOrder(t, st, 0)

	for _, tc := range []struct {
		outcome string
		want    string
	}{
		{store.OutcomeDuplicate, "Note: the server applied this event before (outcome duplicate)"},
		{store.OutcomeIgnored, "Note: the event needs no action (outcome ignored)"},
		{store.OutcomeDeferred, "Note: the server keeps the refund until the order is paid (outcome deferred)"},
	} {
		t.Run(tc.outcome, func(t *testing.T) {
			url := outcomeServer(t, http.StatusOK, tc.outcome)

			r := runSimulate(t, testSettings(path, url), "refunded", "--order", "ORD-1", "--amount", "1.00")

			if r.err != nil {
				t.Fatalf("Simulate: %v\n%s", r.err, r.stdout)
			}
			assertContains(t, r.stdout, "Outcome: "+tc.outcome+"\n")
			assertContains(t, r.stdout, tc.want)
		})
	}
}

func TestSimulate_AppliedOutcomeHasNoNote(t *testing.T) {
	path, st := orderStore(t)
	createOrder(t, st, "ORD-1", 999, "USD", "TX-1")
	url := outcomeServer(t, http.StatusOK, store.OutcomeApplied)

	r := runSimulate(t, testSettings(path, url), "paid", "--order", "ORD-1")

	if r.err != nil {
		t.Fatalf("Simulate: %v\n%s", r.err, r.stdout)
	}
	assertContains(t, r.stdout, "HTTP 200 OK\nOK\nOutcome: applied\n")
	if strings.Contains(r.stdout, "Note:") {
		t.Errorf("unexpected note:\n%s", r.stdout)
	}
}

func TestSimulate_NoOutcomeHeader(t *testing.T) {
	path, st := orderStore(t)
	createOrder(t, st, "ORD-1", 999, "USD", "TX-1")
	url, _ := recordingServer(t, http.StatusOK, "OK")

	r := runSimulate(t, testSettings(path, url), "paid", "--order", "ORD-1")

	if r.err != nil {
		t.Fatalf("Simulate: %v\n%s", r.err, r.stdout)
	}
	if strings.Contains(r.stdout, "Outcome:") || strings.Contains(r.stdout, "Note:") {
		t.Errorf("outcome printed without the header:\n%s", r.stdout)
	}
}

func TestSimulate_RefundOverAmountLeftRejected(t *testing.T) {
	path, st := orderStore(t)
	paidOrder(t, st, 300)
	url, requests := recordingServer(t, http.StatusOK, "OK")

	r := runSimulate(t, testSettings(path, url), "refunded", "--order", "ORD-1", "--amount", "7.00")

	if r.err == nil {
		t.Fatal("no error")
	}
	assertContains(t, r.err.Error(), "refund of 7.00 USD is more than the 6.99 USD left to refund on order ORD-1")
	assertContains(t, r.err.Error(), "(order amount 9.99 USD, refunded 3.00 USD)")
	assertContains(t, r.err.Error(), "give --amount 6.99 or less, or add --force")
	if len(requests) != 0 {
		t.Error("a request was sent")
	}
}

func TestSimulate_RefundOfAmountLeftSent(t *testing.T) {
	path, st := orderStore(t)
	paidOrder(t, st, 300)
	url, requests := recordingServer(t, http.StatusOK, "OK")

	r := runSimulate(t, testSettings(path, url), "refunded", "--order", "ORD-1", "--amount", "6.99")

	if r.err != nil {
		t.Fatalf("Simulate: %v", r.err)
	}
	if n := parseSent(t, nextRequest(t, requests)); n.Amount != "6.99" {
		t.Errorf("amount = %q, want 6.99", n.Amount)
	}
}

func TestSimulate_RefundOfFullyRefundedOrderWithAmount(t *testing.T) {
	path, st := orderStore(t)
	paidOrder(t, st, 999)
	url, requests := recordingServer(t, http.StatusOK, "OK")

	r := runSimulate(t, testSettings(path, url), "refunded", "--order", "ORD-1", "--amount", "1.00")

	if r.err == nil {
		t.Fatal("no error")
	}
	assertContains(t, r.err.Error(), "order ORD-1 is refunded in full (9.99 USD)")
	assertContains(t, r.err.Error(), "add --force")
	if len(requests) != 0 {
		t.Error("a request was sent")
	}
}

func TestSimulate_ForcedRefundSent(t *testing.T) {
	path, st := orderStore(t)
	paidOrder(t, st, 999)
	url, requests := recordingServer(t, http.StatusOK, "OK")

	r := runSimulate(t, testSettings(path, url), "refunded", "--order", "ORD-1", "--amount", "1.00", "--force")

	if r.err != nil {
		t.Fatalf("Simulate: %v", r.err)
	}
	if n := parseSent(t, nextRequest(t, requests)); n.Amount != "1.00" {
		t.Errorf("amount = %q, want 1.00", n.Amount)
	}
}

func TestSimulate_MissingOrderExampleIsAnOrderID(t *testing.T) {
	// The form of payments.newOrderID: "ORD", the date, "-" and 10
	// characters of standard base32.
	orderID := regexp.MustCompile(`^ORD\d{8}-[A-Z2-7]{10}$`)
	s := testSettings("unused.db", "http://127.0.0.1:1/webhook/pingpong")

	r := runSimulate(t, s, "paid")

	if r.err == nil {
		t.Fatal("no error")
	}
	_, example, found := strings.Cut(r.err.Error(), "such as --order ")
	if !found {
		t.Fatalf("error gives no example: %v", r.err)
	}
	if !orderID.MatchString(example) {
		t.Errorf("example %q is not in the form of an order id such as ORD20261204-XRG7S74LKX", example)
	}
}
