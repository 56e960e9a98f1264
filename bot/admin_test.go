package bot

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"telegram-bot-webhook/bot/telegramtest"
	"telegram-bot-webhook/store"
)

var (
	ada   = telegramtest.User{ID: 4242, FirstName: "Ada", Username: "ada", LanguageCode: "en"}
	grace = telegramtest.User{ID: 4343, FirstName: "Grace", Username: "grace", LanguageCode: "en"}
)

// refundCall is one RefundOrder call.
type refundCall struct {
	orderID     string
	amountMinor int64
	requestedBy int64
}

// fakeRefunder records RefundOrder calls and returns a requested refund,
// or a failed one when failReason is set.
type fakeRefunder struct {
	mu         sync.Mutex
	calls      []refundCall
	failReason string
	err        error
}

func (f *fakeRefunder) RefundOrder(_ context.Context, orderID string, amountMinor int64, requestedBy int64) (*store.Refund, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, refundCall{orderID: orderID, amountMinor: amountMinor, requestedBy: requestedBy})
	if f.err != nil {
		return nil, f.err
	}
	refund := &store.Refund{
		MerchantRefundID:      "RF-" + orderID + "-1",
		RefundID:              "PP-REFUND-1",
		MerchantTransactionID: orderID,
		AmountMinor:           amountMinor,
		Status:                store.RefundRequested,
	}
	if f.failReason != "" {
		refund.Status, refund.LastError = store.RefundFailed, f.failReason
	}
	return refund, nil
}

func (f *fakeRefunder) Calls() []refundCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

// adminClock is a settable time source for the admin reports.
type adminClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *adminClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *adminClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// newAdminEnv creates a bot whose admin chats are Ada's and Grace's. The
// bot is not running yet.
func newAdminEnv(t *testing.T, refunder *fakeRefunder) *env {
	t.Helper()
	return newEnv(t, func(o *Options) {
		o.AdminChatIDs = []int64{ada.ID, grace.ID}
		if refunder != nil {
			o.Refunder = refunder
		}
	})
}

func startAdminEnv(t *testing.T, refunder *fakeRefunder) *env {
	t.Helper()
	e := newAdminEnv(t, refunder)
	e.start(t)
	return e
}

// reply sends text from the user and returns the next message the chat
// receives.
func (e *env) reply(t *testing.T, from telegramtest.User, text string) telegramtest.SentMessage {
	t.Helper()
	before := len(e.tg.Messages(from.ID))
	e.tg.SendText(from, text)
	e.tg.WaitUntil(t, "a reply to "+text, func() bool { return len(e.tg.Messages(from.ID)) > before })
	return e.tg.Messages(from.ID)[before]
}

func assertContains(t *testing.T, text string, parts ...string) {
	t.Helper()
	for _, part := range parts {
		if !strings.Contains(text, part) {
			t.Errorf("text lacks %q:\n%s", part, text)
		}
	}
}

func TestAdminCommands_NonAdminGetsUnknownCommand(t *testing.T) {
	refunder := &fakeRefunder{}
	e := startAdminEnv(t, refunder)
	addOrder(t, e.store, "ORD-A", alice.ID, nil)

	for _, command := range []string{"/deadletters", "/stats", "/order ORD-A", "/refund ORD-A", "/resend ORD-A"} {
		msg := e.reply(t, alice, command)
		if msg.Text != textsEN.UnknownCommand {
			t.Errorf("reply to %s = %q, want the unknown command reply", command, msg.Text)
		}
		if len(msg.Keyboard) != 0 {
			t.Errorf("reply to %s has buttons: %+v", command, msg.Keyboard)
		}
	}
	if calls := refunder.Calls(); len(calls) != 0 {
		t.Errorf("refunder calls = %+v, want none", calls)
	}
	pending, err := e.store.CountMessagesByStatus(context.Background(), store.OutboxPending)
	if err != nil {
		t.Fatal(err)
	}
	if pending != 0 {
		t.Errorf("pending outbox messages = %d, want 0", pending)
	}
	if lines := e.logs.lines("level=WARN", "Rejected admin command", "command=refund", "chat_id=1001"); len(lines) != 1 {
		t.Errorf("rejection log lines = %d, want 1:\n%s", len(lines), e.logs.String())
	}
}

