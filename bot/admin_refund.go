package bot

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"strings"
	"sync"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"telegram-bot-webhook/payments"
	"telegram-bot-webhook/payments/money"
	"telegram-bot-webhook/store"
)

// Refund confirmation buttons. Their callback data is the prefix and a
// token of refundTokenBytes random bytes in base64url, 22 bytes in all.
const (
	adminCallbackPrefix   = "adm:"
	refundConfirmPrefix   = adminCallbackPrefix + "rf:ok:"
	refundCancelPrefix    = adminCallbackPrefix + "rf:no:"
	refundTokenBytes      = 9
	refundConfirmationTTL = 10 * time.Minute
)

// refundConfirmation is a validated /refund waiting for the admin's tap.
type refundConfirmation struct {
	chatID      int64
	userID      int64
	orderID     string
	amountMinor int64
	currency    string
	expires     time.Time
}

// Outcomes of taking a confirmation.
type takeResult int

const (
	confirmationTaken takeResult = iota
	// confirmationMissing is a token never issued, used or expired and
	// removed before.
	confirmationMissing
	confirmationExpired
	// confirmationForeign is a token issued to another admin chat or user.
	confirmationForeign
)

// refundConfirmations are the refunds waiting for confirmation, by token.
// A token is used at most once.
type refundConfirmations struct {
	mu      sync.Mutex
	pending map[string]refundConfirmation
}

// add stores the confirmation under a new random token, removing expired
// ones first, and returns the token.
func (r *refundConfirmations) add(confirmation refundConfirmation, now time.Time) (string, error) {
	random := make([]byte, refundTokenBytes)
	if _, err := rand.Read(random); err != nil {
		return "", err
	}
	token := base64.RawURLEncoding.EncodeToString(random)

	r.mu.Lock()
	defer r.mu.Unlock()
	for key, pending := range r.pending {
		if !now.Before(pending.expires) {
			delete(r.pending, key)
		}
	}
	r.pending[token] = confirmation
	return token, nil
}

// take removes and returns the confirmation of the token if it belongs to
// the chat and user. A confirmation of another chat or user stays, so its
// admin can still use it.
func (r *refundConfirmations) take(token string, chatID, userID int64, now time.Time) (refundConfirmation, takeResult) {
	r.mu.Lock()
	defer r.mu.Unlock()
	confirmation, ok := r.pending[token]
	switch {
	case !ok:
		return refundConfirmation{}, confirmationMissing
	case confirmation.chatID != chatID || confirmation.userID != userID:
		return refundConfirmation{}, confirmationForeign
	}
	delete(r.pending, token)
	if !now.Before(confirmation.expires) {
		return confirmation, confirmationExpired
	}
	return confirmation, confirmationTaken
}

// refundPlan is an order that may be refunded, with its refunds still
// waiting for the provider's notification.
type refundPlan struct {
	order        *store.Order
	waitingMinor int64
	waitingCount int
}

// left returns what may still be refunded: the paid amount minus the
// confirmed refunds and the refunds still waiting.
func (p *refundPlan) left() int64 {
	return p.order.AmountMinor - p.order.RefundedMinor - p.waitingMinor
}

// money formats an amount in the order's currency.
func (p *refundPlan) money(minor int64) string {
	return money.FormatMoney(minor, p.order.Currency)
}

// checkAmount returns the HTML reason the amount cannot be refunded, or ""
// when it can.
func (p *refundPlan) checkAmount(amount int64) string {
	id := p.order.MerchantTransactionID
	if p.left() <= 0 {
		return formatHTML(adminEN.RefundNothingLeft, id,
			p.money(p.order.AmountMinor), p.money(p.order.RefundedMinor), p.money(p.waitingMinor))
	}
	if amount > p.left() {
		return formatHTML(adminEN.RefundTooMuch, p.money(amount), id, p.money(p.left()),
			p.money(p.order.AmountMinor), p.money(p.order.RefundedMinor), p.money(p.waitingMinor))
	}
	return ""
}

// planRefund loads the order and its waiting refunds. It returns the HTML
// reason when the order cannot be refunded at all, and logs store errors.
func (b *Bot) planRefund(ctx context.Context, adminChatID int64, orderID string) (*refundPlan, string) {
	order, err := b.store.GetOrder(ctx, orderID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, formatHTML(adminEN.OrderNotFound, truncate(orderID, maxSKURunes))
	}
	if err != nil {
		b.log.Error("Failed to read order for refund", "admin_chat_id", adminChatID, "order_id", orderID, "error", err)
		return nil, adminEN.StoreFailed
	}
	if order.Status != store.StatusPaid && order.Status != store.StatusPartiallyRefunded {
		return nil, formatHTML(adminEN.RefundNotPaid, orderID, string(order.Status))
	}

	refunds, err := b.store.ListOrderRefunds(ctx, orderID)
	if err != nil {
		b.log.Error("Failed to list refunds of order", "admin_chat_id", adminChatID, "order_id", orderID, "error", err)
		return nil, adminEN.StoreFailed
	}
	plan := &refundPlan{order: order}
	for _, refund := range refunds {
		if refund.Status == store.RefundRequested {
			plan.waitingMinor += refund.AmountMinor
			plan.waitingCount++
		}
	}
	return plan, ""
}

