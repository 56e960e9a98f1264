package payments_test

import (
	"strings"
	"testing"
	"time"

	"telegram-bot-webhook/payments"
	"telegram-bot-webhook/store"
)

func (f *fixture) reconciler() *payments.Reconciler {
	return f.service.NewReconciler(payments.ReconcilerOptions{
		PendingAge: 10 * time.Minute,
		Interval:   time.Minute,
		MaxBackoff: 8 * time.Minute,
	})
}

func TestReconciler_AppliesMissedPayment(t *testing.T) {
	f := newFixture(t)
	order := f.createOrder()
	f.fake.SetStatus(order.MerchantTransactionID, payments.StatusSuccess)
	r := f.reconciler()

	r.RunOnce(f.ctx)
	assertStatus(t, f.order(order.MerchantTransactionID), store.StatusPending)

	f.advance(11 * time.Minute)
	if failures := r.RunOnce(f.ctx); failures != 0 {
		t.Fatalf("failures = %d, want 0", failures)
	}
	assertStatus(t, f.order(order.MerchantTransactionID), store.StatusPaid)
	assertKinds(t, f.messages(f.user.ChatID), store.MessagePaid)
}

func TestReconciler_SameEventAsNotification(t *testing.T) {
	f := newFixture(t)
	order := f.createOrder()
	body := f.fake.PaymentNotification(order.MerchantTransactionID, payments.StatusSuccess)
	f.advance(11 * time.Minute)

	f.reconciler().RunOnce(f.ctx)
	result := f.process(body)
	if result.Outcome != store.OutcomeDuplicate {
		t.Fatalf("notification after inquiry: outcome = %s, want duplicate", result.Outcome)
	}
	assertKinds(t, f.messages(f.user.ChatID), store.MessagePaid)
}

func TestReconciler_InquiryFailureBacksOff(t *testing.T) {
	f := newFixture(t)
	order := f.createOrder()
	f.advance(11 * time.Minute)
	r := f.reconciler()

	f.fake.FailNextHTTP(payments.PathQuery, 502)
	if failures := r.RunOnce(f.ctx); failures != 1 {
		t.Fatalf("failures = %d, want 1", failures)
	}
	before := f.fake.Requests(payments.PathQuery)
	r.RunOnce(f.ctx)
	if got := f.fake.Requests(payments.PathQuery); got != before {
		t.Fatalf("order asked again during its backoff: %d queries, want %d", got, before)
	}

	f.fake.SetStatus(order.MerchantTransactionID, payments.StatusSuccess)
	f.advance(2 * time.Minute)
	if failures := r.RunOnce(f.ctx); failures != 0 {
		t.Fatalf("failures after backoff = %d, want 0", failures)
	}
	assertStatus(t, f.order(order.MerchantTransactionID), store.StatusPaid)
}

func TestReconciler_ExpiresUnpaidOrder(t *testing.T) {
	f := newFixture(t)
	order := f.createOrder()
	f.advance(payments.CheckoutValidity + time.Minute)

	f.reconciler().RunOnce(f.ctx)
	assertStatus(t, f.order(order.MerchantTransactionID), store.StatusExpired)
	assertKinds(t, f.messages(f.user.ChatID), store.MessageExpired)
}

func TestReconciler_ExpiredOrderPaidLater(t *testing.T) {
	f := newFixture(t)
	order := f.createOrder()
	f.advance(payments.CheckoutValidity + time.Minute)
	f.reconciler().RunOnce(f.ctx)

	result := f.process(f.fake.PaymentNotification(order.MerchantTransactionID, payments.StatusSuccess))
	if result.Outcome != store.OutcomeApplied {
		t.Fatalf("outcome = %s (%s), want applied", result.Outcome, result.Detail)
	}
	assertStatus(t, f.order(order.MerchantTransactionID), store.StatusPaid)
	assertKinds(t, f.messages(f.user.ChatID), store.MessageExpired, store.MessagePaid)
	assertKinds(t, f.messages(adminChat), store.MessageAdmin)
}

func TestReconciler_LeavesFreshOrdersAlone(t *testing.T) {
	f := newFixture(t)
	f.createOrder()
	f.reconciler().RunOnce(f.ctx)
	if got := f.fake.Requests(payments.PathQuery); got != 0 {
		t.Fatalf("queries = %d, want 0 for an order younger than the pending age", got)
	}
}

// adminTexts returns the texts of the pending admin messages, in queue
// order.
func (f *fixture) adminTexts() []string {
	f.t.Helper()
	list, err := f.store.ListMessagesByStatus(f.ctx, store.OutboxPending, 1000)
	if err != nil {
		f.t.Fatal(err)
	}
	var texts []string
	for i := len(list) - 1; i >= 0; i-- {
		if list[i].Kind != store.MessageAdmin {
			continue
		}
		payload, err := list[i].DecodePayload()
		if err != nil {
			f.t.Fatal(err)
		}
		texts = append(texts, payload.Text)
	}
	return texts
}

func TestReconciler_ExpiredPaidAlertNamesExpiry(t *testing.T) {
	f := newFixture(t)
	order := f.createOrder()
	f.advance(payments.CheckoutValidity + time.Minute)
	f.reconciler().RunOnce(f.ctx)
	f.process(f.fake.PaymentNotification(order.MerchantTransactionID, payments.StatusSuccess))

	texts := f.adminTexts()
	if len(texts) != 1 || !strings.Contains(texts[0], "was paid while expired") {
		t.Fatalf("admin texts = %q, want one saying the order was paid while expired", texts)
	}
}

func TestReconciler_ExpiresAfterGraceWhenInquiriesFail(t *testing.T) {
	f := newFixture(t)
	order := f.createOrder()
	f.advance(payments.CheckoutValidity + 25*time.Hour)
	f.fake.FailNextHTTP(payments.PathQuery, 502)

	r := f.service.NewReconciler(payments.ReconcilerOptions{PendingAge: time.Minute, ExpiryGrace: 24 * time.Hour})
	if failures := r.RunOnce(f.ctx); failures != 0 {
		t.Fatalf("failures = %d, want 0: past the grace the order expires without PingPong", failures)
	}
	assertStatus(t, f.order(order.MerchantTransactionID), store.StatusExpired)
	assertKinds(t, f.messages(f.user.ChatID), store.MessageExpired)
}