func TestAdminHelp_OnlyAdminsSeeAdminSection(t *testing.T) {
	e := startAdminEnv(t, nil)

	public := e.reply(t, alice, "/help")
	for _, command := range []string{"Admin commands", "/refund", "/deadletters", "/stats", "/resend"} {
		if strings.Contains(public.Text, command) {
			t.Errorf("public help contains %q:\n%s", command, public.Text)
		}
	}

	admin := e.reply(t, ada, "/help")
	assertContains(t, admin.Text, "<b>Commands</b>", "<b>Admin commands</b>",
		"/deadletters", "/stats", "/order", "/refund", "/resend")
}

func TestAdminMenu_SetOnlyForAdminChats(t *testing.T) {
	e := startAdminEnv(t, nil)
	e.tg.WaitUntil(t, "the admin menus", func() bool {
		return len(e.tg.ChatCommands(ada.ID)) > 0 && len(e.tg.ChatCommands(grace.ID)) > 0
	})

	adminNames := []string{"deadletters", "stats", "order", "refund", "resend"}
	for _, c := range e.tg.Commands() {
		if slices.Contains(adminNames, c.Command) {
			t.Errorf("public menu lists admin command %q", c.Command)
		}
	}
	var names []string
	for _, c := range e.tg.ChatCommands(ada.ID) {
		names = append(names, c.Command)
	}
	for _, want := range append([]string{"start", "products", "orders", "help"}, adminNames...) {
		if !slices.Contains(names, want) {
			t.Errorf("admin menu %v lacks %q", names, want)
		}
	}
	if menu := e.tg.ChatCommands(alice.ID); len(menu) != 0 {
		t.Errorf("non-admin chat has its own menu: %+v", menu)
	}
}

func TestAdminStats_KnownDataSet(t *testing.T) {
	e := newAdminEnv(t, nil)
	now := time.Now().UTC()
	e.bot.admin.now = func() time.Time { return now }
	orders := []struct {
		id       string
		created  time.Time
		status   store.OrderStatus
		amount   int64
		refunded int64
		currency string
	}{
		{"TODAY-USD", now, store.StatusPaid, 999, 0, "USD"},
		{"TODAY-JPY", now, store.StatusPartiallyRefunded, 1000, 300, "JPY"},
		{"TODAY-PENDING", now, store.StatusPending, 999, 0, "USD"},
		{"WEEK-REFUNDED", now.Add(-72 * time.Hour), store.StatusRefunded, 2000, 2000, "USD"},
		{"WEEK-JPY", now.Add(-72 * time.Hour), store.StatusPaid, 500, 0, "JPY"},
		{"OLD-USD", now.Add(-30 * 24 * time.Hour), store.StatusPaid, 1500, 0, "USD"},
		{"OLD-FAILED", now.Add(-30 * 24 * time.Hour), store.StatusCheckoutFailed, 999, 0, "USD"},
	}
	for _, o := range orders {
		addOrder(t, e.store, o.id, alice.ID, func(order *store.Order) {
			order.CreatedAt, order.Status, order.AmountMinor = o.created, o.status, o.amount
			order.RefundedMinor, order.Currency = o.refunded, o.currency
		})
	}
	e.start(t)

	msg := e.reply(t, ada, "/stats")
	blocks := strings.Split(msg.Text, "\n\n")
	if len(blocks) != 4 {
		t.Fatalf("stats has %d blocks, want an introduction and 3 periods:\n%s", len(blocks), msg.Text)
	}
	midnight := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	assertContains(t, blocks[1],
		"<b>Today</b> · since "+adminTime(midnight),
		"Orders created: 3 · paid: 2 (66.7% of created)",
		"Revenue: 700 JPY · 9.99 USD",
		"By status: pending 1 · paid 1 · partially_refunded 1")
	assertContains(t, blocks[2],
		"<b>Last 7 days</b>",
		"Orders created: 5 · paid: 4 (80.0% of created)",
		"Revenue: 1200 JPY · 9.99 USD",
		"refunded 1")
	assertContains(t, blocks[3],
		"<b>All time</b>",
		"Orders created: 7 · paid: 5 (71.4% of created)",
		"Revenue: 1200 JPY · 24.99 USD",
		"checkout_failed 1")
}

func TestAdminStats_EmptyShop(t *testing.T) {
	e := startAdminEnv(t, nil)
	msg := e.reply(t, ada, "/stats")
	assertContains(t, msg.Text, "Orders created: 0 · paid: 0 (— of created)", "Revenue: none", "By status: none")
}

