package bot

import (
	"context"
	"errors"
	"slices"
	"testing"

	"telegram-bot-webhook/bot/telegramtest"
	"telegram-bot-webhook/store"
)

// adminGroup is a group chat listed among the admin chats.
const adminGroup = -1001234567890

// groupReply sends text from the user in the group and returns the next
// message the group receives.
func (e *env) groupReply(t *testing.T, from telegramtest.User, group int64, text string) telegramtest.SentMessage {
	t.Helper()
	before := len(e.tg.Messages(group))
	e.tg.SendGroupText(from, group, text)
	e.tg.WaitUntil(t, "a group reply to "+text, func() bool { return len(e.tg.Messages(group)) > before })
	return e.tg.Messages(group)[before]
}

func startAdminGroupEnv(t *testing.T, refunder *fakeRefunder) *env {
	t.Helper()
	e := newEnv(t, func(o *Options) {
		o.AdminChatIDs = []int64{adminGroup}
		if refunder != nil {
			o.Refunder = refunder
		}
	})
	e.start(t)
	return e
}

func TestAdminGroup_RunsAdminCommands(t *testing.T) {
	e := startAdminGroupEnv(t, &fakeRefunder{})
	addOrder(t, e.store, "ORD-G", alice.ID, nil)

	stats := e.groupReply(t, ada, adminGroup, "/stats@"+telegramtest.BotUsername)
	assertContains(t, stats.Text, "<b>Shop statistics</b>")
	order := e.groupReply(t, grace, adminGroup, "/order ORD-G")
	assertContains(t, order.Text, "<code>ORD-G</code>")
	help := e.groupReply(t, ada, adminGroup, "/help")
	assertContains(t, help.Text, "<b>Admin commands</b>", "/refund")

	// Buyer commands still belong in the private chat.
	if msg := e.groupReply(t, ada, adminGroup, "/products"); msg.Text != textsEN.PrivateOnly {
		t.Errorf("reply to /products in the admin group = %q, want the private chat pointer", msg.Text)
	}
	if _, err := e.store.GetUser(context.Background(), ada.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("admin in a group stored as a user with the group as chat: %v", err)
	}
}

func TestAdminGroup_RefundConfirmedOnlyByRequester(t *testing.T) {
	refunder := &fakeRefunder{}
	e := startAdminGroupEnv(t, refunder)
	addOrder(t, e.store, "ORD-G", alice.ID, nil)

	summary := e.groupReply(t, ada, adminGroup, "/refund ORD-G 1.00")
	assertContains(t, summary.Text, "<code>ORD-G</code>", "Refund now: <b>1.00 USD</b>")
	confirm, _ := refundButtons(t, summary)

	other := e.tg.PressButton(grace, summary.MessageID, confirm)
	if got := e.tg.WaitForCallbackAnswer(t, other).Text; got != adminEN.RefundConfirmationForeign {
		t.Errorf("another group member's answer = %q, want %q", got, adminEN.RefundConfirmationForeign)
	}
	if calls := refunder.Calls(); len(calls) != 0 {
		t.Fatalf("refunder calls after another member's tap = %+v, want none", calls)
	}

	own := e.tg.PressButton(ada, summary.MessageID, confirm)
	if got := e.tg.WaitForCallbackAnswer(t, own).Text; got != adminEN.RefundStarting {
		t.Errorf("requester's answer = %q, want %q", got, adminEN.RefundStarting)
	}
	waitForEdit(t, e, adminGroup, summary.MessageID, "Refund requested")
	want := refundCall{orderID: "ORD-G", amountMinor: 100, requestedBy: ada.ID}
	if calls := refunder.Calls(); len(calls) != 1 || calls[0] != want {
		t.Errorf("refunder calls = %+v, want [%+v]", calls, want)
	}
	lines := e.logs.lines("level=INFO", "Admin confirmed a refund", "admin_chat_id=-1001234567890", "user_id=4242")
	if len(lines) != 1 {
		t.Errorf("confirmation log lines = %d, want 1:\n%s", len(lines), e.logs.String())
	}
}

func TestAdminGroup_OtherGroupGetsNoAdminCommands(t *testing.T) {
	refunder := &fakeRefunder{}
	e := startAdminGroupEnv(t, refunder)
	addOrder(t, e.store, "ORD-G", alice.ID, nil)
	const otherGroup = -1009999

	var pointer telegramtest.SentMessage
	for _, command := range []string{"/stats", "/refund ORD-G", "/help"} {
		pointer = e.groupReply(t, ada, otherGroup, command)
		if pointer.Text != textsEN.PrivateOnly {
			t.Errorf("reply to %s in another group = %q, want the private chat pointer", command, pointer.Text)
		}
	}

	// A refund button pressed in another group does nothing there.
	summary := e.groupReply(t, ada, adminGroup, "/refund ORD-G")
	confirm, _ := refundButtons(t, summary)
	query := e.tg.PressButton(ada, pointer.MessageID, confirm)
	if got := e.tg.WaitForCallbackAnswer(t, query).Text; got != textsEN.PrivateOnly {
		t.Errorf("answer in another group = %q, want %q", got, textsEN.PrivateOnly)
	}
	if calls := refunder.Calls(); len(calls) != 0 {
		t.Errorf("refunder calls = %+v, want none", calls)
	}
}

func TestAdminGroup_MenuHasAdminCommandsOnly(t *testing.T) {
	e := startAdminGroupEnv(t, nil)
	e.tg.WaitUntil(t, "the admin group menu", func() bool { return len(e.tg.ChatCommands(adminGroup)) > 0 })

	var names []string
	for _, c := range e.tg.ChatCommands(adminGroup) {
		names = append(names, c.Command)
	}
	for _, want := range []string{"help", "stats", "order", "refund", "resend", "deadletters"} {
		if !slices.Contains(names, want) {
			t.Errorf("admin group menu %v lacks %q", names, want)
		}
	}
	for _, buyer := range []string{"start", "products", "orders"} {
		if slices.Contains(names, buyer) {
			t.Errorf("admin group menu %v lists buyer command %q", names, buyer)
		}
	}
}
