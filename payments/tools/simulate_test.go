package tools

import (
	"context"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"telegram-bot-webhook/payments"
	"telegram-bot-webhook/store"
)

// parseSent verifies the sent body with the test salt and returns the
// notification.
func parseSent(t *testing.T, r received) *payments.Notification {
	t.Helper()
	if r.method != http.MethodPost {
		t.Errorf("method = %s, want POST", r.method)
	}
	if r.contentType != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", r.contentType)
	}
	n, err := payments.ParseNotification(r.body, testSalt)
	if err != nil {
		t.Fatalf("sent body does not verify: %v\n%s", err, r.body)
	}
	return n
}

func TestSimulate_PaidUsesOrderAmount(t *testing.T) {
	path, st := orderStore(t)
	createOrder(t, st, "ORD-1", 999, "USD", "TX-1")
	url, requests := recordingServer(t, http.StatusOK, "OK")

	r := runSimulate(t, testSettings(path, url), "paid", "--order", "ORD-1")

	if r.err != nil {
		t.Fatalf("Simulate: %v\n%s", r.err, r.stdout)
	}
	n := parseSent(t, nextRequest(t, requests))
	if n.NotifyType != payments.NotifyRecharge || n.Status != payments.StatusSuccess {
		t.Errorf("event = %s %s, want RECHARGE SUCCESS", n.NotifyType, n.Status)
	}
	if n.Amount != "9.99" || n.Currency != "USD" {
		t.Errorf("amount = %s %s, want 9.99 USD", n.Amount, n.Currency)
	}
	if n.MerchantTransactionID != "ORD-1" {
		t.Errorf("merchantTransactionId = %q", n.MerchantTransactionID)
	}
	if n.TransactionID != "TX-1" {
		t.Errorf("transactionId = %q, want the order's TX-1", n.TransactionID)
	}
	if n.AccID != testAccID || n.ClientID != testClientID {
		t.Errorf("accId, clientId = %q, %q", n.AccID, n.ClientID)
	}
	if n.SignType != payments.SignSHA256 {
		t.Errorf("signType = %q", n.SignType)
	}
	if n.RequestID == "" || n.TransactionTime == "" {
		t.Errorf("requestId %q, transactionTime %q: want both set", n.RequestID, n.TransactionTime)
	}
	assertContains(t, r.stdout, "Sending RECHARGE SUCCESS for order ORD-1: 9.99 USD")
	assertContains(t, r.stdout, "POST "+url)
	assertContains(t, r.stdout, "HTTP 200 OK\nOK\n")
}

func TestSimulate_SentBodyPassesVerify(t *testing.T) {
	path, st := orderStore(t)
	createOrder(t, st, "ORD-1", 999, "USD", "TX-1")
	url, requests := recordingServer(t, http.StatusOK, "OK")
	s := testSettings(path, url)
	s.SignType = payments.SignMD5

	if r := runSimulate(t, s, "paid", "--order", "ORD-1"); r.err != nil {
		t.Fatalf("Simulate: %v", r.err)
	}
	v := runVerify(t, s, nextRequest(t, requests).body)

	if v.err != nil {
		t.Fatalf("Verify: %v\n%s", v.err, v.out)
	}
	assertContains(t, v.out, "signature valid (MD5)")
}

func TestSimulate_AmountOverride(t *testing.T) {
	path, st := orderStore(t)
	createOrder(t, st, "ORD-1", 999, "USD", "TX-1")
	url, requests := recordingServer(t, http.StatusOK, "OK")

	r := runSimulate(t, testSettings(path, url), "paid", "--order", "ORD-1", "--amount", "5")

	if r.err != nil {
		t.Fatalf("Simulate: %v", r.err)
	}
	if n := parseSent(t, nextRequest(t, requests)); n.Amount != "5.00" {
		t.Errorf("amount = %q, want 5.00", n.Amount)
	}
}

func TestSimulate_CurrencyOverrideWithAmount(t *testing.T) {
	path, st := orderStore(t)
	createOrder(t, st, "ORD-1", 999, "USD", "TX-1")
	url, requests := recordingServer(t, http.StatusOK, "OK")

	r := runSimulate(t, testSettings(path, url), "paid", "--order", "ORD-1", "--currency", "JPY", "--amount", "1000")

	if r.err != nil {
		t.Fatalf("Simulate: %v", r.err)
	}
	n := parseSent(t, nextRequest(t, requests))
	if n.Amount != "1000" || n.Currency != "JPY" {
		t.Errorf("amount = %s %s, want 1000 JPY", n.Amount, n.Currency)
	}
}

