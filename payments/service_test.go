package payments_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"telegram-bot-webhook/config"
	"telegram-bot-webhook/payments"
	"telegram-bot-webhook/payments/pingpongtest"
	"telegram-bot-webhook/store"
)

const adminChat = int64(900001)

type fixture struct {
	t       *testing.T
	dbPath  string
	ctx     context.Context
	store   *store.Store
	fake    *pingpongtest.Server
	service *payments.Service
	user    *store.User
	product config.Product
	wakes   chan struct{}
	now     time.Time
	nowMu   sync.Mutex
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	dbPath := filepath.Join(t.TempDir(), "bot.db")
	st, err := store.Open(dbPath)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { _ = st.Close() })

	fake := pingpongtest.NewServer(t, pingpongtest.Config{})
	client, err := payments.NewClient(fake.ClientConfig())
	if err != nil {
		t.Fatalf("new client: %v", err)
	}

	f := &fixture{
		t:      t,
		dbPath: dbPath,
		ctx:    context.Background(),
		store:  st,
		fake:   fake,
		wakes:  make(chan struct{}, 1000),
		now:    time.Now().UTC(),
		user:   &store.User{ID: 42, ChatID: 42, Username: "buyer", LanguageCode: "en"},
		product: config.Product{
			SKU: "ebook", Name: "Go e-book", Price: "9.99", Currency: "USD", AmountMinor: 999,
			Delivery: "https://example.com/download",
		},
	}
	cfg := fake.Config()
	f.service, err = payments.NewService(payments.ServiceOptions{
		Store:         st,
		Gateway:       client,
		AccID:         cfg.AccID,
		ClientID:      cfg.ClientID,
		Salt:          cfg.Salt,
		PublicBaseURL: "https://shop.example.com",
		ReturnURL:     "https://t.me/shop_bot",
		ShopperIP:     "127.0.0.1",
		AdminChatIDs:  []int64{adminChat},
		Wake:          func() { f.wakes <- struct{}{} },
		Now:           f.clock,
	})
	if err != nil {
		t.Fatalf("new service: %v", err)
	}
	if err := st.UpsertUser(f.ctx, f.user); err != nil {
		t.Fatalf("upsert user: %v", err)
	}
	return f
}

func (f *fixture) clock() time.Time {
	f.nowMu.Lock()
	defer f.nowMu.Unlock()
	return f.now
}

func (f *fixture) advance(d time.Duration) {
	f.nowMu.Lock()
	defer f.nowMu.Unlock()
	f.now = f.now.Add(d)
}

func (f *fixture) createOrder() *store.Order {
	f.t.Helper()
	order, err := f.service.CreateOrder(f.ctx, f.user, f.product)
	if err != nil {
		f.t.Fatalf("create order: %v", err)
	}
	return order
}

func (f *fixture) process(body []byte) payments.Result {
	f.t.Helper()
	result, err := f.service.ProcessNotification(f.ctx, body, "127.0.0.1")
	if err != nil {
		f.t.Fatalf("process notification: %v", err)
	}
	return result
}

func (f *fixture) order(id string) *store.Order {
	f.t.Helper()
	order, err := f.store.GetOrder(f.ctx, id)
	if err != nil {
		f.t.Fatalf("get order %s: %v", id, err)
	}
	return order
}

// messages returns the kinds of the outbox messages queued for a chat, in
// queue order.
func (f *fixture) messages(chatID int64) []string {
	f.t.Helper()
	var kinds []string
	for _, status := range []string{store.OutboxPending} {
		list, err := f.store.ListMessagesByStatus(f.ctx, status, 1000)
		if err != nil {
			f.t.Fatalf("list messages: %v", err)
		}
		for i := len(list) - 1; i >= 0; i-- {
			if list[i].ChatID == chatID {
				kinds = append(kinds, list[i].Kind)
			}
		}
	}
	return kinds
}

func assertStatus(t *testing.T, order *store.Order, want store.OrderStatus) {
	t.Helper()
	if order.Status != want {
		t.Fatalf("order %s status = %s, want %s", order.MerchantTransactionID, order.Status, want)
	}
}

func assertKinds(t *testing.T, got []string, want ...string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("messages = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("messages = %v, want %v", got, want)
		}
	}
}

func TestCreateOrder_StoresPendingOrderWithLink(t *testing.T) {
	f := newFixture(t)
	order := f.createOrder()

	assertStatus(t, order, store.StatusPending)
	if order.PaymentURL == "" {
		t.Fatal("payment URL is empty")
	}
	checkout, ok := f.fake.Checkout(order.MerchantTransactionID)
	if !ok {
		t.Fatal("PingPong got no prePay for the order")
	}
	if checkout.NotificationURL != "https://shop.example.com/webhook/pingpong" {
		t.Errorf("notificationUrl = %q", checkout.NotificationURL)
	}
	if checkout.Amount != "9.99" || checkout.Currency != "USD" {
		t.Errorf("amount = %s %s, want 9.99 USD", checkout.Amount, checkout.Currency)
	}
	stored := f.order(order.MerchantTransactionID)
	if stored.TransactionID != checkout.TransactionID {
		t.Errorf("transaction id = %q, want %q", stored.TransactionID, checkout.TransactionID)
	}
}

