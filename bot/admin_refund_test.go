package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"telegram-bot-webhook/bot/telegramtest"
	"telegram-bot-webhook/payments"
	"telegram-bot-webhook/store"
)

// refundButtons returns the callback data of the Confirm and Cancel
// buttons of a refund summary.
func refundButtons(t *testing.T, msg telegramtest.SentMessage) (confirm, cancel string) {
	t.Helper()
	for _, button := range msg.Buttons() {
		switch button.Text {
		case adminEN.ConfirmRefundButton:
			confirm = button.CallbackData
		case adminEN.CancelButton:
			cancel = button.CallbackData
		}
	}
	if confirm == "" || cancel == "" {
		t.Fatalf("refund summary lacks the Confirm and Cancel buttons: %+v\n%s", msg.Keyboard, msg.Text)
	}
	return confirm, cancel
}

// waitForEdit waits until the bot's message contains text and returns it.
func waitForEdit(t *testing.T, e *env, chatID int64, messageID int, text string) telegramtest.SentMessage {
	t.Helper()
	var found telegramtest.SentMessage
	e.tg.WaitUntil(t, fmt.Sprintf("message %d to contain %q", messageID, text), func() bool {
		for _, msg := range e.tg.Messages(chatID) {
			if msg.MessageID == messageID && strings.Contains(msg.Text, text) {
				found = msg
				return true
			}
		}
		return false
	})
	return found
}

func TestAdminRefund_ConfirmCallsRefunderOnce(t *testing.T) {
	refunder := &fakeRefunder{}
	e := startAdminEnv(t, refunder)
	addOrder(t, e.store, "ORD-USD", alice.ID, nil)

	summary := e.reply(t, ada, "/refund ORD-USD 4.99")
	assertContains(t, summary.Text, "<code>ORD-USD</code>", "Paid: 9.99 USD", "Refund now: <b>4.99 USD</b>",
		"Left after this refund: 5.00 USD")
	confirm, _ := refundButtons(t, summary)
	if len(confirm) > maxCallbackDataBytes {
		t.Errorf("callback data %q is longer than %d bytes", confirm, maxCallbackDataBytes)
	}

	query := e.tg.PressButton(ada, summary.MessageID, confirm)
	if got := e.tg.WaitForCallbackAnswer(t, query).Text; got != adminEN.RefundStarting {
		t.Errorf("answer = %q, want %q", got, adminEN.RefundStarting)
	}
	result := waitForEdit(t, e, ada.ID, summary.MessageID, "Refund requested")
	assertContains(t, result.Text, "Amount: 4.99 USD", "<code>RF-ORD-USD-1</code>", "<code>PP-REFUND-1</code>")
	if len(result.Keyboard) != 0 {
		t.Errorf("result still has buttons: %+v", result.Keyboard)
	}
	want := refundCall{orderID: "ORD-USD", amountMinor: 499, requestedBy: ada.ID}
	if calls := refunder.Calls(); len(calls) != 1 || calls[0] != want {
		t.Fatalf("refunder calls = %+v, want [%+v]", calls, want)
	}

	again := e.tg.PressButton(ada, summary.MessageID, confirm)
	if got := e.tg.WaitForCallbackAnswer(t, again).Text; got != adminEN.RefundConfirmationGone {
		t.Errorf("second tap answer = %q, want %q", got, adminEN.RefundConfirmationGone)
	}
	if calls := refunder.Calls(); len(calls) != 1 {
		t.Errorf("refunder calls after a second tap = %d, want 1", len(calls))
	}
	lines := e.logs.lines("level=INFO", "Admin confirmed a refund", "admin_chat_id=4242", "order_id=ORD-USD")
	if len(lines) != 1 {
		t.Errorf("confirmation log lines = %d, want 1:\n%s", len(lines), e.logs.String())
	}
}

func TestAdminRefund_ZeroDigitCurrency(t *testing.T) {
	refunder := &fakeRefunder{}
	e := startAdminEnv(t, refunder)
	addOrder(t, e.store, "ORD-JPY", alice.ID, func(o *store.Order) {
		o.AmountMinor, o.Currency, o.RefundedMinor, o.Status = 1000, "JPY", 300, store.StatusPartiallyRefunded
	})

	summary := e.reply(t, ada, "/refund ORD-JPY")
	assertContains(t, summary.Text, "Refund now: <b>700 JPY</b>", "Left after this refund: 0 JPY")
	confirm, _ := refundButtons(t, summary)
	e.tg.WaitForCallbackAnswer(t, e.tg.PressButton(ada, summary.MessageID, confirm))
	waitForEdit(t, e, ada.ID, summary.MessageID, "Refund requested")

	invalid := e.reply(t, ada, "/refund ORD-JPY 1.5")
	assertContains(t, invalid.Text, `&#34;1.5&#34;`, "JPY has 0 decimal digits")
	if len(invalid.Keyboard) != 0 {
		t.Errorf("rejected refund has buttons: %+v", invalid.Keyboard)
	}
	want := refundCall{orderID: "ORD-JPY", amountMinor: 700, requestedBy: ada.ID}
	if calls := refunder.Calls(); len(calls) != 1 || calls[0] != want {
		t.Errorf("refunder calls = %+v, want [%+v]", calls, want)
	}
}

