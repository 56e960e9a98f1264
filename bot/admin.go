package bot

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"telegram-bot-webhook/payments"
	"telegram-bot-webhook/store"
)

// Refunder requests refunds from the payment provider. It is implemented
// by payments.Service.
type Refunder interface {
	// RefundOrder requests a refund of amountMinor of the order, in the
	// order's currency, and returns the stored refund request. The order
	// changes only when the provider's refund notification arrives.
	RefundOrder(ctx context.Context, orderID string, amountMinor int64, requestedBy int64) (*store.Refund, error)
}

var _ Refunder = (*payments.Service)(nil)

// Limits of the admin reports.
const (
	// adminListLimit is how many entries each admin list shows.
	adminListLimit = 10
	// stuckCreatingAge is how long an order may stay in creating before
	// /deadletters lists it. The reconciler checks such orders after the
	// same time.
	stuckCreatingAge = 10 * time.Minute
	// staleRefundAge is how long a refund may wait for the provider's
	// notification before /deadletters lists it.
	staleRefundAge = time.Hour
	// recentProblemWindow is the period of the bad signature and unknown
	// order counts.
	recentProblemWindow = 24 * time.Hour
)

// adminState is the admin side of the bot: who is an admin, the refund
// service, and the refunds waiting for confirmation.
type adminState struct {
	chats    map[int64]bool
	refunder Refunder
	// now is the time source of the reports and of confirmation expiry.
	now           func() time.Time
	confirmations refundConfirmations
	// refundMu serialises the check and request of confirmed refunds, so
	// two admins confirming at once cannot refund more than is left.
	refundMu sync.Mutex
}

func newAdminState(opts Options) *adminState {
	state := &adminState{
		chats:    make(map[int64]bool, len(opts.AdminChatIDs)),
		refunder: opts.Refunder,
		now:      time.Now,
	}
	for _, id := range opts.AdminChatIDs {
		state.chats[id] = true
	}
	state.confirmations.pending = make(map[string]refundConfirmation)
	return state
}

// isAdmin reports whether the chat is one of the admin chats.
func (b *Bot) isAdmin(chatID int64) bool {
	return b.admin.chats[chatID]
}

// handleAdminCommand runs an admin command sent from an admin chat and
// reports whether it did. For any other chat it returns false, so the
// caller replies as to an unknown command.
func (b *Bot) handleAdminCommand(ctx context.Context, c chat, command, args string) bool {
	handlers := map[string]func(context.Context, chat, string){
		"deadletters": func(ctx context.Context, c chat, _ string) { b.sendDeadLetters(ctx, c) },
		"stats":       func(ctx context.Context, c chat, _ string) { b.sendStats(ctx, c) },
		"order":       b.sendOrderDetail,
		"refund":      b.requestRefundConfirmation,
		"resend":      b.resendDelivery,
	}
	handler, ok := handlers[command]
	if !ok {
		return false
	}
	if !b.isAdmin(c.id) {
		b.log.Warn("Rejected admin command from a chat that is not an admin chat",
			"command", command, "chat_id", c.id, "user_id", c.user.ID)
		return false
	}
	handler(ctx, c, args)
	return true
}

// helpText returns the /help text, with the admin commands for admin chats.
func (b *Bot) helpText(c chat) string {
	if !b.isAdmin(c.id) {
		return c.texts.Help
	}
	return c.texts.Help + "\n\n" + adminEN.Help
}

// setAdminCommands sets, for each admin chat, a command menu with the
// admin commands after the public ones. A group, whose chat id is negative,
// gets /help and the admin commands only, because buyer commands work in
// private chats only. The public menu never lists admin commands. A
// failure, such as an admin chat that never opened the bot, is logged.
func (b *Bot) setAdminCommands(ctx context.Context) {
	private := slices.Concat(textsEN.commandMenu(), adminEN.Commands)
	group := slices.Concat([]tgbotapi.BotCommand{adminEN.HelpCommand}, adminEN.Commands)
	for id := range b.admin.chats {
		commands := private
		if id < 0 {
			commands = group
		}
		scope := tgbotapi.BotCommandScope{Type: "chat", ChatID: id}
		if err := b.request(ctx, tgbotapi.NewSetMyCommandsWithScope(scope, commands...)); err != nil {
			b.log.Warn("Failed to set the admin command menu", "chat_id", id, "error", b.describe(err))
		}
	}
}