func TestAdminOrder_ShowsNotificationsAndRefunds(t *testing.T) {
	e := startAdminEnv(t, nil)
	ctx := context.Background()
	paidAt := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	addOrder(t, e.store, "ORD-A", alice.ID, func(o *store.Order) {
		o.Status, o.TransactionID, o.RefundedMinor = store.StatusPartiallyRefunded, "TX-77", 300
		o.PaidAt = &paidAt
	})
	notifications := []store.Notification{
		{NotifyType: "PAYMENT", Status: "SUCCESS", Amount: "9.99", Currency: "USD",
			Outcome: store.OutcomeApplied, Detail: "paid <fine> & done", Source: "notification"},
		{NotifyType: "REFUND", Status: "SUCCESS", Amount: "3.00", Currency: "USD",
			Outcome: store.OutcomeApplied, Source: "notification"},
	}
	for i := range notifications {
		notifications[i].MerchantTransactionID, notifications[i].TransactionID = "ORD-A", "TX-77"
		if err := e.store.InsertNotification(ctx, &notifications[i]); err != nil {
			t.Fatal(err)
		}
	}
	refund := store.Refund{
		MerchantRefundID: "RF-ORD-A-1", RefundID: "PP-R-9", MerchantTransactionID: "ORD-A",
		AmountMinor: 300, Currency: "USD", Status: store.RefundSucceeded, RequestedBy: ada.ID,
	}
	if err := e.store.CreateRefund(ctx, &refund); err != nil {
		t.Fatal(err)
	}

	msg := e.reply(t, ada, "/order ORD-A")
	assertContains(t, msg.Text,
		"<b>Order</b> <code>ORD-A</code>",
		"Status: partially_refunded",
		"User: 1001 · chat 1001",
		"Amount: 9.99 USD",
		"Refunded: 3.00 USD",
		"<code>TX-77</code>",
		"https://checkout.example.test/pay/ORD-A",
		"Paid: 2030-01-02 03:04:05 UTC",
		"<b>Notifications</b>: 2",
		"PAYMENT/SUCCESS · 9.99 USD · applied",
		"paid &lt;fine&gt; &amp; done",
		"REFUND/SUCCESS · 3.00 USD · applied",
		"<b>Refunds</b>: 1",
		"<code>RF-ORD-A-1</code> · refund ID <code>PP-R-9</code> · 3.00 USD · succeeded",
		"by 4242",
	)
}

func TestAdminOrder_UnknownOrMissingID(t *testing.T) {
	e := startAdminEnv(t, nil)
	msg := e.reply(t, ada, "/order NOPE<b>")
	assertContains(t, msg.Text, "No order with the id <code>NOPE&lt;b&gt;</code> was found")

	msg = e.reply(t, ada, "/order")
	if msg.Text != adminEN.OrderUsage {
		t.Errorf("reply = %q, want the usage", msg.Text)
	}
}

func TestAdminResend_QueuesPaidMessage(t *testing.T) {
	e := startAdminEnv(t, nil)
	addUser(t, e.store, alice)
	addOrder(t, e.store, "ORD-PENDING", alice.ID, func(o *store.Order) { o.Status = store.StatusPending })
	addOrder(t, e.store, "ORD-PAID", alice.ID, nil)

	refusal := e.reply(t, ada, "/resend ORD-PENDING")
	assertContains(t, refusal.Text, "Order <code>ORD-PENDING</code> is pending")

	queued := e.reply(t, ada, "/resend ORD-PAID")
	assertContains(t, queued.Text, "Queued the delivery message of order <code>ORD-PAID</code> for chat 1001")
	delivery := e.tg.WaitForMessage(t, alice.ID, containsText("Payment received", "ORD-PAID"))
	assertContains(t, delivery.Text, "Download: https://files.example.test/ebook?key=a&amp;b=1")

	if msgs := e.tg.Messages(alice.ID); len(msgs) != 1 {
		t.Errorf("buyer got %d messages, want only the delivery of the paid order", len(msgs))
	}
	lines := e.logs.lines("level=INFO", "Admin queued the delivery message again", "admin_chat_id=4242", "order_id=ORD-PAID")
	if len(lines) != 1 {
		t.Errorf("resend log lines = %d, want 1:\n%s", len(lines), e.logs.String())
	}
}