func TestAdminRefund_CancelCallsNothing(t *testing.T) {
	refunder := &fakeRefunder{}
	e := startAdminEnv(t, refunder)
	addOrder(t, e.store, "ORD-USD", alice.ID, nil)

	summary := e.reply(t, ada, "/refund ORD-USD")
	confirm, cancel := refundButtons(t, summary)
	query := e.tg.PressButton(ada, summary.MessageID, cancel)
	if got := e.tg.WaitForCallbackAnswer(t, query).Text; got != adminEN.RefundCancelledAnswer {
		t.Errorf("answer = %q, want %q", got, adminEN.RefundCancelledAnswer)
	}
	waitForEdit(t, e, ada.ID, summary.MessageID, "cancelled. Nothing was sent to PingPong")

	late := e.tg.PressButton(ada, summary.MessageID, confirm)
	if got := e.tg.WaitForCallbackAnswer(t, late).Text; got != adminEN.RefundConfirmationGone {
		t.Errorf("confirm after cancel answer = %q, want %q", got, adminEN.RefundConfirmationGone)
	}
	if calls := refunder.Calls(); len(calls) != 0 {
		t.Errorf("refunder calls = %+v, want none", calls)
	}
}

func TestAdminRefund_OtherChatCannotConfirm(t *testing.T) {
	refunder := &fakeRefunder{}
	e := startAdminEnv(t, refunder)
	addOrder(t, e.store, "ORD-USD", alice.ID, nil)
	summary := e.reply(t, ada, "/refund ORD-USD")
	confirm, _ := refundButtons(t, summary)

	presses := []struct {
		name      string
		from      telegramtest.User
		messageID int
		want      string
	}{
		{"another admin in own chat", grace, 0, adminEN.RefundConfirmationForeign},
		{"another admin on the summary", grace, summary.MessageID, adminEN.RefundConfirmationForeign},
		{"non-admin", alice, 0, textsEN.UnknownAction},
	}
	for _, press := range presses {
		query := e.tg.PressButton(press.from, press.messageID, confirm)
		if got := e.tg.WaitForCallbackAnswer(t, query).Text; got != press.want {
			t.Errorf("%s: answer = %q, want %q", press.name, got, press.want)
		}
	}
	if calls := refunder.Calls(); len(calls) != 0 {
		t.Fatalf("refunder calls = %+v, want none", calls)
	}

	query := e.tg.PressButton(ada, summary.MessageID, confirm)
	if got := e.tg.WaitForCallbackAnswer(t, query).Text; got != adminEN.RefundStarting {
		t.Errorf("owner's answer = %q, want %q", got, adminEN.RefundStarting)
	}
	waitForEdit(t, e, ada.ID, summary.MessageID, "Refund requested")
	if calls := refunder.Calls(); len(calls) != 1 || calls[0].requestedBy != ada.ID {
		t.Errorf("refunder calls = %+v, want one by Ada", calls)
	}
}

func TestAdminRefund_InvalidAmountNamed(t *testing.T) {
	refunder := &fakeRefunder{}
	e := startAdminEnv(t, refunder)
	addOrder(t, e.store, "ORD-USD", alice.ID, nil)

	cases := []struct{ amount, reason string }{
		{"9.999", "USD has 2 decimal digits at most"},
		{"-1", "want a positive decimal number"},
		{"abc", "want a positive decimal number"},
		{"0", "must be greater than zero"},
	}
	for _, tc := range cases {
		msg := e.reply(t, ada, "/refund ORD-USD "+tc.amount)
		assertContains(t, msg.Text, "Cannot refund order <code>ORD-USD</code>", "&#34;"+tc.amount+"&#34;", tc.reason)
		if len(msg.Keyboard) != 0 {
			t.Errorf("refund of %q has buttons: %+v", tc.amount, msg.Keyboard)
		}
	}
	if calls := refunder.Calls(); len(calls) != 0 {
		t.Errorf("refunder calls = %+v, want none", calls)
	}
}