func TestSimulate_CurrencyOverrideNeedsAmount(t *testing.T) {
	path, st := orderStore(t)
	createOrder(t, st, "ORD-1", 999, "USD", "TX-1")
	url, requests := recordingServer(t, http.StatusOK, "OK")

	r := runSimulate(t, testSettings(path, url), "paid", "--order", "ORD-1", "--currency", "EUR")

	if r.err == nil {
		t.Fatal("no error")
	}
	assertContains(t, r.err.Error(), "give --amount in EUR")
	if len(requests) != 0 {
		t.Error("a request was sent")
	}
}

func TestSimulate_BadAmount(t *testing.T) {
	path, st := orderStore(t)
	createOrder(t, st, "ORD-1", 999, "USD", "TX-1")
	url, requests := recordingServer(t, http.StatusOK, "OK")

	for _, amount := range []string{"9.999", "-1", "abc", "0"} {
		r := runSimulate(t, testSettings(path, url), "paid", "--order", "ORD-1", "--amount", amount)

		if r.err == nil {
			t.Fatalf("--amount %s: no error", amount)
		}
		assertContains(t, r.err.Error(), "invalid --amount")
		assertContains(t, r.err.Error(), `"`+amount+`"`)
	}
	r := runSimulate(t, testSettings(path, url), "paid", "--order", "ORD-1", "--amount", "9.999")
	assertContains(t, r.err.Error(), "USD has 2 decimal digits at most")
	if len(requests) != 0 {
		t.Error("a request was sent")
	}
}

func TestSimulate_FailedSendsReason(t *testing.T) {
	path, st := orderStore(t)
	createOrder(t, st, "ORD-1", 1000, "JPY", "TX-1")
	url, requests := recordingServer(t, http.StatusOK, "OK")

	r := runSimulate(t, testSettings(path, url), "failed", "--order", "ORD-1", "--reason", "Insufficient funds")

	if r.err != nil {
		t.Fatalf("Simulate: %v", r.err)
	}
	n := parseSent(t, nextRequest(t, requests))
	if n.NotifyType != payments.NotifyRecharge || n.Status != payments.StatusFailed {
		t.Errorf("event = %s %s, want RECHARGE FAILED", n.NotifyType, n.Status)
	}
	if n.ResultDescription != "Insufficient funds" {
		t.Errorf("resultDescription = %q", n.ResultDescription)
	}
	if n.Amount != "1000" || n.Currency != "JPY" {
		t.Errorf("amount = %s %s, want 1000 JPY", n.Amount, n.Currency)
	}
}

func TestSimulate_FailedDefaultReason(t *testing.T) {
	path, st := orderStore(t)
	createOrder(t, st, "ORD-1", 999, "USD", "TX-1")
	url, requests := recordingServer(t, http.StatusOK, "OK")

	if r := runSimulate(t, testSettings(path, url), "--order", "ORD-1", "failed"); r.err != nil {
		t.Fatalf("Simulate: %v", r.err)
	}
	if n := parseSent(t, nextRequest(t, requests)); n.ResultDescription != defaultFailureReason {
		t.Errorf("resultDescription = %q", n.ResultDescription)
	}
}

// paidOrder stores an order paid in full with refunded minor units already
// refunded.
func paidOrder(t *testing.T, st *store.Store, refunded int64) {
	t.Helper()
	order := createOrder(t, st, "ORD-1", 999, "USD", "TX-1")
	ctx := context.Background()
	if err := st.TransitionOrder(ctx, order, store.StatusPaid, store.OrderChange{}); err != nil {
		t.Fatal(err)
	}
	if refunded > 0 {
		change := store.OrderChange{RefundedMinor: &refunded}
		if err := st.TransitionOrder(ctx, order, store.StatusPartiallyRefunded, change); err != nil {
			t.Fatal(err)
		}
	}
}

