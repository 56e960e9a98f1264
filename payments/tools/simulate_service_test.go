package tools

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"telegram-bot-webhook/payments"
	"telegram-bot-webhook/store"
)

// offlineGateway fails every PingPong call: applying notifications needs
// none.
type offlineGateway struct{}

var errOffline = errors.New("PingPong is not reachable in this test")

func (offlineGateway) PrePay(context.Context, payments.PrePayRequest) (*payments.PrePayResult, error) {
	return nil, errOffline
}

func (offlineGateway) Query(context.Context, string) (*payments.QueryResult, error) {
	return nil, errOffline
}

func (offlineGateway) Refund(context.Context, payments.RefundRequest) (*payments.RefundResult, error) {
	return nil, errOffline
}

// serviceServer starts a loopback server that applies every posted body with
// a payments.Service on st for the store accID, and responds as the
// webhook does: the status, the X-Notification-Outcome header, and the
// outcome and detail as the body.
func serviceServer(t *testing.T, st *store.Store, accID string) string {
	t.Helper()
	service, err := payments.NewService(payments.ServiceOptions{
		Store:    st,
		Gateway:  offlineGateway{},
		AccID:    accID,
		ClientID: testClientID,
		Salt:     testSalt,
		Logger:   slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}

	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		result, err := service.ProcessNotification(r.Context(), body, "127.0.0.1")
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set(outcomeHeader, result.Outcome)
		switch result.Outcome {
		case store.OutcomeBadSignature:
			w.WriteHeader(http.StatusUnauthorized)
		case store.OutcomeMalformed:
			w.WriteHeader(http.StatusBadRequest)
		}
		_, _ = io.WriteString(w, result.Outcome+" "+result.Detail)
	}))
	t.Cleanup(server.Close)
	return server.URL + payments.NotificationPath
}

func orderStatus(t *testing.T, st *store.Store, id string) store.OrderStatus {
	t.Helper()
	order, err := st.GetOrder(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return order.Status
}

func TestSimulate_ServiceAppliesEvents(t *testing.T) {
	path, st := orderStore(t)
	createOrder(t, st, "ORD-1", 999, "USD", "TX-1")
	s := testSettings(path, serviceServer(t, st, testAccID))

	steps := []struct {
		args    []string
		outcome string
		want    store.OrderStatus
	}{
		{[]string{"failed", "--order", "ORD-1"}, "applied payment failed", store.StatusFailed},
		{[]string{"paid", "--order", "ORD-1"}, "applied order paid", store.StatusPaid},
		{[]string{"refunded", "--order", "ORD-1", "--amount", "2.00"}, "applied refunded 2.00 USD", store.StatusPartiallyRefunded},
		{[]string{"refunded", "--order", "ORD-1"}, "applied refunded 7.99 USD", store.StatusRefunded},
	}
	for _, step := range steps {
		r := runSimulate(t, s, step.args...)

		if r.err != nil {
			t.Fatalf("simulate %v: %v\n%s", step.args, r.err, r.stdout)
		}
		assertContains(t, r.stdout, step.outcome)
		if got := orderStatus(t, st, "ORD-1"); got != step.want {
			t.Fatalf("after simulate %v: status = %s, want %s", step.args, got, step.want)
		}
	}
}

func TestSimulate_ServiceRejectsForcedRefund(t *testing.T) {
	path, st := orderStore(t)
	paidOrder(t, st, 0)
	s := testSettings(path, serviceServer(t, st, testAccID))

	r := runSimulate(t, s, "refunded", "--order", "ORD-1", "--amount", "20.00", "--force")

	if r.err == nil {
		t.Fatalf("Simulate returned nil for a rejected refund; output:\n%s", r.stdout)
	}
	assertContains(t, r.stdout, "Outcome: rejected\n")
	assertContains(t, r.err.Error(), "rejected the event (outcome rejected), so order ORD-1 did not change")
	assertContains(t, r.err.Error(), "With --force, this rejection is the expected result")
	order, err := st.GetOrder(context.Background(), "ORD-1")
	if err != nil {
		t.Fatal(err)
	}
	if order.Status != store.StatusPaid || order.RefundedMinor != 0 {
		t.Errorf("order %s with %d refunded, want paid with nothing refunded", order.Status, order.RefundedMinor)
	}
}

func TestSimulate_ServiceOfAnotherStoreRejects(t *testing.T) {
	path, st := orderStore(t)
	createOrder(t, st, "ORD-1", 999, "USD", "TX-1")
	s := testSettings(path, serviceServer(t, st, "2018092714313010016999"))

	r := runSimulate(t, s, "paid", "--order", "ORD-1")

	if r.err == nil {
		t.Fatalf("Simulate returned nil for a rejected event; output:\n%s", r.stdout)
	}
	assertContains(t, r.err.Error(), "outcome rejected")
	assertContains(t, r.err.Error(), "accId "+testAccID+" and clientId "+testClientID+
		" are not the server's PINGPONG_ACC_ID and PINGPONG_CLIENT_ID")
	if strings.Contains(r.err.Error(), "--force") {
		t.Errorf("error mentions --force, which was not given: %v", r.err)
	}
	if got := orderStatus(t, st, "ORD-1"); got != store.StatusPending {
		t.Errorf("status = %s, want pending", got)
	}
}

func TestSimulate_ServiceWithAnotherDatabase(t *testing.T) {
	path, st := orderStore(t)
	createOrder(t, st, "ORD-1", 999, "USD", "TX-1")
	_, serverStore := orderStore(t)
	s := testSettings(path, serviceServer(t, serverStore, testAccID))

	r := runSimulate(t, s, "paid", "--order", "ORD-1")

	if r.err == nil {
		t.Fatalf("Simulate returned nil for an unknown order; output:\n%s", r.stdout)
	}
	assertContains(t, r.stdout, "Outcome: unknown_order\n")
	assertContains(t, r.err.Error(), "the server has no order ORD-1 (outcome unknown_order)")
	assertContains(t, r.err.Error(), "read the order from "+path)
}

func TestSimulate_ServiceDuplicateIsNote(t *testing.T) {
	path, st := orderStore(t)
	createOrder(t, st, "ORD-1", 999, "USD", "TX-1")
	s := testSettings(path, serviceServer(t, st, testAccID))
	if r := runSimulate(t, s, "paid", "--order", "ORD-1"); r.err != nil {
		t.Fatalf("first simulate: %v\n%s", r.err, r.stdout)
	}

	r := runSimulate(t, s, "paid", "--order", "ORD-1")

	if r.err != nil {
		t.Fatalf("Simulate: %v\n%s", r.err, r.stdout)
	}
	assertContains(t, r.stdout, "Outcome: duplicate\n")
	assertContains(t, r.stdout, "Note: the server applied this event before (outcome duplicate)")
}
