package payments_test

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"telegram-bot-webhook/config"
	"telegram-bot-webhook/payments"
	"telegram-bot-webhook/payments/pingpongtest"
	"telegram-bot-webhook/store"
)

// scriptedGateway is a Gateway whose responses the test controls.
type scriptedGateway struct {
	prePay func(ctx context.Context, req payments.PrePayRequest) (*payments.PrePayResult, error)
	query  func(ctx context.Context, orderID string) (*payments.QueryResult, error)

	mu      sync.Mutex
	queries map[string]int
}

func (g *scriptedGateway) PrePay(ctx context.Context, req payments.PrePayRequest) (*payments.PrePayResult, error) {
	return g.prePay(ctx, req)
}

func (g *scriptedGateway) Query(ctx context.Context, orderID string) (*payments.QueryResult, error) {
	g.mu.Lock()
	if g.queries == nil {
		g.queries = make(map[string]int)
	}
	g.queries[orderID]++
	g.mu.Unlock()
	return g.query(ctx, orderID)
}

func (g *scriptedGateway) Refund(context.Context, payments.RefundRequest) (*payments.RefundResult, error) {
	return nil, errors.New("refund not scripted")
}

func (g *scriptedGateway) queryCount(orderID string) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.queries[orderID]
}

func newScriptedService(t *testing.T, gateway payments.Gateway, now func() time.Time) (*payments.Service, *store.Store) {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "bot.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	service, err := payments.NewService(payments.ServiceOptions{
		Store: st, Gateway: gateway,
		AccID: pingpongtest.SandboxAccID, ClientID: pingpongtest.SandboxClientID, Salt: pingpongtest.SandboxSalt,
		PublicBaseURL: "https://shop.example.com", ShopperIP: "127.0.0.1",
		AdminChatIDs: []int64{adminChat}, Now: now,
	})
	if err != nil {
		t.Fatal(err)
	}
	return service, st
}

var scriptedProduct = config.Product{SKU: "ebook", Name: "E-book", Price: "9.99", Currency: "USD", AmountMinor: 999}

func TestCreateOrder_ClosedDuringPrePay(t *testing.T) {
	started := make(chan string, 1)
	release := make(chan struct{})
	gateway := &scriptedGateway{
		prePay: func(_ context.Context, req payments.PrePayRequest) (*payments.PrePayResult, error) {
			started <- req.MerchantTransactionID
			<-release
			return &payments.PrePayResult{TransactionID: "TX-1", MerchantTransactionID: req.MerchantTransactionID,
				PaymentURL: "https://pay.example.com/x"}, nil
		},
		query: func(context.Context, string) (*payments.QueryResult, error) {
			return nil, &payments.APIError{Call: "query", Code: "103000", Description: "transaction not found"}
		},
	}
	later := time.Now().Add(time.Hour)
	service, st := newScriptedService(t, gateway, func() time.Time { return later })
	reconciler := service.NewReconciler(payments.ReconcilerOptions{PendingAge: time.Minute, MinCreatingAge: time.Minute})

	type created struct {
		order *store.Order
		err   error
	}
	done := make(chan created, 1)
	go func() {
		order, err := service.CreateOrder(context.Background(), &store.User{ID: 5, ChatID: 5}, scriptedProduct)
		done <- created{order, err}
	}()
	orderID := <-started
	reconciler.RunOnce(context.Background())
	close(release)
	result := <-done

	if !errors.Is(result.err, payments.ErrCheckoutUnavailable) {
		t.Fatalf("CreateOrder error = %v, want ErrCheckoutUnavailable for an order closed meanwhile", result.err)
	}
	stored, err := st.GetOrder(context.Background(), orderID)
	if err != nil {
		t.Fatal(err)
	}
	if stored.Status != store.StatusCheckoutFailed {
		t.Fatalf("status = %s, want checkout_failed", stored.Status)
	}

	// Should PingPong report a payment anyway, it is real money: pay.
	body, err := payments.BuildNotification(pingpongtest.SandboxAccID, pingpongtest.SandboxClientID,
		payments.SignSHA256, pingpongtest.SandboxSalt, payments.NotificationFields{
			NotifyType: payments.NotifyRecharge, Status: payments.StatusSuccess, Amount: "9.99", Currency: "USD",
			MerchantTransactionID: orderID, TransactionID: "TX-1", RequestID: "r-1",
		})
	if err != nil {
		t.Fatal(err)
	}
	outcome, err := service.ProcessNotification(context.Background(), body, "127.0.0.1")
	if err != nil || outcome.Outcome != store.OutcomeApplied {
		t.Fatalf("late payment: outcome = %+v, err = %v, want applied", outcome, err)
	}
	paid, _ := st.GetOrder(context.Background(), orderID)
	if paid.Status != store.StatusPaid {
		t.Fatalf("status after late payment = %s, want paid", paid.Status)
	}
}