// adminOrderID returns the single order id in args, or replies with usage
// and returns false.
func (b *Bot) adminOrderID(ctx context.Context, c chat, args, usage string) (string, bool) {
	fields := strings.Fields(args)
	if len(fields) != 1 {
		b.reply(ctx, c.id, usage, nil)
		return "", false
	}
	return fields[0], true
}

// loadAdminOrder returns the order, or replies that it was not found or
// that the database failed and returns nil.
func (b *Bot) loadAdminOrder(ctx context.Context, c chat, orderID string) *store.Order {
	order, err := b.store.GetOrder(ctx, orderID)
	if errors.Is(err, store.ErrNotFound) {
		b.reply(ctx, c.id, formatHTML(adminEN.OrderNotFound, truncate(orderID, maxSKURunes)), nil)
		return nil
	}
	if err != nil {
		b.adminStoreFailed(ctx, c, "Failed to read order", err, "order_id", orderID)
		return nil
	}
	return order
}

// adminStoreFailed logs a failed store call of an admin command and
// replies that the error is in the log.
func (b *Bot) adminStoreFailed(ctx context.Context, c chat, message string, err error, args ...any) {
	b.log.Error(message, append([]any{"admin_chat_id", c.id, "error", err}, args...)...)
	b.reply(ctx, c.id, adminEN.StoreFailed, nil)
}

func (b *Bot) sendOrderDetail(ctx context.Context, c chat, args string) {
	orderID, ok := b.adminOrderID(ctx, c, args, adminEN.OrderUsage)
	if !ok {
		return
	}
	b.log.Info("Admin viewed an order", "admin_chat_id", c.id, "order_id", orderID)
	order := b.loadAdminOrder(ctx, c, orderID)
	if order == nil {
		return
	}
	notifications, err := b.store.ListOrderNotifications(ctx, orderID)
	if err != nil {
		b.adminStoreFailed(ctx, c, "Failed to list notifications of order", err, "order_id", orderID)
		return
	}
	refunds, err := b.store.ListOrderRefunds(ctx, orderID)
	if err != nil {
		b.adminStoreFailed(ctx, c, "Failed to list refunds of order", err, "order_id", orderID)
		return
	}
	b.reply(ctx, c.id, renderOrderDetail(order, notifications, refunds), nil)
}

// resendDelivery queues the paid message of a paid order again, so the
// buyer receives the delivery text once more.
func (b *Bot) resendDelivery(ctx context.Context, c chat, args string) {
	orderID, ok := b.adminOrderID(ctx, c, args, adminEN.ResendUsage)
	if !ok {
		return
	}
	order := b.loadAdminOrder(ctx, c, orderID)
	if order == nil {
		return
	}
	if order.Status != store.StatusPaid && order.Status != store.StatusPartiallyRefunded {
		b.log.Info("Admin delivery resend rejected", "admin_chat_id", c.id, "order_id", orderID, "status", order.Status)
		b.reply(ctx, c.id, formatHTML(adminEN.ResendNotPaid, orderID, string(order.Status)), nil)
		return
	}

	msg, err := b.store.EnqueueMessage(ctx, order.ChatID, order.MerchantTransactionID, store.MessagePaid, store.MessagePayload{})
	if err != nil {
		b.adminStoreFailed(ctx, c, "Failed to queue delivery message again", err, "order_id", orderID)
		return
	}
	b.WakeSender()
	b.log.Info("Admin queued the delivery message again",
		"admin_chat_id", c.id, "order_id", orderID, "chat_id", order.ChatID, "message_id", msg.ID)
	b.reply(ctx, c.id, formatHTML(adminEN.ResendQueued, orderID, order.ChatID, msg.ID), nil)
}

// statsPeriod is one period of /stats.
type statsPeriod struct {
	name string
	// since is the earliest creation time counted, zero for all time.
	since   time.Time
	summary *store.OrderSummary
}

func (b *Bot) sendStats(ctx context.Context, c chat) {
	b.log.Info("Admin requested statistics", "admin_chat_id", c.id)
	now := b.admin.now().UTC()
	periods := []statsPeriod{
		{name: "Today", since: time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)},
		{name: "Last 7 days", since: now.Add(-7 * 24 * time.Hour)},
		{name: "All time"},
	}
	for i := range periods {
		summary, err := b.store.SummarizeOrders(ctx, periods[i].since)
		if err != nil {
			b.adminStoreFailed(ctx, c, "Failed to summarize orders", err)
			return
		}
		periods[i].summary = summary
	}
	b.reply(ctx, c.id, renderStats(periods), nil)
}
