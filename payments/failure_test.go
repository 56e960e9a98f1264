package payments_test

import (
	"database/sql"
	"testing"

	_ "github.com/mattn/go-sqlite3"

	"telegram-bot-webhook/payments"
	"telegram-bot-webhook/store"
)

// execSQL runs statements on the fixture's database through a second
// connection, as an operator or another process could.
func (f *fixture) execSQL(statements ...string) {
	f.t.Helper()
	db, err := sql.Open("sqlite3", f.dbPath)
	if err != nil {
		f.t.Fatal(err)
	}
	defer db.Close()
	for _, statement := range statements {
		if _, err := db.Exec(statement); err != nil {
			f.t.Fatalf("%s: %v", statement, err)
		}
	}
}

func (f *fixture) notificationCount(orderID string) int {
	f.t.Helper()
	stored, err := f.store.ListOrderNotifications(f.ctx, orderID)
	if err != nil {
		f.t.Fatal(err)
	}
	return len(stored)
}

func TestProcessNotification_OutboxFailureRollsBackEverything(t *testing.T) {
	f := newFixture(t)
	order := f.createOrder()
	body := f.fake.PaymentNotification(order.MerchantTransactionID, payments.StatusSuccess)
	f.execSQL(`CREATE TRIGGER refuse_outbox BEFORE INSERT ON outbox_messages
		BEGIN SELECT RAISE(ABORT, 'outbox unavailable'); END`)

	result, err := f.service.ProcessNotification(f.ctx, body, "127.0.0.1")
	if err == nil {
		t.Fatalf("outcome = %s, want an error so PingPong retries", result.Outcome)
	}
	assertStatus(t, f.order(order.MerchantTransactionID), store.StatusPending)
	if got := f.notificationCount(order.MerchantTransactionID); got != 0 {
		t.Fatalf("stored notifications = %d after a failed transaction, want 0", got)
	}

	// PingPong retries once the database works again.
	f.execSQL(`DROP TRIGGER refuse_outbox`)
	if retried := f.process(body); retried.Outcome != store.OutcomeApplied {
		t.Fatalf("retry outcome = %s, want applied", retried.Outcome)
	}
	assertStatus(t, f.order(order.MerchantTransactionID), store.StatusPaid)
	assertKinds(t, f.messages(f.user.ChatID), store.MessagePaid)
}

func TestProcessNotification_DatabaseDownIsTransient(t *testing.T) {
	f := newFixture(t)
	order := f.createOrder()
	body := f.fake.PaymentNotification(order.MerchantTransactionID, payments.StatusSuccess)
	if err := f.store.Close(); err != nil {
		t.Fatal(err)
	}

	result, err := f.service.ProcessNotification(f.ctx, body, "127.0.0.1")
	if err == nil {
		t.Fatalf("outcome = %s with the database closed, want an error so PingPong retries", result.Outcome)
	}

	reopened, err := store.Open(f.dbPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = reopened.Close() })
	stored, err := reopened.GetOrder(f.ctx, order.MerchantTransactionID)
	if err != nil {
		t.Fatal(err)
	}
	assertStatus(t, stored, store.StatusPending)
}