// requestRefundConfirmation validates /refund <id> [amount] and replies
// with a summary and the Confirm and Cancel buttons. Nothing is sent to the
// provider before Confirm.
func (b *Bot) requestRefundConfirmation(ctx context.Context, c chat, args string) {
	if b.admin.refunder == nil {
		b.reply(ctx, c.id, adminEN.RefundsNotConfigured, nil)
		return
	}
	fields := strings.Fields(args)
	if len(fields) < 1 || len(fields) > 2 {
		b.reply(ctx, c.id, adminEN.RefundUsage, nil)
		return
	}
	orderID := fields[0]
	plan, problem := b.planRefund(ctx, c.id, orderID)
	if problem != "" {
		b.log.Info("Admin refund rejected", "admin_chat_id", c.id, "order_id", orderID, "reason", stripTags(problem))
		b.reply(ctx, c.id, problem, nil)
		return
	}

	// Without an amount the refund is all that is left, which fails the
	// check only when nothing is left.
	amount := plan.left()
	if problem := plan.checkAmount(amount); problem != "" {
		b.log.Info("Admin refund rejected", "admin_chat_id", c.id, "order_id", orderID, "reason", stripTags(problem))
		b.reply(ctx, c.id, problem, nil)
		return
	}
	if len(fields) == 2 {
		parsed, err := money.ParsePrice(fields[1], plan.order.Currency)
		if err != nil {
			b.log.Info("Admin refund rejected", "admin_chat_id", c.id, "order_id", orderID, "error", err)
			b.reply(ctx, c.id, formatHTML(adminEN.RefundInvalidAmount, orderID, err.Error(),
				money.FormatAmount(plan.left(), plan.order.Currency)), nil)
			return
		}
		amount = parsed
	}
	if problem := plan.checkAmount(amount); problem != "" {
		b.log.Info("Admin refund rejected", "admin_chat_id", c.id, "order_id", orderID, "reason", stripTags(problem))
		b.reply(ctx, c.id, problem, nil)
		return
	}

	b.offerRefund(ctx, c, plan, amount)
}

// offerRefund stores the confirmation and sends the summary with buttons.
func (b *Bot) offerRefund(ctx context.Context, c chat, plan *refundPlan, amount int64) {
	orderID := plan.order.MerchantTransactionID
	now := b.admin.now()
	token, err := b.admin.confirmations.add(refundConfirmation{
		chatID:      c.id,
		userID:      c.user.ID,
		orderID:     orderID,
		amountMinor: amount,
		currency:    plan.order.Currency,
		expires:     now.Add(refundConfirmationTTL),
	}, now)
	if err != nil {
		b.log.Error("Failed to create refund confirmation token", "admin_chat_id", c.id, "order_id", orderID, "error", err)
		b.reply(ctx, c.id, c.texts.TryAgainLater, nil)
		return
	}

	b.log.Info("Admin asked to refund an order, waiting for confirmation",
		"admin_chat_id", c.id, "user_id", c.user.ID, "order_id", orderID, "amount", plan.money(amount))
	keyboard := tgbotapi.NewInlineKeyboardMarkup(tgbotapi.NewInlineKeyboardRow(
		tgbotapi.NewInlineKeyboardButtonData(adminEN.ConfirmRefundButton, refundConfirmPrefix+token),
		tgbotapi.NewInlineKeyboardButtonData(adminEN.CancelButton, refundCancelPrefix+token),
	))
	b.reply(ctx, c.id, renderRefundSummary(plan, amount), &keyboard)
}

// handleAdminCallback handles the Confirm and Cancel buttons of a refund.
// The answer function sends the callback query's answer, and the caller
// sends an empty one if this function does not.
func (b *Bot) handleAdminCallback(ctx context.Context, c chat, query *tgbotapi.CallbackQuery, answer func(string)) {
	if !b.isAdmin(c.id) {
		b.log.Warn("Rejected admin button from a chat that is not an admin chat", "chat_id", c.id, "user_id", c.user.ID)
		answer(c.texts.UnknownAction)
		return
	}
	var token string
	var confirm bool
	switch {
	case strings.HasPrefix(query.Data, refundConfirmPrefix):
		token, confirm = strings.TrimPrefix(query.Data, refundConfirmPrefix), true
	case strings.HasPrefix(query.Data, refundCancelPrefix):
		token = strings.TrimPrefix(query.Data, refundCancelPrefix)
	default:
		answer(c.texts.UnknownAction)
		return
	}

	confirmation, result := b.admin.confirmations.take(token, c.id, c.user.ID, b.admin.now())
	messageID := query.Message.MessageID
	switch result {
	case confirmationMissing:
		answer(adminEN.RefundConfirmationGone)
	case confirmationForeign:
		b.log.Warn("Rejected refund confirmation from another admin", "admin_chat_id", c.id, "user_id", c.user.ID)
		answer(adminEN.RefundConfirmationForeign)
	case confirmationExpired:
		answer(adminEN.RefundConfirmationGone)
		b.editOrReply(ctx, c.id, messageID, formatHTML(adminEN.RefundExpired, confirmation.orderID))
	case confirmationTaken:
		if confirm {
			answer(adminEN.RefundStarting)
			b.confirmRefund(ctx, c, messageID, confirmation)
			return
		}
		answer(adminEN.RefundCancelledAnswer)
		b.log.Info("Admin cancelled a refund",
			"admin_chat_id", c.id, "user_id", c.user.ID, "order_id", confirmation.orderID)
		b.editOrReply(ctx, c.id, messageID, formatHTML(adminEN.RefundCancelled, confirmation.orderID))
	}
}

