package bot

import (
	"context"
	"errors"
	"fmt"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"telegram-bot-webhook/payments/money"
	"telegram-bot-webhook/store"
)

// errUnsendable marks a message that can never be rendered, such as one
// whose order no longer exists; it is kept as dead.
var errUnsendable = errors.New("message cannot be rendered")

// render builds the Telegram message for an outbox row in the recipient's
// language: the language of the user of the chat, else the order's, else
// English. Errors wrapping errUnsendable are permanent; others come from the
// database and are worth another try.
func (b *Bot) render(ctx context.Context, msg store.OutboxMessage) (tgbotapi.MessageConfig, error) {
	payload, err := msg.DecodePayload()
	if err != nil {
		return tgbotapi.MessageConfig{}, fmt.Errorf("%w: %w", errUnsendable, err)
	}
	if msg.Kind == store.MessageAdmin {
		return renderAdmin(msg, payload)
	}

	order, err := b.store.GetOrder(ctx, msg.MerchantTransactionID)
	if errors.Is(err, store.ErrNotFound) {
		return tgbotapi.MessageConfig{}, fmt.Errorf("%w: order %q not found", errUnsendable, msg.MerchantTransactionID)
	}
	if err != nil {
		return tgbotapi.MessageConfig{}, err
	}
	t, err := b.recipientTexts(ctx, msg.ChatID, order)
	if err != nil {
		return tgbotapi.MessageConfig{}, err
	}

	out := tgbotapi.NewMessage(msg.ChatID, "")
	out.ParseMode = tgbotapi.ModeHTML
	out.DisableWebPagePreview = true
	switch msg.Kind {
	case store.MessagePaid:
		out.Text = b.renderPaid(t, order)
	case store.MessageFailed:
		out.Text, out.ReplyMarkup = renderFailed(t, order, payload)
	case store.MessageRefunded:
		out.Text = renderRefunded(t, order, payload)
	case store.MessageExpired:
		out.Text = formatHTML(t.Expired, order.MerchantTransactionID)
	default:
		return tgbotapi.MessageConfig{}, fmt.Errorf("%w: unknown message kind %q", errUnsendable, msg.Kind)
	}
	out.Text = truncateHTMLMessage(out.Text)
	return out, nil
}

// recipientTexts picks the language of the chat's user, falling back to
// the order's language and then English.
func (b *Bot) recipientTexts(ctx context.Context, chatID int64, order *store.Order) (*texts, error) {
	user, err := b.store.GetUserByChat(ctx, chatID)
	switch {
	case err == nil && user.LanguageCode != "":
		return textsFor(user.LanguageCode), nil
	case err == nil || errors.Is(err, store.ErrNotFound):
		return textsFor(order.LanguageCode), nil
	default:
		return nil, err
	}
}

// renderAdmin sends the admin's text as plain text, without parse mode.
func renderAdmin(msg store.OutboxMessage, payload store.MessagePayload) (tgbotapi.MessageConfig, error) {
	if payload.Text == "" {
		return tgbotapi.MessageConfig{}, fmt.Errorf("%w: admin message has no text", errUnsendable)
	}
	out := tgbotapi.NewMessage(msg.ChatID, truncateLength(payload.Text, maxMessageLength))
	out.DisableWebPagePreview = true
	return out, nil
}

// renderPaid confirms the payment and delivers the product's Delivery text
// from the catalog. A SKU no longer in the catalog is logged, and the buyer
// is asked to contact the seller.
func (b *Bot) renderPaid(t *texts, order *store.Order) string {
	text := formatHTML(t.Paid,
		order.MerchantTransactionID,
		truncate(order.ProductName, maxNameRunes),
		money.FormatMoney(order.AmountMinor, order.Currency),
	)
	product, found := b.product(order.SKU)
	if !found || product.Delivery == "" {
		b.log.Error("Paid order's product has no delivery text in the catalog",
			"order_id", order.MerchantTransactionID, "sku", order.SKU)
		return text + "\n\n" + formatHTML(t.PaidNoDelivery, order.MerchantTransactionID)
	}
	return text + "\n\n" + formatHTML(t.PaidDelivery, truncateLength(product.Delivery, maxDeliveryLength))
}

// renderFailed reports a failed payment with its reason and, while the
// order can still be paid, the pay button again.
func renderFailed(t *texts, order *store.Order, payload store.MessagePayload) (string, any) {
	text := formatHTML(t.Failed, order.MerchantTransactionID)
	if payload.Reason != "" {
		text += "\n" + formatHTML(t.FailedReason, truncate(payload.Reason, maxReasonRunes))
	}
	if !order.Status.IsPayable() || !validPaymentURL(order.PaymentURL) {
		return text, nil
	}
	keyboard := tgbotapi.NewInlineKeyboardMarkup(tgbotapi.NewInlineKeyboardRow(
		tgbotapi.NewInlineKeyboardButtonURL(t.PayButton, order.PaymentURL),
	))
	return text + "\n\n" + t.FailedRetry, keyboard
}

// renderRefunded reports the refunded amount from the payload, or the
// order's refunded total when the payload has none.
func renderRefunded(t *texts, order *store.Order, payload store.MessagePayload) string {
	amount, currency := payload.AmountMinor, payload.Currency
	if amount == 0 || currency == "" {
		amount, currency = order.RefundedMinor, order.Currency
	}
	return formatHTML(t.Refunded, order.MerchantTransactionID, money.FormatMoney(amount, currency))
}
