package bot

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"telegram-bot-webhook/bot/telegramtest"
	"telegram-bot-webhook/config"
	"telegram-bot-webhook/store"
)

// addUser stores a user as /start would.
func addUser(t *testing.T, st *store.Store, u telegramtest.User) {
	t.Helper()
	user := store.User{ID: u.ID, ChatID: u.ID, Username: u.Username, FirstName: u.FirstName, LanguageCode: u.LanguageCode}
	if err := st.UpsertUser(context.Background(), &user); err != nil {
		t.Fatal(err)
	}
}

// addOrder stores an order of the ebook for the chat.
func addOrder(t *testing.T, st *store.Store, id string, chatID int64, change func(*store.Order)) *store.Order {
	t.Helper()
	order := &store.Order{
		MerchantTransactionID: id, UserID: chatID, ChatID: chatID,
		SKU: "ebook", ProductName: "Go Ebook", AmountMinor: 999, Currency: "USD",
		Status: store.StatusPaid, PaymentURL: "https://checkout.example.test/pay/" + id,
	}
	if change != nil {
		change(order)
	}
	if err := st.CreateOrder(context.Background(), order); err != nil {
		t.Fatal(err)
	}
	return order
}

func enqueue(t *testing.T, st *store.Store, chatID int64, orderID, kind string, payload store.MessagePayload) *store.OutboxMessage {
	t.Helper()
	msg, err := st.EnqueueMessage(context.Background(), chatID, orderID, kind, payload)
	if err != nil {
		t.Fatal(err)
	}
	return msg
}

