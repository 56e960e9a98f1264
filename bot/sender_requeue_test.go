package bot

import (
	"strings"
	"testing"
	"time"

	"telegram-bot-webhook/store"
)

func TestSender_BlockedBuyerGetsDeliveryAfterStart(t *testing.T) {
	e := startEnv(t, func(o *Options) { o.Outbox.PollInterval = time.Hour })
	addUser(t, e.store, alice)
	addOrder(t, e.store, "ORD-1", alice.ID, nil)
	e.tg.FailSendTo(alice.ID, 403, "Forbidden: bot was blocked by the user", 0, 1)
	queued := enqueueTogether(t, e.store, alice.ID,
		store.OutboxMessage{MerchantTransactionID: "ORD-1", Kind: store.MessagePaid},
		store.OutboxMessage{Kind: store.MessageAdmin, Payload: `{"text":"Maintenance tonight"}`})
	paid, admin := queued[0], queued[1]
	e.bot.WakeSender()
	waitForStatus(t, e.store, paid.ID, store.OutboxDropped)
	waitForStatus(t, e.store, admin.ID, store.OutboxDropped)

	// The buyer unblocks the bot and writes to it again.
	e.tg.SendText(alice, "/start")

	e.tg.WaitForMessage(t, alice.ID, containsText("Payment received", "<code>ORD-1</code>", "Download:"))
	sent := waitForStatus(t, e.store, paid.ID, store.OutboxSent)
	if sent.Attempts != 1 {
		t.Errorf("attempts = %d, want 1 after the requeue reset them", sent.Attempts)
	}
	if stored := outboxStatus(t, e.store, admin.ID); stored.Status != store.OutboxDropped {
		t.Errorf("admin message status = %s, want it to stay dropped", stored.Status)
	}
	for _, msg := range e.tg.Messages(alice.ID) {
		if strings.Contains(msg.Text, "Maintenance") {
			t.Errorf("dropped admin message was sent: %q", msg.Text)
		}
	}
	lines := e.logs.lines("level=INFO", "dropped messages", "chat_id=1001", "count=1")
	if len(lines) != 1 {
		t.Errorf("requeue log lines = %v, want one", lines)
	}
}
