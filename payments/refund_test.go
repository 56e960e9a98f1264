package payments_test

import (
	"errors"
	"testing"

	"telegram-bot-webhook/payments"
	"telegram-bot-webhook/store"
)

func TestRefundOrder_NotificationCompletesIt(t *testing.T) {
	f := newFixture(t)
	order := f.createOrder()
	f.process(f.fake.PaymentNotification(order.MerchantTransactionID, payments.StatusSuccess))

	refund, err := f.service.RefundOrder(f.ctx, order.MerchantTransactionID, 0, adminChat)
	if err != nil {
		t.Fatalf("refund: %v", err)
	}
	if refund.AmountMinor != 999 {
		t.Errorf("refund amount = %d, want the whole 999", refund.AmountMinor)
	}
	requests := f.fake.Refunds()
	if len(requests) != 1 || requests[0].Amount != "9.99" {
		t.Fatalf("PingPong refunds = %+v, want one of 9.99", requests)
	}
	assertStatus(t, f.order(order.MerchantTransactionID), store.StatusPaid)

	f.process(f.fake.RefundNotification(order.MerchantTransactionID, refund.RefundID, "9.99", payments.StatusSuccess))
	assertStatus(t, f.order(order.MerchantTransactionID), store.StatusRefunded)
	stored, err := f.store.GetRefund(f.ctx, refund.MerchantRefundID)
	if err != nil {
		t.Fatal(err)
	}
	if stored.Status != store.RefundSucceeded {
		t.Errorf("refund status = %s, want succeeded", stored.Status)
	}
}

func TestRefundOrder_RejectsUnpaidAndTooMuch(t *testing.T) {
	f := newFixture(t)
	order := f.createOrder()
	if _, err := f.service.RefundOrder(f.ctx, order.MerchantTransactionID, 0, adminChat); !errors.Is(err, payments.ErrNotRefundable) {
		t.Fatalf("unpaid order: error = %v, want ErrNotRefundable", err)
	}
	f.process(f.fake.PaymentNotification(order.MerchantTransactionID, payments.StatusSuccess))
	if _, err := f.service.RefundOrder(f.ctx, order.MerchantTransactionID, 1000, adminChat); !errors.Is(err, payments.ErrNotRefundable) {
		t.Fatalf("amount over the paid one: error = %v, want ErrNotRefundable", err)
	}
	if got := len(f.fake.Refunds()); got != 0 {
		t.Fatalf("PingPong got %d refund requests, want 0", got)
	}
}
