package local

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"telegram-bot-webhook/payments"
	"telegram-bot-webhook/store"
)

// countingOrders is the real store with a record of the payment URLs looked
// up, and an error to return instead when err is set.
type countingOrders struct {
	*store.Store

	mu   sync.Mutex
	urls []string
	err  error
}

func (o *countingOrders) GetOrder(ctx context.Context, id string) (*store.Order, error) {
	if err := o.failure(); err != nil {
		return nil, err
	}
	return o.Store.GetOrder(ctx, id)
}

func (o *countingOrders) GetOrderByPaymentURL(ctx context.Context, paymentURL string) (*store.Order, error) {
	o.mu.Lock()
	o.urls = append(o.urls, paymentURL)
	o.mu.Unlock()
	if err := o.failure(); err != nil {
		return nil, err
	}
	return o.Store.GetOrderByPaymentURL(ctx, paymentURL)
}

func (o *countingOrders) failure() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.err
}

func (o *countingOrders) lookedUp() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]string(nil), o.urls...)
}

// openOrders opens a store in a temporary directory.
func openOrders(t *testing.T) *countingOrders {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "bot.db"))
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return &countingOrders{Store: st}
}

// withOrders sets Options.Orders.
func withOrders(orders OrderLookup) func(*Options) {
	return func(o *Options) { o.Orders = orders }
}

// storeOrder saves the order of a checkout as the service does after
// prePay, in the given state.
func storeOrder(t *testing.T, orders *countingOrders, f *fixture, checkout *payments.PrePayResult,
	status store.OrderStatus, change func(*store.Order)) *store.Order {
	t.Helper()
	order := &store.Order{
		MerchantTransactionID: checkout.MerchantTransactionID,
		UserID:                7,
		ChatID:                7,
		SKU:                   "guide",
		ProductName:           "Field Guide",
		AmountMinor:           999,
		Currency:              "USD",
		Status:                status,
		TransactionID:         checkout.TransactionID,
		PaymentURL:            checkout.PaymentURL,
		LanguageCode:          "en",
		ExpiresAt:             f.clock().Add(payments.CheckoutValidity),
	}
	if change != nil {
		change(order)
	}
	if err := orders.CreateOrder(context.Background(), order); err != nil {
		t.Fatalf("create order: %v", err)
	}
	return order
}

// restart returns a new provider on the same store, clock and receiver,
// after closing the fixture's provider.
func (f *fixture) restart(orders OrderLookup) *Provider {
	f.t.Helper()
	if err := f.provider.Close(); err != nil {
		f.t.Fatal(err)
	}
	next := newFixture(f.t, withOrders(orders), func(o *Options) {
		o.NotifyURL = f.receiver.url()
		o.Now = f.clock
	})
	f.provider = next.provider
	return next.provider
}

func TestRestore_PageWorksAfterRestart(t *testing.T) {
	orders := openOrders(t)
	f := newFixture(t, withOrders(orders))
	checkout := f.prePay(f.prePayRequest("ORD-1"))
	storeOrder(t, orders, f, checkout, store.StatusPending, nil)
	form := url.Values{csrfField: {formToken(t, f.get(checkout.PaymentURL, "").body)}}

	f.restart(orders)
	page := f.get(checkout.PaymentURL, "")

	if page.status != http.StatusOK {
		t.Fatalf("page status after restart = %d, want 200\n%s", page.status, page.body)
	}
	assertContains(t, page.body, "Field Guide", "9.99 USD", "ORD-1")
	if got := orders.lookedUp(); len(got) != 1 || got[0] != checkout.PaymentURL {
		t.Errorf("looked up %q, want the full payment URL %q once", got, checkout.PaymentURL)
	}

	result := f.submit(checkout.PaymentURL, "pay", form)

	if result.status != http.StatusOK {
		t.Fatalf("pay with the form loaded before the restart: status = %d, want 200\n%s",
			result.status, result.body)
	}
	n := f.receiver.waitFor(1)[0]
	if n.MerchantTransactionID != "ORD-1" || n.TransactionID != checkout.TransactionID ||
		n.Amount != "9.99" || n.Currency != "USD" || n.Status != payments.StatusSuccess {
		t.Errorf("notification = %s %s %s %s %s, want SUCCESS of ORD-1 %s 9.99 USD", n.Status,
			n.MerchantTransactionID, n.TransactionID, n.Amount, n.Currency, checkout.TransactionID)
	}
}