// enqueueTogether queues messages for one chat in a single transaction, so
// the sender cannot send the first before the others are queued.
func enqueueTogether(t *testing.T, st *store.Store, chatID int64, messages ...store.OutboxMessage) []*store.OutboxMessage {
	t.Helper()
	var queued []*store.OutboxMessage
	err := st.Transaction(context.Background(), func(tx *store.Store) error {
		queued = nil
		for _, m := range messages {
			payload, err := m.DecodePayload()
			if err != nil {
				return err
			}
			msg, err := tx.EnqueueMessage(context.Background(), chatID, m.MerchantTransactionID, m.Kind, payload)
			if err != nil {
				return err
			}
			queued = append(queued, msg)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return queued
}

// outboxStatus returns the stored state of an outbox message.
func outboxStatus(t *testing.T, st *store.Store, id uint) store.OutboxMessage {
	t.Helper()
	for _, status := range []string{store.OutboxPending, store.OutboxSent, store.OutboxDead, store.OutboxDropped} {
		list, err := st.ListMessagesByStatus(context.Background(), status, 1000)
		if err != nil {
			t.Fatal(err)
		}
		for _, msg := range list {
			if msg.ID == id {
				return msg
			}
		}
	}
	t.Fatalf("outbox message %d not found", id)
	return store.OutboxMessage{}
}

func waitForStatus(t *testing.T, st *store.Store, id uint, status string) store.OutboxMessage {
	t.Helper()
	var msg store.OutboxMessage
	waitFor(t, fmt.Sprintf("outbox message %d to be %s", id, status), func() bool {
		msg = outboxStatus(t, st, id)
		return msg.Status == status
	})
	return msg
}

func TestSender_RendersPaidWithDelivery(t *testing.T) {
	cases := []struct {
		user telegramtest.User
		want []string
	}{
		{alice, []string{"Payment received", "<code>ORD-P</code>", "Go Ebook", "9.99 USD",
			"Download: https://files.example.test/ebook?key=a&amp;b=1"}},
		{li, []string{"已收到付款", "<code>ORD-P</code>", "9.99 USD", "您购买的商品"}},
	}
	for _, tc := range cases {
		t.Run(tc.user.LanguageCode, func(t *testing.T) {
			e := startEnv(t, nil)
			addUser(t, e.store, tc.user)
			addOrder(t, e.store, "ORD-P", tc.user.ID, nil)
			msg := enqueue(t, e.store, tc.user.ID, "ORD-P", store.MessagePaid, store.MessagePayload{})
			e.bot.WakeSender()

			sent := e.tg.WaitForMessage(t, tc.user.ID, containsText(tc.want...))
			if sent.ParseMode != "HTML" {
				t.Errorf("parse mode = %q", sent.ParseMode)
			}
			stored := waitForStatus(t, e.store, msg.ID, store.OutboxSent)
			if stored.SentAt == nil || stored.Attempts != 1 {
				t.Errorf("stored message = %+v", stored)
			}
		})
	}
}

func TestSender_PaidEscapesDeliveryText(t *testing.T) {
	e := startEnv(t, nil)
	addOrder(t, e.store, "ORD-E", alice.ID, func(o *store.Order) {
		o.SKU, o.ProductName, o.AmountMinor, o.Currency = "course", "Tom & <Jerry>", 1000, "JPY"
	})
	enqueue(t, e.store, alice.ID, "ORD-E", store.MessagePaid, store.MessagePayload{})
	e.bot.WakeSender()
	e.tg.WaitForMessage(t, alice.ID, containsText("Tom &amp; &lt;Jerry&gt;", "Your code is &lt;ABC&amp;123&gt;"))
}

func TestSender_PaidSKUNotInCatalog(t *testing.T) {
	e := startEnv(t, nil)
	addUser(t, e.store, alice)
	addOrder(t, e.store, "ORD-GONE", alice.ID, func(o *store.Order) { o.SKU = "retired" })
	enqueue(t, e.store, alice.ID, "ORD-GONE", store.MessagePaid, store.MessagePayload{})
	e.bot.WakeSender()

	e.tg.WaitForMessage(t, alice.ID, containsText("Payment received", "contact the seller", "<code>ORD-GONE</code>"))
	if lines := e.logs.lines("level=ERROR", "order_id=ORD-GONE", "sku=retired"); len(lines) != 1 {
		t.Errorf("error lines = %v, want one", lines)
	}
}

func TestSender_RendersFailedWithPayButton(t *testing.T) {
	cases := []struct {
		user telegramtest.User
		want []string
	}{
		{alice, []string{"Payment failed", "<code>ORD-F</code>", "Reason: Card &lt;declined&gt;", textsEN.FailedRetry}},
		{li, []string{"付款失败", "原因：Card &lt;declined&gt;", textsZH.FailedRetry}},
	}
	for _, tc := range cases {
		t.Run(tc.user.LanguageCode, func(t *testing.T) {
			e := startEnv(t, nil)
			addUser(t, e.store, tc.user)
			addOrder(t, e.store, "ORD-F", tc.user.ID, func(o *store.Order) { o.Status = store.StatusFailed })
			enqueue(t, e.store, tc.user.ID, "ORD-F", store.MessageFailed, store.MessagePayload{Reason: "Card <declined>"})
			e.bot.WakeSender()

			sent := e.tg.WaitForMessage(t, tc.user.ID, containsText(tc.want...))
			buttons := sent.URLButtons()
			if len(buttons) != 1 || buttons[0].URL != "https://checkout.example.test/pay/ORD-F" {
				t.Errorf("buttons = %+v, want the pay link", buttons)
			}
		})
	}
}

func TestSender_FailedWithoutButtonWhenNotPayable(t *testing.T) {
	e := startEnv(t, nil)
	addOrder(t, e.store, "ORD-X", alice.ID, func(o *store.Order) { o.Status = store.StatusExpired })
	enqueue(t, e.store, alice.ID, "ORD-X", store.MessageFailed, store.MessagePayload{})
	e.bot.WakeSender()

	sent := e.tg.WaitForMessage(t, alice.ID, containsText("Payment failed"))
	if len(sent.Keyboard) != 0 || strings.Contains(sent.Text, "Reason") {
		t.Errorf("message = %+v, want no button and no reason", sent)
	}
}

func TestSender_RendersRefunded(t *testing.T) {
	cases := []struct {
		user telegramtest.User
		want []string
	}{
		{alice, []string{"Refund issued", "<code>ORD-R</code>", "Refunded amount: 5.00 USD"}},
		{li, []string{"已退款", "退款金额：5.00 USD"}},
	}
	for _, tc := range cases {
		t.Run(tc.user.LanguageCode, func(t *testing.T) {
			e := startEnv(t, nil)
			addUser(t, e.store, tc.user)
			addOrder(t, e.store, "ORD-R", tc.user.ID, nil)
			enqueue(t, e.store, tc.user.ID, "ORD-R", store.MessageRefunded,
				store.MessagePayload{AmountMinor: 500, Currency: "USD"})
			e.bot.WakeSender()
			e.tg.WaitForMessage(t, tc.user.ID, containsText(tc.want...))
		})
	}
}

func TestSender_RendersExpired(t *testing.T) {
	cases := []struct {
		user telegramtest.User
		want []string
	}{
		{alice, []string{"Payment link expired", "<code>ORD-X</code>", "/products"}},
		{li, []string{"付款链接已过期", "<code>ORD-X</code>", "/products"}},
	}
	for _, tc := range cases {
		t.Run(tc.user.LanguageCode, func(t *testing.T) {
			e := startEnv(t, nil)
			addUser(t, e.store, tc.user)
			addOrder(t, e.store, "ORD-X", tc.user.ID, func(o *store.Order) { o.Status = store.StatusExpired })
			enqueue(t, e.store, tc.user.ID, "ORD-X", store.MessageExpired, store.MessagePayload{})
			e.bot.WakeSender()
			e.tg.WaitForMessage(t, tc.user.ID, containsText(tc.want...))
		})
	}
}

func TestSender_LanguageFallsBackToOrder(t *testing.T) {
	e := startEnv(t, nil)
	addOrder(t, e.store, "ORD-Z", 555, func(o *store.Order) {
		o.Status, o.LanguageCode = store.StatusExpired, "zh-TW"
	})
	enqueue(t, e.store, 555, "ORD-Z", store.MessageExpired, store.MessagePayload{})
	e.bot.WakeSender()
	e.tg.WaitForMessage(t, 555, containsText("付款链接已过期"))
}

func TestSender_AdminTextIsPlain(t *testing.T) {
	e := startEnv(t, nil)
	const text = "Maintenance at 02:00 <UTC> & later"
	enqueue(t, e.store, 777, "", store.MessageAdmin, store.MessagePayload{Text: text})
	e.bot.WakeSender()

	sent := e.tg.WaitForMessage(t, 777, containsText("Maintenance"))
	if sent.Text != text || sent.ParseMode != "" {
		t.Errorf("admin message = %q (parse mode %q), want the plain text", sent.Text, sent.ParseMode)
	}
}

func TestSender_RateLimitWaitsRetryAfter(t *testing.T) {
	e := startEnv(t, nil)
	addOrder(t, e.store, "ORD-1", alice.ID, nil)
	e.tg.FailSendTo(alice.ID, 429, "Too Many Requests: retry after 3", 3, 1)
	msg := enqueue(t, e.store, alice.ID, "ORD-1", store.MessagePaid, store.MessagePayload{})
	e.bot.WakeSender()

	e.tg.WaitForMessage(t, alice.ID, containsText("Payment received"))
	stored := waitForStatus(t, e.store, msg.ID, store.OutboxSent)
	if stored.Attempts != 2 {
		t.Errorf("attempts = %d, want 2", stored.Attempts)
	}
	if sleeps := e.clock.Sleeps(); !slices.Contains(sleeps, 3*time.Second) {
		t.Errorf("sleeps = %v, want a pause of exactly 3s", sleeps)
	}
	if lines := e.logs.lines("level=WARN", "rate limit", "retry_after=3s", "chat_id=1001", "order_id=ORD-1"); len(lines) != 1 {
		t.Errorf("rate limit log lines = %v, want one", lines)
	}
}

// pausingClock is a fakeClock whose sleeps of a minute or more block until
// their context is done, as a real rate limit pause would, and report that
// they started on paused.
type pausingClock struct {
	*fakeClock
	paused chan time.Duration
}

func (c *pausingClock) Sleep(ctx context.Context, d time.Duration) error {
	if d < time.Minute {
		return c.fakeClock.Sleep(ctx, d)
	}
	c.paused <- d
	<-ctx.Done()
	return ctx.Err()
}

func TestSender_ShutdownDuringRateLimitPause(t *testing.T) {
	clock := &pausingClock{fakeClock: &fakeClock{}, paused: make(chan time.Duration, 1)}
	e := startEnv(t, func(o *Options) { o.Clock = clock })
	addOrder(t, e.store, "ORD-1", alice.ID, nil)
	e.tg.FailSendTo(alice.ID, 429, "Too Many Requests: retry after 120", 120, 1)
	msg := enqueue(t, e.store, alice.ID, "ORD-1", store.MessagePaid, store.MessagePayload{})
	e.bot.WakeSender()

	select {
	case d := <-clock.paused:
		if d != 120*time.Second {
			t.Errorf("pause = %s, want retry_after 120s", d)
		}
	case <-time.After(telegramtest.WaitTimeout):
		t.Fatal("the sender never paused for the rate limit")
	}
	if err := e.stop(); err != nil {
		t.Fatalf("Run after cancel during the pause: %v", err)
	}

	stored := outboxStatus(t, e.store, msg.ID)
	if stored.Status != store.OutboxPending {
		t.Errorf("status = %s, want pending for a retry after restart", stored.Status)
	}
	if stored.Attempts != 1 {
		t.Errorf("attempts = %d, want 1", stored.Attempts)
	}
	if earliest := time.Now().Add(time.Minute); stored.NextAttemptAt.Before(earliest) {
		t.Errorf("next attempt at %s, want after %s (retry_after from now)", stored.NextAttemptAt, earliest)
	}
}

func TestSender_ForbiddenDropsPendingMessages(t *testing.T) {
	e := startEnv(t, nil)
	addUser(t, e.store, alice)
	addOrder(t, e.store, "ORD-1", alice.ID, nil)
	addOrder(t, e.store, "ORD-2", alice.ID, nil)
	e.tg.FailSendTo(alice.ID, 403, "Forbidden: bot was blocked by the user", 0, 1)
	queued := enqueueTogether(t, e.store, alice.ID,
		store.OutboxMessage{MerchantTransactionID: "ORD-1", Kind: store.MessagePaid},
		store.OutboxMessage{MerchantTransactionID: "ORD-2", Kind: store.MessagePaid})
	first, second := queued[0], queued[1]
	e.bot.WakeSender()

	waitForStatus(t, e.store, first.ID, store.OutboxDropped)
	dropped := waitForStatus(t, e.store, second.ID, store.OutboxDropped)
	if !strings.Contains(dropped.LastError, "blocked by the user") {
		t.Errorf("last error = %q", dropped.LastError)
	}
	user, err := e.store.GetUser(context.Background(), alice.ID)
	if err != nil || !user.Unreachable {
		t.Errorf("user = %+v, %v; want unreachable", user, err)
	}
	if lines := e.logs.lines("level=WARN", "Chat unreachable", "chat_id=1001", "count=2"); len(lines) != 1 {
		t.Errorf("warning lines = %v, want one", lines)
	}
	if got := e.metrics.get(&e.metrics.dropped); got != 2 {
		t.Errorf("dropped counted = %d, want 2", got)
	}
	if msgs := e.tg.Messages(alice.ID); len(msgs) != 0 {
		t.Errorf("delivered %d messages to a blocked chat", len(msgs))
	}
}

func TestSender_BadRequestMarksDeadAndMovesOn(t *testing.T) {
	e := startEnv(t, nil)
	addOrder(t, e.store, "ORD-1", alice.ID, nil)
	addOrder(t, e.store, "ORD-2", alice.ID, func(o *store.Order) { o.Status = store.StatusExpired })
	e.tg.FailSendTo(alice.ID, 400, "Bad Request: chat not found", 0, 1)
	first := enqueue(t, e.store, alice.ID, "ORD-1", store.MessagePaid, store.MessagePayload{})
	enqueue(t, e.store, alice.ID, "ORD-2", store.MessageExpired, store.MessagePayload{})
	e.bot.WakeSender()

	e.tg.WaitForMessage(t, alice.ID, containsText("ORD-2"))
	dead := waitForStatus(t, e.store, first.ID, store.OutboxDead)
	if !strings.Contains(dead.LastError, "400") || !strings.Contains(dead.LastError, "chat not found") {
		t.Errorf("last error = %q", dead.LastError)
	}
	if got := e.metrics.get(&e.metrics.dead); got != 1 {
		t.Errorf("dead counted = %d, want 1", got)
	}
}

func TestSender_ServerErrorRetriesThenDead(t *testing.T) {
	e := startEnv(t, nil)
	addOrder(t, e.store, "ORD-1", alice.ID, nil)
	e.tg.FailSendTo(alice.ID, 500, "Internal Server Error", 0, 0)
	msg := enqueue(t, e.store, alice.ID, "ORD-1", store.MessagePaid, store.MessagePayload{})
	e.bot.WakeSender()

	dead := waitForStatus(t, e.store, msg.ID, store.OutboxDead)
	if dead.Attempts != 3 {
		t.Errorf("attempts = %d, want MaxAttempts 3", dead.Attempts)
	}
	if !strings.Contains(dead.LastError, "500") {
		t.Errorf("last error = %q", dead.LastError)
	}
	if calls := e.tg.Calls("sendMessage"); calls != 3 {
		t.Errorf("sendMessage calls = %d, want 3", calls)
	}
	if lines := e.logs.lines("will retry", "message_id=", "order_id=ORD-1", "chat_id=1001"); len(lines) != 2 {
		t.Errorf("retry log lines = %d, want 2", len(lines))
	}
}

func TestSender_KeepsChatOrder(t *testing.T) {
	e := startEnv(t, func(o *Options) { o.Outbox.PollInterval = time.Hour })
	e.tg.FailSendTo(alice.ID, 502, "Bad Gateway", 0, 1)
	for i := 1; i <= 5; i++ {
		id := fmt.Sprintf("ORD-%d", i)
		addOrder(t, e.store, id, alice.ID, func(o *store.Order) { o.Status = store.StatusExpired })
		enqueue(t, e.store, alice.ID, id, store.MessageExpired, store.MessagePayload{})
	}
	e.bot.WakeSender()

	e.tg.WaitUntil(t, "five messages", func() bool { return len(e.tg.Messages(alice.ID)) == 5 })
	for i, msg := range e.tg.Messages(alice.ID) {
		if want := fmt.Sprintf("<code>ORD-%d</code>", i+1); !strings.Contains(msg.Text, want) {
			t.Errorf("message %d = %q, want %s", i+1, msg.Text, want)
		}
	}
}

func TestSender_ChatRateDefersOnlyThatChat(t *testing.T) {
	e := startEnv(t, func(o *Options) { o.Outbox.ChatRate = 0.001 })
	addOrder(t, e.store, "ORD-A1", alice.ID, func(o *store.Order) { o.Status = store.StatusExpired })
	addOrder(t, e.store, "ORD-A2", alice.ID, func(o *store.Order) { o.Status = store.StatusExpired })
	addOrder(t, e.store, "ORD-L1", li.ID, func(o *store.Order) { o.Status = store.StatusExpired })
	enqueue(t, e.store, alice.ID, "ORD-A1", store.MessageExpired, store.MessagePayload{})
	second := enqueue(t, e.store, alice.ID, "ORD-A2", store.MessageExpired, store.MessagePayload{})
	enqueue(t, e.store, li.ID, "ORD-L1", store.MessageExpired, store.MessagePayload{})
	e.bot.WakeSender()

	e.tg.WaitForMessage(t, li.ID, containsText("ORD-L1"))
	e.tg.WaitForMessage(t, alice.ID, containsText("ORD-A1"))
	if stored := outboxStatus(t, e.store, second.ID); stored.Status != store.OutboxPending || stored.Attempts != 0 {
		t.Errorf("second message of the chat = %+v, want pending without attempts", stored)
	}
}

func TestSender_WakeSenderSendsAtOnce(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.Outbox.PollInterval = time.Hour })
	idle := make(chan struct{}, 1)
	e.bot.sender.idle = func() {
		select {
		case idle <- struct{}{}:
		default:
		}
	}
	e.start(t)
	// With nothing due, the sender now waits for the hour-long interval.
	select {
	case <-idle:
	case <-time.After(telegramtest.WaitTimeout):
		t.Fatal("the sender never became idle")
	}
	addOrder(t, e.store, "ORD-W", alice.ID, func(o *store.Order) { o.Status = store.StatusExpired })
	enqueue(t, e.store, alice.ID, "ORD-W", store.MessageExpired, store.MessagePayload{})
	e.bot.WakeSender()
	e.tg.WaitForMessage(t, alice.ID, containsText("ORD-W"))
}

func TestSender_UnknownOrderIsDead(t *testing.T) {
	e := startEnv(t, nil)
	msg := enqueue(t, e.store, alice.ID, "ORD-NONE", store.MessagePaid, store.MessagePayload{})
	e.bot.WakeSender()
	dead := waitForStatus(t, e.store, msg.ID, store.OutboxDead)
	if !strings.Contains(dead.LastError, "not found") {
		t.Errorf("last error = %q", dead.LastError)
	}
}

func TestSender_NoTokenInLogsWhenServerDown(t *testing.T) {
	e := startEnv(t, func(o *Options) {
		o.Outbox = config.OutboxConfig{GlobalRate: 1000, ChatRate: 1000, MaxAttempts: 2, PollInterval: 20 * time.Millisecond}
	})
	e.tg.SendText(alice, "/help")
	e.tg.WaitForMessage(t, alice.ID, containsText("<b>Commands</b>"))
	e.tg.Close()

	addOrder(t, e.store, "ORD-D", alice.ID, nil)
	msg := enqueue(t, e.store, alice.ID, "ORD-D", store.MessagePaid, store.MessagePayload{})
	e.bot.WakeSender()
	dead := waitForStatus(t, e.store, msg.ID, store.OutboxDead)
	waitFor(t, "a polling failure log", func() bool { return len(e.logs.lines("Failed to poll updates")) > 0 })

	if strings.Contains(dead.LastError, testToken) || !strings.Contains(dead.LastError, redactedToken) {
		t.Errorf("last error = %q, want the URL with the token redacted", dead.LastError)
	}
	if err := e.stop(); err != nil {
		t.Errorf("Run: %v", err)
	}
	logs := e.logs.String()
	if strings.Contains(logs, testToken) {
		t.Errorf("logs contain the token:\n%s", logs)
	}
	for _, step := range []string{"Stopped polling", "Update workers stopped", "Outbox sender stopped"} {
		if !strings.Contains(logs, step) {
			t.Errorf("logs lack shutdown step %q", step)
		}
	}
}

func TestTexts_NameEveryStatus(t *testing.T) {
	statuses := []store.OrderStatus{
		store.StatusCreating, store.StatusPending, store.StatusFailed, store.StatusPaid,
		store.StatusPartiallyRefunded, store.StatusRefunded, store.StatusExpired, store.StatusCheckoutFailed,
	}
	for _, t2 := range []*texts{&textsEN, &textsZH} {
		for _, status := range statuses {
			if t2.Statuses[status] == "" {
				t.Errorf("status %s has no name", status)
			}
		}
	}
}