func TestSimulate_RefundDefaultsToRemainingAmount(t *testing.T) {
	path, st := orderStore(t)
	paidOrder(t, st, 300)
	url, requests := recordingServer(t, http.StatusOK, "OK")

	r := runSimulate(t, testSettings(path, url), "refunded", "--order", "ORD-1")

	if r.err != nil {
		t.Fatalf("Simulate: %v", r.err)
	}
	n := parseSent(t, nextRequest(t, requests))
	if n.NotifyType != payments.NotifyRefund || n.Status != payments.StatusSuccess {
		t.Errorf("event = %s %s, want REFUND SUCCESS", n.NotifyType, n.Status)
	}
	if n.Amount != "6.99" {
		t.Errorf("amount = %q, want the remaining 6.99", n.Amount)
	}
	if !strings.HasPrefix(n.RefundID, "SIMR") || n.RefundTime == "" {
		t.Errorf("refundId %q, refundTime %q: want a generated id and a time", n.RefundID, n.RefundTime)
	}
	if n.MerchantRefundID != "" {
		t.Errorf("merchantRefundId = %q, want none without a requested refund", n.MerchantRefundID)
	}
	assertContains(t, r.stdout, "Sending REFUND SUCCESS for order ORD-1: 6.99 USD")
}

func TestSimulate_RefundIDAndAmountGiven(t *testing.T) {
	path, st := orderStore(t)
	paidOrder(t, st, 0)
	url, requests := recordingServer(t, http.StatusOK, "OK")

	r := runSimulate(t, testSettings(path, url), "refunded", "--order", "ORD-1", "--refund-id", "R-77", "--amount", "1.50")

	if r.err != nil {
		t.Fatalf("Simulate: %v", r.err)
	}
	n := parseSent(t, nextRequest(t, requests))
	if n.RefundID != "R-77" || n.Amount != "1.50" {
		t.Errorf("refundId %q, amount %q: want R-77, 1.50", n.RefundID, n.Amount)
	}
}

func TestSimulate_RefundCompletesRequestedRefund(t *testing.T) {
	path, st := orderStore(t)
	paidOrder(t, st, 0)
	refund := &store.Refund{MerchantRefundID: "RF-1", MerchantTransactionID: "ORD-1",
		AmountMinor: 250, Currency: "USD", Status: store.RefundRequested}
	if err := st.CreateRefund(context.Background(), refund); err != nil {
		t.Fatal(err)
	}
	url, requests := recordingServer(t, http.StatusOK, "OK")

	r := runSimulate(t, testSettings(path, url), "refunded", "--order", "ORD-1")

	if r.err != nil {
		t.Fatalf("Simulate: %v", r.err)
	}
	n := parseSent(t, nextRequest(t, requests))
	if n.MerchantRefundID != "RF-1" || n.Amount != "2.50" {
		t.Errorf("merchantRefundId %q, amount %q: want RF-1, 2.50", n.MerchantRefundID, n.Amount)
	}
}

func TestSimulate_RefundOfFullyRefundedOrder(t *testing.T) {
	path, st := orderStore(t)
	paidOrder(t, st, 999)
	url, _ := recordingServer(t, http.StatusOK, "OK")

	r := runSimulate(t, testSettings(path, url), "refunded", "--order", "ORD-1")

	if r.err == nil {
		t.Fatal("no error")
	}
	assertContains(t, r.err.Error(), "refunded in full")
	assertContains(t, r.err.Error(), "give --amount with --force")
}

func TestSimulate_GeneratesTransactionID(t *testing.T) {
	path, st := orderStore(t)
	createOrder(t, st, "ORD-1", 999, "USD", "")
	url, requests := recordingServer(t, http.StatusOK, "OK")
	s := testSettings(path, url)

	for i := 0; i < 2; i++ {
		if r := runSimulate(t, s, "paid", "--order", "ORD-1"); r.err != nil {
			t.Fatalf("Simulate: %v", r.err)
		}
	}
	first := parseSent(t, nextRequest(t, requests))
	second := parseSent(t, nextRequest(t, requests))
	if !strings.HasPrefix(first.TransactionID, "SIM") {
		t.Errorf("transactionId = %q, want a generated one", first.TransactionID)
	}
	if first.RequestID == second.RequestID {
		t.Errorf("requestId %q sent twice", first.RequestID)
	}
}

func TestSimulate_UnknownOrder(t *testing.T) {
	path, _ := orderStore(t)
	url, requests := recordingServer(t, http.StatusOK, "OK")

	r := runSimulate(t, testSettings(path, url), "paid", "--order", "NOPE-1")

	if r.err == nil {
		t.Fatal("no error")
	}
	assertContains(t, r.err.Error(), `order "NOPE-1" not found`)
	assertContains(t, r.err.Error(), path)
	if len(requests) != 0 {
		t.Error("a request was sent")
	}
}