func TestReconciler_WaitsForSlowPrePay(t *testing.T) {
	release := make(chan struct{})
	gateway := &scriptedGateway{
		prePay: func(_ context.Context, req payments.PrePayRequest) (*payments.PrePayResult, error) {
			<-release
			return &payments.PrePayResult{TransactionID: "TX-1", MerchantTransactionID: req.MerchantTransactionID,
				PaymentURL: "https://pay.example.com/x"}, nil
		},
		query: func(context.Context, string) (*payments.QueryResult, error) {
			return nil, &payments.APIError{Call: "query", Code: "103000", Description: "transaction not found"}
		},
	}
	soon := time.Now().Add(2 * time.Minute)
	service, st := newScriptedService(t, gateway, func() time.Time { return soon })
	reconciler := service.NewReconciler(payments.ReconcilerOptions{PendingAge: time.Minute, MinCreatingAge: 10 * time.Minute})

	done := make(chan error, 1)
	go func() {
		_, err := service.CreateOrder(context.Background(), &store.User{ID: 5, ChatID: 5}, scriptedProduct)
		done <- err
	}()
	var orders []store.Order
	for len(orders) == 0 {
		var err error
		orders, err = st.ListUserOrders(context.Background(), 5, 1)
		if err != nil {
			t.Fatal(err)
		}
	}
	reconciler.RunOnce(context.Background())
	if got := gateway.queryCount(orders[0].MerchantTransactionID); got != 0 {
		t.Fatalf("queries = %d for an order younger than MinCreatingAge, want 0", got)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatalf("CreateOrder: %v", err)
	}
}

// createAgedOrders creates count orders through the gateway and returns a
// service whose clock is an hour later, past every reconciler age used here.
func createAgedOrders(t *testing.T, gateway payments.Gateway, count int) (*payments.Service, *store.Store, []string) {
	t.Helper()
	var mu sync.Mutex
	now := time.Now()
	clock := func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		return now
	}
	service, st := newScriptedService(t, gateway, clock)

	var ids []string
	for range count {
		order, err := service.CreateOrder(context.Background(), &store.User{ID: 5, ChatID: 5}, scriptedProduct)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, order.MerchantTransactionID)
	}
	mu.Lock()
	now = now.Add(time.Hour)
	mu.Unlock()
	return service, st, ids
}

func TestReconciler_ReachesNewerOrders(t *testing.T) {
	gateway := &scriptedGateway{
		prePay: func(_ context.Context, req payments.PrePayRequest) (*payments.PrePayResult, error) {
			return &payments.PrePayResult{TransactionID: "TX-" + req.MerchantTransactionID,
				MerchantTransactionID: req.MerchantTransactionID, PaymentURL: "https://pay.example.com/x"}, nil
		},
		query: func(_ context.Context, orderID string) (*payments.QueryResult, error) {
			return &payments.QueryResult{Status: payments.StatusInit, MerchantTransactionID: orderID}, nil
		},
	}
	service, _, ids := createAgedOrders(t, gateway, 6)

	reconciler := service.NewReconciler(payments.ReconcilerOptions{PendingAge: time.Minute, Interval: time.Minute, BatchSize: 2})
	for range 3 {
		reconciler.RunOnce(context.Background())
	}
	for _, id := range ids {
		if gateway.queryCount(id) != 1 {
			t.Errorf("order %s queried %d times in 3 passes of 2, want 1", id, gateway.queryCount(id))
		}
	}
}

func TestReconciler_NoTransactionIDKeptApart(t *testing.T) {
	gateway := &scriptedGateway{
		prePay: func(_ context.Context, req payments.PrePayRequest) (*payments.PrePayResult, error) {
			return &payments.PrePayResult{MerchantTransactionID: req.MerchantTransactionID,
				PaymentURL: "https://pay.example.com/x"}, nil
		},
		query: func(_ context.Context, orderID string) (*payments.QueryResult, error) {
			return &payments.QueryResult{Status: payments.StatusSuccess, MerchantTransactionID: orderID,
				Amount: "9.99", Currency: "USD"}, nil
		},
	}
	service, st, ids := createAgedOrders(t, gateway, 2)

	service.NewReconciler(payments.ReconcilerOptions{PendingAge: time.Minute}).RunOnce(context.Background())
	for _, id := range ids {
		order, err := st.GetOrder(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if order.Status != store.StatusPaid {
			t.Errorf("order %s status = %s, want paid: each order's answer is its own event", id, order.Status)
		}
	}
}