func TestRestore_ChineseOrder(t *testing.T) {
	orders := openOrders(t)
	f := newFixture(t, withOrders(orders))
	checkout := f.prePay(f.prePayRequest("ORD-ZH"))
	storeOrder(t, orders, f, checkout, store.StatusFailed, func(o *store.Order) { o.LanguageCode = "zh-hans" })

	f.restart(orders)
	page := f.get(checkout.PaymentURL, "en")

	assertContains(t, page.body, `<html lang="zh">`, ">支付</button>")
}

func TestRestore_UnknownTokenNotFound(t *testing.T) {
	orders := openOrders(t)
	f := newFixture(t, withOrders(orders))
	checkout := f.prePay(f.prePayRequest("ORD-1"))
	storeOrder(t, orders, f, checkout, store.StatusPending, nil)
	f.restart(orders)

	last := "A"
	if strings.HasSuffix(checkout.PaymentURL, last) {
		last = "B"
	}
	guessed := f.get(checkout.PaymentURL[:len(checkout.PaymentURL)-1]+last, "")
	invalid := f.get("http://127.0.0.1:8000/checkout/not*a*token", "")

	for name, page := range map[string]response{"guessed": guessed, "invalid": invalid} {
		if page.status != http.StatusNotFound {
			t.Errorf("%s token: status = %d, want 404", name, page.status)
		}
	}
	if got := orders.lookedUp(); len(got) != 1 {
		t.Errorf("looked up %d URLs, want 1: a string that is no token is not looked up", len(got))
	}
}

func TestRestore_QueryAfterRestart(t *testing.T) {
	paidAt := time.Date(2026, 5, 1, 11, 0, 0, 0, time.UTC)
	tests := []struct {
		status store.OrderStatus
		want   string
	}{
		{store.StatusPending, payments.StatusInit},
		{store.StatusFailed, payments.StatusInit},
		{store.StatusPaid, payments.StatusSuccess},
		{store.StatusPartiallyRefunded, payments.StatusSuccess},
		{store.StatusRefunded, payments.StatusSuccess},
		{store.StatusExpired, payments.StatusClosed},
	}
	for _, tt := range tests {
		t.Run(string(tt.status), func(t *testing.T) {
			orders := openOrders(t)
			f := newFixture(t, withOrders(orders))
			checkout := f.prePay(f.prePayRequest("ORD-1"))
			storeOrder(t, orders, f, checkout, tt.status, func(o *store.Order) {
				if o.Status.IsPaid() {
					o.PaidAt = &paidAt
				}
			})
			f.restart(orders)

			got := queryStatus(t, f.provider, "ORD-1")

			if got.Status != tt.want {
				t.Errorf("status = %s, want %s", got.Status, tt.want)
			}
			if got.TransactionID != checkout.TransactionID || got.Amount != "9.99" || got.Currency != "USD" {
				t.Errorf("result = %+v, want %s 9.99 USD", got, checkout.TransactionID)
			}
			if tt.want == payments.StatusSuccess && !got.TransactionTime.Equal(paidAt) {
				t.Errorf("transaction time = %s, want the paid time %s", got.TransactionTime, paidAt)
			}
		})
	}
}

func TestRestore_OrdersWithoutCheckoutUnknown(t *testing.T) {
	orders := openOrders(t)
	f := newFixture(t, withOrders(orders))
	failed := f.prePay(f.prePayRequest("ORD-FAILED"))
	storeOrder(t, orders, f, failed, store.StatusCheckoutFailed, nil)
	noLink := f.prePay(f.prePayRequest("ORD-NO-LINK"))
	storeOrder(t, orders, f, noLink, store.StatusPending, func(o *store.Order) { o.PaymentURL = "" })
	f.restart(orders)

	for _, id := range []string{"ORD-FAILED", "ORD-NO-LINK", "ORD-MISSING"} {
		_, err := f.provider.Query(context.Background(), id)

		var apiErr *payments.APIError
		if !errors.As(err, &apiErr) || apiErr.Code != CodeNotFound {
			t.Errorf("Query %s: error = %v, want code %s", id, err, CodeNotFound)
		}
	}
}