// confirmRefund checks the refund again, because the order may have
// changed since the summary, and requests it from the provider. Tokens
// exist only when a Refunder is configured.
func (b *Bot) confirmRefund(ctx context.Context, c chat, messageID int, confirmation refundConfirmation) {
	orderID := confirmation.orderID
	amount := money.FormatMoney(confirmation.amountMinor, confirmation.currency)
	b.editOrReply(ctx, c.id, messageID, formatHTML(adminEN.RefundRequesting, amount, orderID))
	result := b.requestConfirmedRefund(ctx, c, confirmation)
	// The outcome is reported even when the request used up the handler's
	// time, because the refund may have reached the provider.
	b.editOrReply(context.WithoutCancel(ctx), c.id, messageID, result)
}

// requestConfirmedRefund checks the refund and requests it while holding
// refundMu, and returns the HTML text that describes the outcome.
func (b *Bot) requestConfirmedRefund(ctx context.Context, c chat, confirmation refundConfirmation) string {
	orderID := confirmation.orderID
	amount := money.FormatMoney(confirmation.amountMinor, confirmation.currency)
	b.admin.refundMu.Lock()
	defer b.admin.refundMu.Unlock()

	plan, problem := b.planRefund(ctx, c.id, orderID)
	if problem == "" {
		problem = plan.checkAmount(confirmation.amountMinor)
	}
	if problem != "" {
		b.log.Info("Admin refund rejected at confirmation", "admin_chat_id", c.id, "order_id", orderID, "reason", stripTags(problem))
		return problem
	}

	b.log.Info("Admin confirmed a refund",
		"admin_chat_id", c.id, "user_id", c.user.ID, "order_id", orderID, "amount", amount)
	refund, err := b.admin.refunder.RefundOrder(ctx, orderID, confirmation.amountMinor, c.user.ID)
	return b.refundResultText(c, orderID, amount, refund, err)
}

// refundResultText logs the outcome of a refund request and describes it.
func (b *Bot) refundResultText(c chat, orderID, amount string, refund *store.Refund, err error) string {
	switch {
	case errors.Is(err, payments.ErrNotRefundable):
		b.log.Info("Refund rejected by the payment service", "admin_chat_id", c.id, "order_id", orderID, "error", err)
		return formatHTML(adminEN.RefundNotPossible, orderID, err.Error())
	case err != nil:
		b.log.Error("Refund request failed", "admin_chat_id", c.id, "order_id", orderID, "error", err)
		return formatHTML(adminEN.RefundFailed, orderID, truncate(err.Error(), maxReasonRunes), orderID)
	case refund == nil:
		b.log.Error("Refund request returned no refund", "admin_chat_id", c.id, "order_id", orderID)
		return formatHTML(adminEN.RefundFailed, orderID, "no refund record returned", orderID)
	case refund.Status == store.RefundFailed:
		b.log.Warn("PingPong rejected the refund", "admin_chat_id", c.id, "order_id", orderID,
			"merchant_refund_id", refund.MerchantRefundID, "error", refund.LastError)
		return formatHTML(adminEN.RefundRejected, orderID, amount, refund.MerchantRefundID,
			truncate(refund.LastError, maxReasonRunes))
	default:
		b.log.Info("Refund requested by admin", "admin_chat_id", c.id, "order_id", orderID,
			"merchant_refund_id", refund.MerchantRefundID, "refund_id", refund.RefundID, "amount", amount)
		return formatHTML(adminEN.RefundRequested, orderID, amount, refund.MerchantRefundID, orEmptyMark(refund.RefundID))
	}
}

// editOrReply replaces the text of the bot's message and removes its
// buttons, or sends the text as a new message when the edit fails.
func (b *Bot) editOrReply(ctx context.Context, chatID int64, messageID int, text string) {
	edit := tgbotapi.NewEditMessageText(chatID, messageID, text)
	edit.ParseMode = tgbotapi.ModeHTML
	edit.DisableWebPagePreview = true
	if err := b.request(ctx, edit); err != nil {
		b.log.Warn("Failed to edit message, sending a new one", "chat_id", chatID, "message_id", messageID, "error", b.describe(err))
		b.reply(ctx, chatID, text, nil)
	}
}
