package store

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

func openTestStore(t *testing.T) *Store {
	t.Helper()
	s, err := Open(filepath.Join(t.TempDir(), "nested", "bot.db"))
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func newTestOrder(t *testing.T, s *Store, id string) *Order {
	t.Helper()
	order := &Order{
		MerchantTransactionID: id, UserID: 1, ChatID: 1, SKU: "sku", ProductName: "Product",
		AmountMinor: 999, Currency: "USD", Status: StatusPending,
		ExpiresAt: time.Now().Add(time.Hour),
	}
	if err := s.CreateOrder(context.Background(), order); err != nil {
		t.Fatalf("create order: %v", err)
	}
	return order
}

func TestOpen_EnablesWALAndForeignKeys(t *testing.T) {
	s := openTestStore(t)
	var mode string
	if err := s.db.Raw("PRAGMA journal_mode").Scan(&mode).Error; err != nil {
		t.Fatal(err)
	}
	if mode != "wal" {
		t.Errorf("journal_mode = %q, want wal", mode)
	}
	var foreignKeys int
	if err := s.db.Raw("PRAGMA foreign_keys").Scan(&foreignKeys).Error; err != nil {
		t.Fatal(err)
	}
	if foreignKeys != 1 {
		t.Errorf("foreign_keys = %d, want 1", foreignKeys)
	}
	var busyTimeoutMS int64
	if err := s.db.Raw("PRAGMA busy_timeout").Scan(&busyTimeoutMS).Error; err != nil {
		t.Fatal(err)
	}
	if busyTimeoutMS != busyTimeout.Milliseconds() {
		t.Errorf("busy_timeout = %d ms, want %d", busyTimeoutMS, busyTimeout.Milliseconds())
	}
}

func TestGetOrder_MissingIsErrNotFound(t *testing.T) {
	s := openTestStore(t)
	_, err := s.GetOrder(context.Background(), "ORD-MISSING")
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("error = %v, want ErrNotFound", err)
	}
}

func TestCreateOrder_DuplicateIDIsErrDuplicate(t *testing.T) {
	s := openTestStore(t)
	newTestOrder(t, s, "ORD-1")
	err := s.CreateOrder(context.Background(), &Order{
		MerchantTransactionID: "ORD-1", UserID: 1, ChatID: 1, SKU: "x", ProductName: "x",
		AmountMinor: 1, Currency: "USD", Status: StatusPending,
	})
	if !errors.Is(err, ErrDuplicate) {
		t.Fatalf("error = %v, want ErrDuplicate", err)
	}
}

func TestCanTransition_Table(t *testing.T) {
	cases := []struct {
		from, to OrderStatus
		allowed  bool
	}{
		{StatusPending, StatusPaid, true},
		{StatusFailed, StatusPaid, true},
		{StatusExpired, StatusPaid, true},
		{StatusPaid, StatusFailed, false},
		{StatusPaid, StatusPending, false},
		{StatusPaid, StatusRefunded, true},
		{StatusPartiallyRefunded, StatusRefunded, true},
		{StatusRefunded, StatusPaid, false},
		{StatusCheckoutFailed, StatusPaid, true},
		{StatusCheckoutFailed, StatusPending, false},
		{StatusExpired, StatusFailed, false},
		{StatusCreating, StatusPending, true},
	}
	for _, tc := range cases {
		if got := CanTransition(tc.from, tc.to); got != tc.allowed {
			t.Errorf("CanTransition(%s, %s) = %v, want %v", tc.from, tc.to, got, tc.allowed)
		}
	}
}

func TestTransitionOrder_ForbiddenWritesNothing(t *testing.T) {
	s := openTestStore(t)
	ctx := context.Background()
	order := newTestOrder(t, s, "ORD-1")
	if err := s.TransitionOrder(ctx, order, StatusPaid, OrderChange{}); err != nil {
		t.Fatal(err)
	}

	err := s.TransitionOrder(ctx, order, StatusFailed, OrderChange{})
	var transitionErr *TransitionError
	if !errors.As(err, &transitionErr) {
		t.Fatalf("error = %v, want *TransitionError", err)
	}
	stored, err := s.GetOrder(ctx, "ORD-1")
	if err != nil {
		t.Fatal(err)
	}
	if stored.Status != StatusPaid {
		t.Fatalf("status = %s, want paid", stored.Status)
	}
}

func TestTransitionOrder_StaleCopyRejected(t *testing.T) {
	s := openTestStore(t)
	ctx := context.Background()
	order := newTestOrder(t, s, "ORD-1")
	stale := *order
	if err := s.TransitionOrder(ctx, order, StatusPaid, OrderChange{}); err != nil {
		t.Fatal(err)
	}
	if err := s.TransitionOrder(ctx, &stale, StatusFailed, OrderChange{}); err == nil {
		t.Fatal("a transition from a stale copy succeeded")
	}
}