func TestSimulate_MissingDatabaseIsNotCreated(t *testing.T) {
	path := filepath.Join(t.TempDir(), "missing", "bot.db")

	r := runSimulate(t, testSettings(path, "http://127.0.0.1:1/webhook/pingpong"), "paid", "--order", "ORD-1")

	if r.err == nil {
		t.Fatal("no error")
	}
	assertContains(t, r.err.Error(), "database "+path+" does not exist")
	if matches, _ := filepath.Glob(filepath.Join(filepath.Dir(path), "*")); len(matches) > 0 {
		t.Errorf("files created: %v", matches)
	}
}

func TestSimulate_BadArguments(t *testing.T) {
	s := testSettings("unused.db", "http://127.0.0.1:1/webhook/pingpong")
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"unknown kind", []string{"captured", "--order", "ORD-1"}, `unknown event kind "captured"`},
		{"no kind", []string{"--order", "ORD-1"}, "missing event kind"},
		{"no order", []string{"paid"}, "missing --order"},
		{"reason on paid", []string{"paid", "--order", "ORD-1", "--reason", "x"}, "--reason applies only to failed"},
		{"refund id on paid", []string{"paid", "--order", "ORD-1", "--refund-id", "x"}, "--refund-id applies only to refunded"},
		{"force on paid", []string{"paid", "--order", "ORD-1", "--force"}, "--force applies only to refunded"},
		{"bad url", []string{"paid", "--order", "ORD-1", "--url", "localhost:8000"}, `invalid --url "localhost:8000"`},
		{"unknown flag", []string{"paid", "--orders", "ORD-1"}, "flag provided but not defined: -orders"},
		{"extra argument", []string{"paid", "--order", "ORD-1", "now"}, `unexpected arguments ["now"]`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runSimulate(t, s, tc.args...)

			if r.err == nil {
				t.Fatal("no error")
			}
			assertContains(t, r.err.Error(), tc.want)
		})
	}
}

func TestSimulate_MissingSettings(t *testing.T) {
	s := Settings{DatabasePath: "unused.db", LocalURL: "http://127.0.0.1:1/webhook/pingpong"}

	r := runSimulate(t, s, "paid", "--order", "ORD-1")

	if r.err == nil {
		t.Fatal("no error")
	}
	assertContains(t, r.err.Error(), "PINGPONG_ACC_ID, PINGPONG_CLIENT_ID, PINGPONG_WEBHOOK_SECRET not set")
}

func TestSimulate_ConnectionRefused(t *testing.T) {
	path, st := orderStore(t)
	createOrder(t, st, "ORD-1", 999, "USD", "TX-1")
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + listener.Addr().String() + "/webhook/pingpong"
	_ = listener.Close()

	r := runSimulate(t, testSettings(path, url), "paid", "--order", "ORD-1")

	if r.err == nil {
		t.Fatal("no error")
	}
	assertContains(t, r.err.Error(), "the server is not running at "+url)
	assertContains(t, r.err.Error(), "running the binary without arguments")
}

func TestSimulate_RejectedSignature(t *testing.T) {
	path, st := orderStore(t)
	createOrder(t, st, "ORD-1", 999, "USD", "TX-1")
	url, _ := recordingServer(t, http.StatusUnauthorized, `{"error":"invalid_signature"}`)

	r := runSimulate(t, testSettings(path, url), "paid", "--order", "ORD-1")

	if r.err == nil {
		t.Fatal("no error")
	}
	assertContains(t, r.stdout, "HTTP 401 Unauthorized\n{\"error\":\"invalid_signature\"}\n")
	assertContains(t, r.err.Error(), "another PINGPONG_WEBHOOK_SECRET")
}

func TestSimulate_FailAnswer(t *testing.T) {
	path, st := orderStore(t)
	createOrder(t, st, "ORD-1", 999, "USD", "TX-1")
	url, _ := recordingServer(t, http.StatusOK, "FAIL")

	r := runSimulate(t, testSettings(path, url), "paid", "--order", "ORD-1")

	if r.err == nil {
		t.Fatal("no error")
	}
	assertContains(t, r.err.Error(), "responded with FAIL")
}

func TestSimulate_HelpListsEveryFlag(t *testing.T) {
	r := runSimulate(t, testSettings("", ""), "-h")

	if r.err != nil {
		t.Fatalf("Simulate: %v", r.err)
	}
	for _, flag := range []string{"-order", "-amount", "-currency", "-url", "-reason", "-refund-id", "-force", "major units"} {
		assertContains(t, r.stderr, flag)
	}
	if r.stdout != "" {
		t.Errorf("stdout = %q, want usage on stderr only", r.stdout)
	}
}
