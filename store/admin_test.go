package store

import (
	"context"
	"testing"
	"time"
)

// addSummaryOrder stores an order created at the given time.
func addSummaryOrder(t *testing.T, s *Store, id string, created time.Time, status OrderStatus, amount, refunded int64, currency string) {
	t.Helper()
	order := &Order{
		MerchantTransactionID: id, UserID: 1, ChatID: 1, SKU: "sku", ProductName: "Product",
		AmountMinor: amount, RefundedMinor: refunded, Currency: currency, Status: status,
		CreatedAt: created.UTC(),
	}
	if err := s.CreateOrder(context.Background(), order); err != nil {
		t.Fatalf("create order %s: %v", id, err)
	}
}

func TestSummarizeOrders_CountsAndNetRevenue(t *testing.T) {
	s := openTestStore(t)
	ctx := context.Background()
	now := time.Now().UTC()
	addSummaryOrder(t, s, "NEW-PAID", now, StatusPaid, 999, 0, "USD")
	addSummaryOrder(t, s, "NEW-PART", now, StatusPartiallyRefunded, 1000, 300, "JPY")
	addSummaryOrder(t, s, "NEW-PENDING", now, StatusPending, 500, 0, "USD")
	addSummaryOrder(t, s, "OLD-REFUNDED", now.Add(-72*time.Hour), StatusRefunded, 2000, 2000, "USD")
	addSummaryOrder(t, s, "OLD-PAID", now.Add(-72*time.Hour), StatusPaid, 1500, 0, "USD")

	recent, err := s.SummarizeOrders(ctx, now.Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if got := recent.Statuses[StatusPaid]; got != 1 {
		t.Errorf("recent paid = %d, want 1", got)
	}
	if got := recent.Statuses[StatusPending]; got != 1 {
		t.Errorf("recent pending = %d, want 1", got)
	}
	if got := recent.Statuses[StatusRefunded]; got != 0 {
		t.Errorf("recent refunded = %d, want 0", got)
	}
	if got := recent.NetPaidMinor["USD"]; got != 999 {
		t.Errorf("recent USD revenue = %d, want 999", got)
	}
	if got := recent.NetPaidMinor["JPY"]; got != 700 {
		t.Errorf("recent JPY revenue = %d, want 700", got)
	}

	all, err := s.SummarizeOrders(ctx, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if got := all.Statuses[StatusPaid]; got != 2 {
		t.Errorf("all paid = %d, want 2", got)
	}
	if got := all.Statuses[StatusRefunded]; got != 1 {
		t.Errorf("all refunded = %d, want 1", got)
	}
	if got := all.NetPaidMinor["USD"]; got != 999+1500 {
		t.Errorf("all USD revenue = %d, want %d", got, 999+1500)
	}
}

func TestSummarizeOrders_EmptyDatabase(t *testing.T) {
	s := openTestStore(t)
	summary, err := s.SummarizeOrders(context.Background(), time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if len(summary.Statuses) != 0 || len(summary.NetPaidMinor) != 0 {
		t.Errorf("summary = %+v, want empty maps", summary)
	}
}

func TestCountOrdersInStatus_OnlyOlderOrders(t *testing.T) {
	s := openTestStore(t)
	now := time.Now().UTC()
	addSummaryOrder(t, s, "OLD", now.Add(-time.Hour), StatusCreating, 100, 0, "USD")
	addSummaryOrder(t, s, "NEW", now, StatusCreating, 100, 0, "USD")
	addSummaryOrder(t, s, "OTHER", now.Add(-time.Hour), StatusPending, 100, 0, "USD")

	count, err := s.CountOrdersInStatus(context.Background(), StatusCreating, now.Add(-10*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if count != 1 {
		t.Errorf("count = %d, want 1", count)
	}
}

func TestCountNotificationsByOutcome_Since(t *testing.T) {
	s := openTestStore(t)
	ctx := context.Background()
	now := time.Now().UTC()
	for i, created := range []time.Time{now, now.Add(-48 * time.Hour)} {
		n := &Notification{Outcome: OutcomeBadSignature, CreatedAt: created, Detail: "signature mismatch"}
		if err := s.InsertNotification(ctx, n); err != nil {
			t.Fatalf("insert notification %d: %v", i, err)
		}
	}
	if err := s.InsertNotification(ctx, &Notification{Outcome: OutcomeRejected, CreatedAt: now}); err != nil {
		t.Fatal(err)
	}

	recent, err := s.CountNotificationsByOutcome(ctx, OutcomeBadSignature, now.Add(-24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if recent != 1 {
		t.Errorf("bad signatures in 24 h = %d, want 1", recent)
	}
	all, err := s.CountNotificationsByOutcome(ctx, OutcomeBadSignature, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if all != 2 {
		t.Errorf("bad signatures = %d, want 2", all)
	}
}

func TestListRefundsByStatus_OlderRequestedOnly(t *testing.T) {
	s := openTestStore(t)
	ctx := context.Background()
	now := time.Now()
	refunds := []Refund{
		{MerchantRefundID: "RF-OLD", Status: RefundRequested, CreatedAt: now.Add(-2 * time.Hour).Unix()},
		{MerchantRefundID: "RF-NEW", Status: RefundRequested},
		{MerchantRefundID: "RF-DONE", Status: RefundSucceeded, CreatedAt: now.Add(-2 * time.Hour).Unix()},
	}
	for i := range refunds {
		refunds[i].MerchantTransactionID, refunds[i].AmountMinor, refunds[i].Currency = "ORD-1", 100, "USD"
		if err := s.CreateRefund(ctx, &refunds[i]); err != nil {
			t.Fatal(err)
		}
	}

	cutoff := now.Add(-time.Hour)
	list, err := s.ListRefundsByStatus(ctx, RefundRequested, cutoff, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].MerchantRefundID != "RF-OLD" {
		t.Errorf("refunds = %+v, want only RF-OLD", list)
	}
	count, err := s.CountRefundsByStatus(ctx, RefundRequested, cutoff)
	if err != nil {
		t.Fatal(err)
	}
	if count != 1 {
		t.Errorf("count = %d, want 1", count)
	}
}
