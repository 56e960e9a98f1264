package tools

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
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
// a payments.Service on st, and responds with the outcome.
func serviceServer(t *testing.T, st *store.Store) string {
	t.Helper()
	service, err := payments.NewService(payments.ServiceOptions{
		Store:    st,
		Gateway:  offlineGateway{},
		AccID:    testAccID,
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
	s := testSettings(path, serviceServer(t, st))

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