func TestTransaction_RollsBackEverything(t *testing.T) {
	s := openTestStore(t)
	ctx := context.Background()
	order := newTestOrder(t, s, "ORD-1")
	failure := errors.New("stop")

	err := s.Transaction(ctx, func(tx *Store) error {
		if err := tx.TransitionOrder(ctx, order, StatusPaid, OrderChange{}); err != nil {
			return err
		}
		if _, err := tx.EnqueueMessage(ctx, 1, "ORD-1", MessagePaid, MessagePayload{}); err != nil {
			return err
		}
		return failure
	})
	if !errors.Is(err, failure) {
		t.Fatalf("error = %v, want the callback's error", err)
	}
	stored, _ := s.GetOrder(ctx, "ORD-1")
	if stored.Status != StatusPending {
		t.Errorf("status = %s after rollback, want pending", stored.Status)
	}
	pending, _ := s.CountMessagesByStatus(ctx, OutboxPending)
	if pending != 0 {
		t.Errorf("pending messages = %d after rollback, want 0", pending)
	}
}

func TestInsertNotification_EventKeyUnique(t *testing.T) {
	s := openTestStore(t)
	ctx := context.Background()
	key := "pay:T1:RECHARGE:SUCCESS"
	if err := s.InsertNotification(ctx, &Notification{EventKey: &key, Outcome: OutcomeApplied, Verified: true}); err != nil {
		t.Fatal(err)
	}
	err := s.InsertNotification(ctx, &Notification{EventKey: &key, Outcome: OutcomeApplied, Verified: true})
	if !errors.Is(err, ErrDuplicate) {
		t.Fatalf("error = %v, want ErrDuplicate", err)
	}
	// Records without a key never collide.
	for range 2 {
		if err := s.InsertNotification(ctx, &Notification{Outcome: OutcomeBadSignature}); err != nil {
			t.Fatal(err)
		}
	}
}

func TestListDueMessages_OldestPerChat(t *testing.T) {
	s := openTestStore(t)
	ctx := context.Background()
	first, _ := s.EnqueueMessage(ctx, 10, "A", MessagePaid, MessagePayload{})
	_, _ = s.EnqueueMessage(ctx, 10, "B", MessagePaid, MessagePayload{})
	other, _ := s.EnqueueMessage(ctx, 20, "C", MessagePaid, MessagePayload{})

	due, err := s.ListDueMessages(ctx, time.Now().Add(time.Second), 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(due) != 2 || due[0].ID != first.ID || due[1].ID != other.ID {
		t.Fatalf("due = %+v, want the first message of each chat", due)
	}

	// A chat whose head message waits for a retry blocks its later messages.
	if err := s.MarkMessageRetry(ctx, first.ID, time.Now().Add(time.Hour), "timeout"); err != nil {
		t.Fatal(err)
	}
	due, _ = s.ListDueMessages(ctx, time.Now().Add(time.Second), 10)
	if len(due) != 1 || due[0].ID != other.ID {
		t.Fatalf("due = %+v, want only chat 20", due)
	}
}

func TestDropPendingMessages_OnlyThatChat(t *testing.T) {
	s := openTestStore(t)
	ctx := context.Background()
	_, _ = s.EnqueueMessage(ctx, 10, "A", MessagePaid, MessagePayload{})
	_, _ = s.EnqueueMessage(ctx, 10, "B", MessagePaid, MessagePayload{})
	_, _ = s.EnqueueMessage(ctx, 20, "C", MessagePaid, MessagePayload{})

	dropped, err := s.DropPendingMessages(ctx, 10, "blocked")
	if err != nil {
		t.Fatal(err)
	}
	if dropped != 2 {
		t.Fatalf("dropped = %d, want 2", dropped)
	}
	pending, _ := s.CountMessagesByStatus(ctx, OutboxPending)
	if pending != 1 {
		t.Fatalf("pending = %d, want 1", pending)
	}
}

func TestTransaction_ConcurrentWritersSucceed(t *testing.T) {
	s := openTestStore(t)
	ctx := context.Background()
	const writers = 50
	errs := make(chan error, writers)
	var wg sync.WaitGroup
	for range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- s.Transaction(ctx, func(tx *Store) error {
				_, err := tx.EnqueueMessage(ctx, 1, "A", MessageAdmin, MessagePayload{Text: "x"})
				return err
			})
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("concurrent transaction failed: %v", err)
		}
	}
	count, _ := s.CountMessagesByStatus(ctx, OutboxPending)
	if count != writers {
		t.Fatalf("messages = %d, want %d", count, writers)
	}
}