func TestCreateOrder_PingPongErrorLeavesOrderUnpayable(t *testing.T) {
	f := newFixture(t)
	f.fake.FailNext("/v4/payment/prePay", "200001", "risk rejected")

	_, err := f.service.CreateOrder(f.ctx, f.user, f.product)
	if !errors.Is(err, payments.ErrCheckoutUnavailable) {
		t.Fatalf("error = %v, want ErrCheckoutUnavailable", err)
	}
	orders, err := f.store.ListUserOrders(f.ctx, f.user.ID, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(orders) != 1 {
		t.Fatalf("orders = %d, want 1", len(orders))
	}
	assertStatus(t, &orders[0], store.StatusCheckoutFailed)
	if orders[0].Status.IsPayable() {
		t.Error("order with a failed checkout is payable")
	}
}

func TestProcessNotification_SuccessPaysOnce(t *testing.T) {
	f := newFixture(t)
	order := f.createOrder()
	body := f.fake.PaymentNotification(order.MerchantTransactionID, payments.StatusSuccess)

	first := f.process(body)
	if first.Outcome != store.OutcomeApplied {
		t.Fatalf("outcome = %s (%s), want applied", first.Outcome, first.Detail)
	}
	second := f.process(body)
	if second.Outcome != store.OutcomeDuplicate {
		t.Fatalf("repeat outcome = %s, want duplicate", second.Outcome)
	}

	paid := f.order(order.MerchantTransactionID)
	assertStatus(t, paid, store.StatusPaid)
	if paid.PaidAt == nil {
		t.Error("paid_at is not set")
	}
	stored, err := f.store.ListOrderNotifications(f.ctx, order.MerchantTransactionID)
	if err != nil {
		t.Fatal(err)
	}
	if len(stored) != 2 || stored[0].Outcome != store.OutcomeApplied || stored[1].Outcome != store.OutcomeDuplicate {
		t.Errorf("stored notifications = %d, want the applied one and the duplicate", len(stored))
	}
	assertKinds(t, f.messages(f.user.ChatID), store.MessagePaid)
	assertKinds(t, f.messages(adminChat), store.MessageAdmin)
}

func TestProcessNotification_BadSignatureChangesNothing(t *testing.T) {
	f := newFixture(t)
	order := f.createOrder()
	body := f.fake.PaymentNotification(order.MerchantTransactionID, payments.StatusSuccess,
		pingpongtest.WithAmount("9.99"))
	tampered := []byte(string(body))
	for i := range tampered {
		if string(tampered[i:i+4]) == "9.99" {
			copy(tampered[i:], "0.01")
			break
		}
	}

	result := f.process(tampered)
	if result.Outcome != store.OutcomeBadSignature {
		t.Fatalf("outcome = %s, want bad_signature", result.Outcome)
	}
	assertStatus(t, f.order(order.MerchantTransactionID), store.StatusPending)
	assertKinds(t, f.messages(f.user.ChatID))
}

func TestProcessNotification_MalformedBody(t *testing.T) {
	f := newFixture(t)
	result := f.process([]byte(`{"sign":`))
	if result.Outcome != store.OutcomeMalformed {
		t.Fatalf("outcome = %s, want malformed", result.Outcome)
	}
}

func TestProcessNotification_FailedThenSuccess(t *testing.T) {
	f := newFixture(t)
	order := f.createOrder()

	failed := f.process(f.fake.PaymentNotification(order.MerchantTransactionID, payments.StatusFailed,
		pingpongtest.WithResult("300001", "card declined")))
	if failed.Outcome != store.OutcomeApplied {
		t.Fatalf("FAILED outcome = %s (%s)", failed.Outcome, failed.Detail)
	}
	stored := f.order(order.MerchantTransactionID)
	assertStatus(t, stored, store.StatusFailed)
	if stored.FailureReason != "card declined" {
		t.Errorf("failure reason = %q, want %q", stored.FailureReason, "card declined")
	}

	f.process(f.fake.PaymentNotification(order.MerchantTransactionID, payments.StatusSuccess))
	paid := f.order(order.MerchantTransactionID)
	assertStatus(t, paid, store.StatusPaid)
	if paid.FailureReason != "" {
		t.Errorf("paid order keeps the failure reason %q", paid.FailureReason)
	}
	assertKinds(t, f.messages(f.user.ChatID), store.MessageFailed, store.MessagePaid)
}

func TestProcessNotification_FailedAfterSuccessKeepsPaid(t *testing.T) {
	f := newFixture(t)
	order := f.createOrder()
	f.process(f.fake.PaymentNotification(order.MerchantTransactionID, payments.StatusSuccess))

	result := f.process(f.fake.PaymentNotification(order.MerchantTransactionID, payments.StatusFailed))
	if result.Outcome != store.OutcomeIgnored {
		t.Fatalf("outcome = %s, want ignored", result.Outcome)
	}
	assertStatus(t, f.order(order.MerchantTransactionID), store.StatusPaid)
	assertKinds(t, f.messages(f.user.ChatID), store.MessagePaid)
}

func TestProcessNotification_AmountComparedAsMoney(t *testing.T) {
	for _, amount := range []string{"9.99", "9.990", "9.990000"} {
		t.Run(amount, func(t *testing.T) {
			f := newFixture(t)
			order := f.createOrder()
			result := f.process(f.fake.PaymentNotification(order.MerchantTransactionID, payments.StatusSuccess,
				pingpongtest.WithAmount(amount)))
			if result.Outcome != store.OutcomeApplied {
				t.Fatalf("outcome = %s (%s), want applied", result.Outcome, result.Detail)
			}
		})
	}
}

func TestProcessNotification_MismatchRejected(t *testing.T) {
	cases := []struct {
		name string
		opt  pingpongtest.NotificationOption
	}{
		{"amount", pingpongtest.WithAmount("1.00")},
		{"currency", pingpongtest.WithCurrency("EUR")},
		{"transaction id", pingpongtest.WithTransactionID("OTHER-TXN")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			order := f.createOrder()
			body := f.fake.PaymentNotification(order.MerchantTransactionID, payments.StatusSuccess, tc.opt)

			result := f.process(body)
			if result.Outcome != store.OutcomeRejected {
				t.Fatalf("outcome = %s, want rejected", result.Outcome)
			}
			if result.Detail == "" {
				t.Error("rejection has no detail")
			}
			assertStatus(t, f.order(order.MerchantTransactionID), store.StatusPending)
			assertKinds(t, f.messages(f.user.ChatID))
			assertKinds(t, f.messages(adminChat), store.MessageAdmin)

			again := f.process(body)
			if again.Outcome != store.OutcomeDuplicate {
				t.Fatalf("repeat outcome = %s, want duplicate", again.Outcome)
			}
			assertKinds(t, f.messages(adminChat), store.MessageAdmin)
		})
	}
}