func TestAdminDeadLetters_ListsProblems(t *testing.T) {
	e := newAdminEnv(t, nil)
	ctx := context.Background()
	now := time.Now().UTC()

	dead := enqueue(t, e.store, alice.ID, "ORD-DEAD", store.MessagePaid, store.MessagePayload{})
	if err := e.store.MarkMessageDead(ctx, dead.ID, "telegram answered 400: Bad Request: chat not found"); err != nil {
		t.Fatal(err)
	}
	notifications := []store.Notification{
		{MerchantTransactionID: "ORD-REJ", TransactionID: "TX-REJ", NotifyType: "PAYMENT", Status: "SUCCESS",
			Outcome: store.OutcomeRejected, Detail: "amount 1.00 USD differs from <9.99 USD>"},
		{Outcome: store.OutcomeBadSignature, Detail: "signature mismatch"},
		{Outcome: store.OutcomeBadSignature, CreatedAt: now.Add(-48 * time.Hour)},
	}
	for i := range notifications {
		if err := e.store.InsertNotification(ctx, &notifications[i]); err != nil {
			t.Fatal(err)
		}
	}
	addOrder(t, e.store, "ORD-STUCK", alice.ID, func(o *store.Order) {
		o.Status, o.CreatedAt = store.StatusCreating, now.Add(-time.Hour)
	})
	addOrder(t, e.store, "ORD-FRESH", alice.ID, func(o *store.Order) { o.Status = store.StatusCreating })
	refunds := []store.Refund{
		{MerchantRefundID: "RF-STALE", CreatedAt: now.Add(-2 * time.Hour).Unix()},
		{MerchantRefundID: "RF-RECENT"},
	}
	for i := range refunds {
		refunds[i].MerchantTransactionID, refunds[i].AmountMinor, refunds[i].Currency = "ORD-R", 500, "USD"
		refunds[i].Status, refunds[i].RequestedBy = store.RefundRequested, ada.ID
		if err := e.store.CreateRefund(ctx, &refunds[i]); err != nil {
			t.Fatal(err)
		}
	}
	e.start(t)

	msg := e.reply(t, ada, "/deadletters")
	assertContains(t, msg.Text,
		"<b>Dead outbox messages</b>: 1",
		"paid · order <code>ORD-DEAD</code> · chat 1001 · attempts 1",
		"chat not found",
		"<b>Rejected notifications</b>: 1",
		"order <code>ORD-REJ</code> · transaction <code>TX-REJ</code> · PAYMENT/SUCCESS",
		"differs from &lt;9.99 USD&gt;",
		"Bad signature: 1",
		"<b>Orders in creating for over 10 minutes</b>: 1",
		"<code>ORD-STUCK</code>",
		"<b>Refunds waiting over 1 hour for PingPong's notification</b>: 1",
		"<code>RF-STALE</code> · order <code>ORD-R</code> · 5.00 USD",
	)
	for _, absent := range []string{"ORD-FRESH", "RF-RECENT"} {
		if strings.Contains(msg.Text, absent) {
			t.Errorf("dead letters list %s:\n%s", absent, msg.Text)
		}
	}
}

func TestAdminDeadLetters_CapsListsAndLength(t *testing.T) {
	e := newAdminEnv(t, nil)
	ctx := context.Background()
	longDetail := strings.Repeat("detail <with> markup & more ", 30)
	for range adminListLimit + 2 {
		msg := enqueue(t, e.store, alice.ID, "ORD-DEAD", store.MessagePaid, store.MessagePayload{})
		if err := e.store.MarkMessageDead(ctx, msg.ID, "telegram answered 400: Bad Request: chat not found"); err != nil {
			t.Fatal(err)
		}
		n := &store.Notification{MerchantTransactionID: "ORD-REJ", Outcome: store.OutcomeRejected, Detail: longDetail}
		if err := e.store.InsertNotification(ctx, n); err != nil {
			t.Fatal(err)
		}
	}
	e.start(t)

	msg := e.reply(t, ada, "/deadletters")
	assertContains(t, msg.Text, "<b>Dead outbox messages</b>: 12", "…and 2 more", "(message truncated)")
	if shown := strings.Count(msg.Text, "order <code>ORD-DEAD</code>"); shown != adminListLimit {
		t.Errorf("dead messages shown = %d, want %d", shown, adminListLimit)
	}
	if length := htmlTextLength(msg.Text); length > maxMessageLength {
		t.Errorf("message length = %d, want at most %d", length, maxMessageLength)
	}
}
