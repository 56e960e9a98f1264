package bot

import (
	"context"
	"net/url"
	"sync"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"telegram-bot-webhook/config"
	"telegram-bot-webhook/payments/money"
)

// orderKey identifies a purchase in progress.
type orderKey struct {
	userID int64
	sku    string
}

// orderGuard remembers the purchases in progress, so that a second tap on a
// Buy button does not create a second order while the first is created.
type orderGuard struct {
	mu       sync.Mutex
	inFlight map[orderKey]bool
}

// acquire marks the purchase in progress and reports false if it already
// was.
func (g *orderGuard) acquire(key orderKey) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.inFlight[key] {
		return false
	}
	g.inFlight[key] = true
	return true
}

func (g *orderGuard) release(key orderKey) {
	g.mu.Lock()
	defer g.mu.Unlock()
	delete(g.inFlight, key)
}

// product returns the catalog entry with the SKU.
func (b *Bot) product(sku string) (config.Product, bool) {
	for _, p := range b.products {
		if p.SKU == sku {
			return p, true
		}
	}
	return config.Product{}, false
}

// startOrder starts creating an order for the chat's user in the
// background, so the worker can serve other chats meanwhile. answer, when
// not nil, answers the callback query of the Buy button.
func (b *Bot) startOrder(ctx context.Context, c chat, sku string, answer func(string)) {
	respond := func(text string) {
		if answer != nil {
			answer(text)
			return
		}
		b.reply(ctx, c.id, text, nil)
	}
	product, found := b.product(sku)
	if !found {
		if answer != nil {
			answer(c.texts.UnknownAction)
		}
		text := c.texts.BuyUsage
		if sku != "" {
			text = formatHTML(c.texts.UnknownProduct, truncate(sku, maxSKURunes))
		}
		b.reply(ctx, c.id, text, nil)
		return
	}
	if !c.registered {
		respond(c.texts.TryAgainLater)
		return
	}

	key := orderKey{userID: c.user.ID, sku: sku}
	if !b.orders.acquire(key) {
		respond(c.texts.AlreadyCreating)
		return
	}
	if answer != nil {
		answer(c.texts.CreatingOrder)
	}
	select {
	case b.orderSlots <- struct{}{}:
	case <-ctx.Done():
		b.orders.release(key)
		b.log.Warn("Gave up waiting to create an order", "user_id", c.user.ID, "sku", sku)
		return
	}

	b.orderWG.Add(1)
	go func() {
		defer b.orderWG.Done()
		defer func() { <-b.orderSlots }()
		defer b.orders.release(key)
		defer b.recoverPanic("order", 0, c.id)
		b.createOrder(c, product)
	}()
}

// createOrder creates the order and its checkout and sends the payment
// link, or a message asking the buyer to try again later.
func (b *Bot) createOrder(c chat, product config.Product) {
	ctx, cancel := context.WithTimeout(b.workCtx, b.handlerTimeout)
	defer cancel()

	user := c.user
	order, err := b.checkout.CreateOrder(ctx, &user, product)
	if err != nil {
		b.log.Error("Failed to create order",
			"user_id", user.ID, "chat_id", c.id, "sku", product.SKU, "error", b.redact(err.Error()))
		b.reply(b.workCtx, c.id, c.texts.CheckoutFailed, nil)
		return
	}
	b.log.Info("Order created",
		"order_id", order.MerchantTransactionID, "user_id", user.ID, "chat_id", c.id, "sku", product.SKU)

	text := formatHTML(c.texts.OrderCreated,
		truncate(order.ProductName, maxNameRunes),
		money.FormatMoney(order.AmountMinor, order.Currency),
		order.MerchantTransactionID,
	)
	if !order.ExpiresAt.IsZero() {
		text += "\n" + formatHTML(c.texts.LinkValidUntil, expiryText(order.ExpiresAt))
	}

	var keyboard *tgbotapi.InlineKeyboardMarkup
	if validPaymentURL(order.PaymentURL) {
		markup := tgbotapi.NewInlineKeyboardMarkup(tgbotapi.NewInlineKeyboardRow(
			tgbotapi.NewInlineKeyboardButtonURL(c.texts.PayButton, order.PaymentURL),
		))
		keyboard = &markup
	} else {
		b.log.Error("Created order has no valid payment URL", "order_id", order.MerchantTransactionID)
		text += "\n\n" + formatHTML(c.texts.MissingPayLink, order.MerchantTransactionID)
	}
	b.reply(b.workCtx, c.id, text, keyboard)
}

// validPaymentURL reports whether Telegram accepts the URL in a button.
func validPaymentURL(raw string) bool {
	parsed, err := url.Parse(raw)
	if err != nil {
		return false
	}
	return (parsed.Scheme == "https" || parsed.Scheme == "http") && parsed.Host != ""
}

// expiryText formats the time a payment link stops working.
func expiryText(at time.Time) string {
	return at.UTC().Format("2006-01-02 15:04 UTC")
}