func TestProcessNotification_ForeignStoreRejected(t *testing.T) {
	f := newFixture(t)
	order := f.createOrder()
	cfg := f.fake.Config()
	body, err := payments.BuildNotification("2018092714313010016999", cfg.ClientID, cfg.SignType, cfg.Salt,
		payments.NotificationFields{
			NotifyType: payments.NotifyRecharge, Status: payments.StatusSuccess,
			Amount: "9.99", Currency: "USD", MerchantTransactionID: order.MerchantTransactionID,
			TransactionID: order.TransactionID, RequestID: "r-foreign",
		})
	if err != nil {
		t.Fatal(err)
	}

	result := f.process(body)
	if result.Outcome != store.OutcomeRejected {
		t.Fatalf("outcome = %s, want rejected", result.Outcome)
	}
	assertStatus(t, f.order(order.MerchantTransactionID), store.StatusPending)
}

func TestProcessNotification_UnknownOrderStored(t *testing.T) {
	f := newFixture(t)
	cfg := f.fake.Config()
	body, err := payments.BuildNotification(cfg.AccID, cfg.ClientID, cfg.SignType, cfg.Salt,
		payments.NotificationFields{
			NotifyType: payments.NotifyRecharge, Status: payments.StatusSuccess,
			Amount: "1", Currency: "USD", MerchantTransactionID: "ORD-NOT-OURS",
			TransactionID: "T-1", RequestID: "r-1",
		})
	if err != nil {
		t.Fatal(err)
	}
	result := f.process(body)
	if result.Outcome != store.OutcomeUnknownOrder {
		t.Fatalf("outcome = %s, want unknown_order", result.Outcome)
	}
	stored, err := f.store.ListOrderNotifications(f.ctx, "ORD-NOT-OURS")
	if err != nil {
		t.Fatal(err)
	}
	if len(stored) != 1 {
		t.Fatalf("stored notifications = %d, want 1", len(stored))
	}
	assertKinds(t, f.messages(adminChat), store.MessageAdmin)
}