func TestAdminRefund_OverRefundRejected(t *testing.T) {
	refunder := &fakeRefunder{}
	e := startAdminEnv(t, refunder)
	addOrder(t, e.store, "ORD-USD", alice.ID, func(o *store.Order) {
		o.Status, o.RefundedMinor = store.StatusPartiallyRefunded, 500
	})
	waiting := store.Refund{
		MerchantRefundID: "RF-WAIT", MerchantTransactionID: "ORD-USD",
		AmountMinor: 200, Currency: "USD", Status: store.RefundRequested,
	}
	if err := e.store.CreateRefund(context.Background(), &waiting); err != nil {
		t.Fatal(err)
	}

	msg := e.reply(t, ada, "/refund ORD-USD 3.00")
	assertContains(t, msg.Text, "Cannot refund 3.00 USD on order <code>ORD-USD</code>", "only 2.99 USD is left",
		"refunded 5.00 USD", "refund notification 2.00 USD")
	if len(msg.Keyboard) != 0 {
		t.Errorf("over-refund has buttons: %+v", msg.Keyboard)
	}

	summary := e.reply(t, ada, "/refund ORD-USD")
	assertContains(t, summary.Text, "Refund now: <b>2.99 USD</b>", "still waiting for PingPong's notification: 1, 2.00 USD")
	if calls := refunder.Calls(); len(calls) != 0 {
		t.Errorf("refunder calls = %+v, want none", calls)
	}
}

func TestAdminRefund_RecheckedAtConfirmation(t *testing.T) {
	refunder := &fakeRefunder{}
	e := startAdminEnv(t, refunder)
	order := addOrder(t, e.store, "ORD-USD", alice.ID, nil)
	summary := e.reply(t, ada, "/refund ORD-USD")
	confirm, _ := refundButtons(t, summary)

	refunded := int64(999)
	if err := e.store.TransitionOrder(context.Background(), order, store.StatusRefunded, store.OrderChange{RefundedMinor: &refunded}); err != nil {
		t.Fatal(err)
	}
	e.tg.WaitForCallbackAnswer(t, e.tg.PressButton(ada, summary.MessageID, confirm))
	waitForEdit(t, e, ada.ID, summary.MessageID, "Order <code>ORD-USD</code> is refunded")
	if calls := refunder.Calls(); len(calls) != 0 {
		t.Errorf("refunder calls = %+v, want none", calls)
	}
}

func TestAdminRefund_UnpaidOrNotConfigured(t *testing.T) {
	e := startAdminEnv(t, &fakeRefunder{})
	addOrder(t, e.store, "ORD-PENDING", alice.ID, func(o *store.Order) { o.Status = store.StatusPending })
	msg := e.reply(t, ada, "/refund ORD-PENDING")
	assertContains(t, msg.Text, "Order <code>ORD-PENDING</code> is pending", "Only paid and partially refunded")

	msg = e.reply(t, ada, "/refund")
	if msg.Text != adminEN.RefundUsage {
		t.Errorf("reply = %q, want the usage", msg.Text)
	}

	unconfigured := startAdminEnv(t, nil)
	msg = unconfigured.reply(t, ada, "/refund ORD-PENDING")
	if msg.Text != adminEN.RefundsNotConfigured {
		t.Errorf("reply = %q, want %q", msg.Text, adminEN.RefundsNotConfigured)
	}
}

func TestAdminRefund_ExpiredConfirmation(t *testing.T) {
	refunder := &fakeRefunder{}
	e := newAdminEnv(t, refunder)
	clock := &adminClock{now: time.Now()}
	e.bot.admin.now = clock.Now
	e.start(t)
	addOrder(t, e.store, "ORD-USD", alice.ID, nil)

	summary := e.reply(t, ada, "/refund ORD-USD")
	confirm, _ := refundButtons(t, summary)
	clock.Advance(refundConfirmationTTL)

	query := e.tg.PressButton(ada, summary.MessageID, confirm)
	if got := e.tg.WaitForCallbackAnswer(t, query).Text; got != adminEN.RefundConfirmationGone {
		t.Errorf("answer = %q, want %q", got, adminEN.RefundConfirmationGone)
	}
	waitForEdit(t, e, ada.ID, summary.MessageID, "expired")
	if calls := refunder.Calls(); len(calls) != 0 {
		t.Errorf("refunder calls = %+v, want none", calls)
	}
}

func TestAdminRefund_ReportsRefunderOutcome(t *testing.T) {
	cases := []struct {
		name     string
		refunder *fakeRefunder
		want     []string
	}{
		{"rejected by PingPong", &fakeRefunder{failReason: "E0021 <refund> not allowed"},
			[]string{"PingPong rejected the refund", "E0021 &lt;refund&gt; not allowed"}},
		{"not refundable", &fakeRefunder{err: fmt.Errorf("%w: order ORD-USD is refunded", payments.ErrNotRefundable)},
			[]string{"Refund not possible", "order ORD-USD is refunded"}},
		{"network error", &fakeRefunder{err: errors.New("pingpong: refund: timed out")},
			[]string{"Refund request failed", "timed out", "Check /order ORD-USD"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := startAdminEnv(t, tc.refunder)
			addOrder(t, e.store, "ORD-USD", alice.ID, nil)
			summary := e.reply(t, ada, "/refund ORD-USD")
			confirm, _ := refundButtons(t, summary)
			e.tg.WaitForCallbackAnswer(t, e.tg.PressButton(ada, summary.MessageID, confirm))
			result := waitForEdit(t, e, ada.ID, summary.MessageID, tc.want[0])
			assertContains(t, result.Text, tc.want...)
		})
	}
}
