package payments_test

import (
	"context"
	"errors"
	"testing"

	"telegram-bot-webhook/payments"
	"telegram-bot-webhook/payments/pingpongtest"
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

func TestRefundOrder_TimeoutKeepsAmountReserved(t *testing.T) {
	f := newFixture(t)
	order := f.createOrder()
	f.process(f.fake.PaymentNotification(order.MerchantTransactionID, payments.StatusSuccess))
	f.fake.FailNextHTTP(payments.PathRefund, 504)

	refund, err := f.service.RefundOrder(f.ctx, order.MerchantTransactionID, 0, adminChat)
	if err == nil {
		t.Fatal("refund succeeded although PingPong answered 504")
	}
	stored, err := f.store.GetRefund(f.ctx, refund.MerchantRefundID)
	if err != nil {
		t.Fatal(err)
	}
	if stored.Status != store.RefundRequested {
		t.Fatalf("status after a 504 = %s, want requested: PingPong may have made the refund", stored.Status)
	}
}

func TestRefundOrder_APIRejectionMarksFailed(t *testing.T) {
	f := newFixture(t)
	order := f.createOrder()
	f.process(f.fake.PaymentNotification(order.MerchantTransactionID, payments.StatusSuccess))
	f.fake.FailNext(payments.PathRefund, "108000", "refund rejected")

	refund, err := f.service.RefundOrder(f.ctx, order.MerchantTransactionID, 0, adminChat)
	if err == nil {
		t.Fatal("refund succeeded although PingPong rejected it")
	}
	stored, _ := f.store.GetRefund(f.ctx, refund.MerchantRefundID)
	if stored.Status != store.RefundFailed {
		t.Fatalf("status after a rejection = %s, want failed", stored.Status)
	}
}

// notifyingGateway applies the refund notification before it returns the
// refund answer, as a fast PingPong can.
type notifyingGateway struct {
	payments.Gateway
	fake    *pingpongtest.Server
	service **payments.Service
	t       *testing.T
}

func (g notifyingGateway) Refund(ctx context.Context, req payments.RefundRequest) (*payments.RefundResult, error) {
	result, err := g.Gateway.Refund(ctx, req)
	if err != nil {
		return nil, err
	}
	body := g.fake.RefundNotification(req.MerchantTransactionID, result.RefundID, "9.99", payments.StatusSuccess)
	if _, err := (*g.service).ProcessNotification(ctx, body, "127.0.0.1"); err != nil {
		g.t.Errorf("apply refund notification: %v", err)
	}
	return result, nil
}

func TestRefundOrder_EarlyNotificationNotOverwritten(t *testing.T) {
	f := newFixture(t)
	order := f.createOrder()
	f.process(f.fake.PaymentNotification(order.MerchantTransactionID, payments.StatusSuccess))

	client, err := payments.NewClient(f.fake.ClientConfig())
	if err != nil {
		t.Fatal(err)
	}
	var service *payments.Service
	cfg := f.fake.Config()
	service, err = payments.NewService(payments.ServiceOptions{
		Store: f.store, Gateway: notifyingGateway{Gateway: client, fake: f.fake, service: &service, t: t},
		AccID: cfg.AccID, ClientID: cfg.ClientID, Salt: cfg.Salt,
		PublicBaseURL: "https://shop.example.com", ShopperIP: "127.0.0.1",
	})
	if err != nil {
		t.Fatal(err)
	}

	refund, err := service.RefundOrder(f.ctx, order.MerchantTransactionID, 0, adminChat)
	if err != nil {
		t.Fatalf("refund: %v", err)
	}
	stored, _ := f.store.GetRefund(f.ctx, refund.MerchantRefundID)
	if stored.Status != store.RefundSucceeded {
		t.Fatalf("refund status = %s, want succeeded as its notification reported", stored.Status)
	}
	assertStatus(t, f.order(order.MerchantTransactionID), store.StatusRefunded)
}