func TestProcessNotification_BadSignatureAlertsAdminsOnce(t *testing.T) {
	f := newFixture(t)
	order := f.createOrder()
	body := f.fake.PaymentNotification(order.MerchantTransactionID, payments.StatusSuccess)
	forged := strings.Replace(string(body), `"sign":"`, `"sign":"00`, 1)

	for range 3 {
		if result := f.process([]byte(forged)); result.Outcome != store.OutcomeBadSignature {
			t.Fatalf("outcome = %s, want bad_signature", result.Outcome)
		}
	}
	assertKinds(t, f.messages(adminChat), store.MessageAdmin)
}

func TestProcessNotification_InvalidBodiesStoredAtBoundedRate(t *testing.T) {
	f := newFixture(t)
	for range 100 {
		f.process([]byte(`{"junk":`))
	}
	stored, err := f.store.ListNotificationsByOutcome(f.ctx, store.OutcomeMalformed, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if len(stored) < 60 || len(stored) >= 100 {
		t.Fatalf("stored malformed bodies = %d, want the burst of 60 and not all 100", len(stored))
	}
}

func TestProcessNotification_CurrencyCaseIgnored(t *testing.T) {
	f := newFixture(t)
	order := f.createOrder()
	result := f.process(f.fake.PaymentNotification(order.MerchantTransactionID, payments.StatusSuccess,
		pingpongtest.WithCurrency("usd")))
	if result.Outcome != store.OutcomeApplied {
		t.Fatalf("outcome = %s (%s), want applied", result.Outcome, result.Detail)
	}
}

func TestProcessNotification_RefundsAddUp(t *testing.T) {
	f := newFixture(t)
	order := f.createOrder()
	f.process(f.fake.PaymentNotification(order.MerchantTransactionID, payments.StatusSuccess))

	f.process(f.fake.RefundNotification(order.MerchantTransactionID, "RF-1", "4.00", payments.StatusSuccess))
	partly := f.order(order.MerchantTransactionID)
	assertStatus(t, partly, store.StatusPartiallyRefunded)
	if partly.RefundedMinor != 400 {
		t.Errorf("refunded = %d, want 400", partly.RefundedMinor)
	}

	f.process(f.fake.RefundNotification(order.MerchantTransactionID, "RF-2", "5.99", payments.StatusSuccess))
	full := f.order(order.MerchantTransactionID)
	assertStatus(t, full, store.StatusRefunded)
	if full.RefundedMinor != 999 {
		t.Errorf("refunded = %d, want 999", full.RefundedMinor)
	}
	assertKinds(t, f.messages(f.user.ChatID), store.MessagePaid, store.MessageRefunded, store.MessageRefunded)

	over := f.process(f.fake.RefundNotification(order.MerchantTransactionID, "RF-3", "0.01", payments.StatusSuccess))
	if over.Outcome != store.OutcomeRejected {
		t.Fatalf("refund past the paid amount: outcome = %s, want rejected", over.Outcome)
	}
}

func TestProcessNotification_RefundBeforePaymentIsDeferred(t *testing.T) {
	f := newFixture(t)
	order := f.createOrder()

	early := f.process(f.fake.RefundNotification(order.MerchantTransactionID, "RF-1", "9.99", payments.StatusSuccess))
	if early.Outcome != store.OutcomeDeferred {
		t.Fatalf("outcome = %s, want deferred", early.Outcome)
	}
	assertStatus(t, f.order(order.MerchantTransactionID), store.StatusPending)

	f.process(f.fake.PaymentNotification(order.MerchantTransactionID, payments.StatusSuccess))
	assertStatus(t, f.order(order.MerchantTransactionID), store.StatusRefunded)
	assertKinds(t, f.messages(f.user.ChatID), store.MessagePaid, store.MessageRefunded)
}

func TestProcessNotification_ConcurrentDuplicatesApplyOnce(t *testing.T) {
	f := newFixture(t)
	order := f.createOrder()
	body := f.fake.PaymentNotification(order.MerchantTransactionID, payments.StatusSuccess)

	const copies = 40
	outcomes := make(chan string, copies)
	var wg sync.WaitGroup
	for range copies {
		wg.Add(1)
		go func() {
			defer wg.Done()
			result, err := f.service.ProcessNotification(f.ctx, body, "127.0.0.1")
			if err != nil {
				outcomes <- "error: " + err.Error()
				return
			}
			outcomes <- result.Outcome
		}()
	}
	wg.Wait()
	close(outcomes)

	counts := map[string]int{}
	for outcome := range outcomes {
		counts[outcome]++
	}
	if counts[store.OutcomeApplied] != 1 || counts[store.OutcomeDuplicate] != copies-1 {
		t.Fatalf("outcomes = %v, want 1 applied and %d duplicate", counts, copies-1)
	}
	assertKinds(t, f.messages(f.user.ChatID), store.MessagePaid)
}