func TestRestore_ExpiredOrderPageNotFound(t *testing.T) {
	orders := openOrders(t)
	f := newFixture(t, withOrders(orders))
	checkout := f.prePay(f.prePayRequest("ORD-1"))
	storeOrder(t, orders, f, checkout, store.StatusExpired, nil)
	f.restart(orders)

	if page := f.get(checkout.PaymentURL, ""); page.status != http.StatusNotFound {
		t.Errorf("page of an expired order: status = %d, want 404", page.status)
	}
}

func TestRestore_RefundAfterRestart(t *testing.T) {
	orders := openOrders(t)
	f := newFixture(t, withOrders(orders))
	checkout := f.prePay(f.prePayRequest("ORD-1"))
	storeOrder(t, orders, f, checkout, store.StatusPartiallyRefunded, func(o *store.Order) {
		o.RefundedMinor = 400
	})
	f.restart(orders)

	_, overErr := f.provider.Refund(context.Background(), refundRequest("ORD-1", "RF-OVER", 600))
	result, err := f.provider.Refund(context.Background(), refundRequest("ORD-1", "RF-REST", 599))

	var apiErr *payments.APIError
	if !errors.As(overErr, &apiErr) || !strings.Contains(apiErr.Description, "exceeds the 5.99 USD left") {
		t.Errorf("refund over the amount left: error = %v, want a rejection with 5.99 USD left", overErr)
	}
	if err != nil {
		t.Fatalf("Refund of the amount left: %v", err)
	}
	n := f.receiver.waitFor(1)[0]
	if n.NotifyType != payments.NotifyRefund || n.RefundID != result.RefundID ||
		n.TransactionID != checkout.TransactionID || n.Amount != "5.99" {
		t.Errorf("notification = %s %s %s %s, want REFUND %s of %s for 5.99",
			n.NotifyType, n.RefundID, n.TransactionID, n.Amount, result.RefundID, checkout.TransactionID)
	}
}

func TestQuery_OrderPaidByAnotherNotification(t *testing.T) {
	orders := openOrders(t)
	f := newFixture(t, withOrders(orders))
	checkout := f.prePay(f.prePayRequest("ORD-1"))
	order := storeOrder(t, orders, f, checkout, store.StatusPending, nil)
	paidAt := f.clock().Add(-time.Minute)
	err := orders.TransitionOrder(context.Background(), order, store.StatusPaid, store.OrderChange{
		TransactionID: "SIMULATED-TX",
		PaidAt:        &paidAt,
	})
	if err != nil {
		t.Fatal(err)
	}

	got := queryStatus(t, f.provider, "ORD-1")
	_, refundErr := f.provider.Refund(context.Background(), refundRequest("ORD-1", "RF-1", 999))

	if got.Status != payments.StatusSuccess || got.TransactionID != "SIMULATED-TX" {
		t.Errorf("Query = %s %s, want SUCCESS SIMULATED-TX", got.Status, got.TransactionID)
	}
	if refundErr != nil {
		t.Errorf("Refund: %v, want it accepted", refundErr)
	}
	if page := f.get(checkout.PaymentURL, ""); page.status != http.StatusNotFound {
		t.Errorf("page of the paid order: status = %d, want 404", page.status)
	}
	if n := f.receiver.waitFor(1)[0]; n.TransactionID != "SIMULATED-TX" {
		t.Errorf("refund notification transactionId = %s, want SIMULATED-TX", n.TransactionID)
	}
}

func TestQuery_StoreReadErrorIsTemporary(t *testing.T) {
	orders := openOrders(t)
	f := newFixture(t, withOrders(orders))
	f.prePay(f.prePayRequest("ORD-1"))
	orders.mu.Lock()
	orders.err = errors.New("database is locked")
	orders.mu.Unlock()

	_, err := f.provider.Query(context.Background(), "ORD-1")

	var apiErr *payments.APIError
	if err == nil || errors.As(err, &apiErr) || !strings.Contains(err.Error(), "database is locked") {
		t.Errorf("error = %v, want the store error and no APIError", err)
	}
}

func TestPrePay_SameOrderAfterRestart(t *testing.T) {
	orders := openOrders(t)
	f := newFixture(t, withOrders(orders))
	first := f.prePay(f.prePayRequest("ORD-1"))
	storeOrder(t, orders, f, first, store.StatusPending, nil)
	f.restart(orders)

	again := f.prePay(f.prePayRequest("ORD-1"))

	if *again != *first {
		t.Errorf("prePay after restart = %+v, want the first %+v", again, first)
	}
}
