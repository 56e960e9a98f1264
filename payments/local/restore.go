package local

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"telegram-bot-webhook/payments"
	"telegram-bot-webhook/store"
)

// OrderLookup reads the stored orders that checkouts were created for.
// *store.Store implements it. Both methods return an error wrapping
// store.ErrNotFound when no order matches.
type OrderLookup interface {
	GetOrder(ctx context.Context, merchantTransactionID string) (*store.Order, error)
	GetOrderByPaymentURL(ctx context.Context, paymentURL string) (*store.Order, error)
}

var _ OrderLookup = (*store.Store)(nil)

// maxTokenLen bounds a token taken from a request path before it is looked
// up. Tokens are 43 characters long.
const maxTokenLen = 64

// restoreToken brings the checkout with the token up to date with its
// stored order: it rebuilds a checkout lost on restart and marks a checkout
// paid that the store shows as paid by other means. The caller then looks
// the token up in memory as usual. A paid checkout in memory is final and
// needs no database read.
//
// NOTE: a lost checkout is looked up by its whole link on the current
// PublicBaseURL, so a link created under another base URL, such as an
// earlier tunnel's, is found only after Query or Refund rebuilt its
// checkout by order id.
func (p *Provider) restoreToken(ctx context.Context, token string) {
	if p.opts.Orders == nil || !isToken(token) {
		return
	}

	p.mu.Lock()
	c, ok := p.byToken[token]
	var orderID string
	paid := false
	if ok {
		orderID, paid = c.orderID, c.status == payments.StatusSuccess
	}
	p.mu.Unlock()
	if paid {
		return
	}

	var order *store.Order
	var err error
	if ok {
		order, err = p.opts.Orders.GetOrder(ctx, orderID)
	} else {
		order, err = p.opts.Orders.GetOrderByPaymentURL(ctx, p.paymentURL(token))
	}
	if err != nil {
		if !errors.Is(err, store.ErrNotFound) {
			p.log.Error("Failed to read the order of a local checkout", "order_id", orderID, "error", err)
		}
		return
	}
	p.adopt(order)
}

// restoreOrder does what restoreToken does for the checkout of an order id.
// It returns the error of a failed database read, and nil when the store
// has no such order.
func (p *Provider) restoreOrder(ctx context.Context, merchantTransactionID string) error {
	if p.opts.Orders == nil {
		return nil
	}

	p.mu.Lock()
	c, ok := p.byOrderID[merchantTransactionID]
	paid := ok && c.status == payments.StatusSuccess
	p.mu.Unlock()
	if paid {
		return nil
	}

	order, err := p.opts.Orders.GetOrder(ctx, merchantTransactionID)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("local checkout: read order %s: %w", merchantTransactionID, err)
	}
	p.adopt(order)
	return nil
}

// adopt copies the state of a stored order to its checkout. A checkout
// missing from memory is rebuilt from the order. A checkout in memory only
// ever moves to SUCCESS here, because the order was read without p.mu and a
// Pay pressed meanwhile must not be undone.
func (p *Provider) adopt(order *store.Order) {
	p.mu.Lock()
	defer p.mu.Unlock()

	c, ok := p.byOrderID[order.MerchantTransactionID]
	if !ok {
		p.rebuild(order)
		return
	}
	if !order.Status.IsPaid() || c.status == payments.StatusSuccess {
		return
	}

	c.stopRetries()
	c.status = payments.StatusSuccess
	c.resultDescription = ""
	if order.PaidAt != nil {
		c.transactionTime = *order.PaidAt
	}
	if order.TransactionID != "" {
		c.transactionID = order.TransactionID
	}
	c.refundedMinor = max(c.refundedMinor, order.RefundedMinor)
	p.log.Info("Local checkout marked paid: the stored order was paid by another notification",
		"order_id", c.orderID,
		"transaction_id", c.transactionID)
}

// rebuild adds the checkout of a stored order to memory, unless the order
// never had a local checkout link or its state has no checkout status. The
// order stores neither the product description nor the return URL, so the
// rebuilt page shows neither. The caller holds p.mu.
func (p *Provider) rebuild(order *store.Order) {
	status, ok := checkoutStatus(order.Status)
	token := tokenOf(order.PaymentURL)
	if !ok || token == "" {
		return
	}
	if _, exists := p.byToken[token]; exists {
		return
	}

	c := &checkout{
		token:         token,
		csrfToken:     p.formToken(token),
		orderID:       order.MerchantTransactionID,
		transactionID: order.TransactionID,
		amountMinor:   order.AmountMinor,
		currency:      order.Currency,
		goodsName:     order.ProductName,
		// The service sends the product's SKU as the remark.
		remark:        order.SKU,
		language:      checkoutLanguage(order.LanguageCode),
		expiresAt:     order.ExpiresAt,
		status:        status,
		refundedMinor: order.RefundedMinor,
	}
	if c.transactionID == "" {
		c.transactionID = newTransactionID()
	}
	if order.PaidAt != nil {
		c.transactionTime = *order.PaidAt
	}
	p.byToken[c.token] = c
	p.byOrderID[c.orderID] = c
	p.log.Info("Local checkout restored from the stored order",
		"order_id", c.orderID,
		"transaction_id", c.transactionID,
		"status", c.status)
}

// checkoutStatus returns the checkout status of an order state: INIT while
// the buyer can pay, SUCCESS once paid, refunds included, and CLOSED once
// the link expired. Orders still being created or whose checkout failed
// have none.
func checkoutStatus(status store.OrderStatus) (string, bool) {
	switch {
	case status.IsPayable():
		return payments.StatusInit, true
	case status.IsPaid():
		return payments.StatusSuccess, true
	case status == store.StatusExpired:
		return payments.StatusClosed, true
	default:
		return "", false
	}
}

// checkoutLanguage returns the page language the service requests: "zh"
// for Chinese Telegram users and "en" for everyone else.
func checkoutLanguage(languageCode string) string {
	if isChinese(languageCode) {
		return "zh"
	}
	return "en"
}

// paymentURL returns the link of the checkout with the token.
func (p *Provider) paymentURL(token string) string {
	return p.opts.PublicBaseURL + PathPrefix + token
}

// tokenOf returns the token of a checkout link on any origin, or "" when
// the URL is not one.
func tokenOf(paymentURL string) string {
	u, err := url.Parse(paymentURL)
	if err != nil {
		return ""
	}
	token, ok := strings.CutPrefix(u.Path, PathPrefix)
	if !ok || !isToken(token) {
		return ""
	}
	return token
}

// isToken reports whether s can be a checkout token: unpadded base64url of
// at most maxTokenLen characters.
func isToken(s string) bool {
	if s == "" || len(s) > maxTokenLen {
		return false
	}
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_':
		default:
			return false
		}
	}
	return true
}

// formToken returns the form token of the checkout with the token: an
// HMAC-SHA256 of the token keyed with the salt. Deriving it, where a random
// one would have to be stored, keeps a page opened before a restart working
// after it. The label keeps the value apart from anything else the salt
// signs.
func (p *Provider) formToken(token string) string {
	mac := hmac.New(sha256.New, []byte(p.opts.Salt))
	mac.Write([]byte("local checkout form token\x00"))
	mac.Write([]byte(token))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}
