package local

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"telegram-bot-webhook/payments"
	"telegram-bot-webhook/payments/money"
)

// maxIDLen is PingPong's limit for merchantTransactionId and
// merchantRefundId.
const maxIDLen = 64

// checkout is one recorded prePay order and its state. Fields after status
// change under Provider.mu; the others are fixed at creation.
type checkout struct {
	token            string
	csrfToken        string
	orderID          string
	transactionID    string
	amountMinor      int64
	currency         string
	goodsName        string
	goodsDescription string
	remark           string
	language         string
	returnURL        string
	// expiresAt is the zero time when prePay sent no timeExpire.
	expiresAt time.Time

	// status is StatusInit, StatusSuccess or StatusFailed, or StatusClosed
	// for a checkout rebuilt from an expired order.
	status            string
	resultDescription string
	transactionTime   time.Time
	// busy is true while the first post of a Pay or Decline notification
	// is under way.
	busy bool
	// retries is the background redelivery of the last notification, nil
	// when none runs.
	retries       *retryRun
	refundedMinor int64
}

// retryRun is the background redelivery of one payment notification.
type retryRun struct {
	cancel context.CancelFunc
}

// stopRetries cancels the redelivery of an older notification, which a
// newer status replaces. The caller holds Provider.mu.
func (c *checkout) stopRetries() {
	if c.retries != nil {
		c.retries.cancel()
		c.retries = nil
	}
}

// expired reports whether the checkout link ran out at now.
func (c *checkout) expired(now time.Time) bool {
	return !c.expiresAt.IsZero() && !now.Before(c.expiresAt)
}

// refund is one accepted refund request.
type refund struct {
	merchantRefundID string
	refundID         string
	orderID          string
	transactionID    string
	amountMinor      int64
	currency         string
	refundTime       time.Time
}

// PrePay records a checkout and returns the link to its page. The same
// merchantTransactionId again returns the same checkout, as PingPong does,
// unless the amount or currency differ, which is an error. With
// Options.Orders, that includes a checkout created before a restart whose
// order stored the link.
func (p *Provider) PrePay(ctx context.Context, r payments.PrePayRequest) (*payments.PrePayResult, error) {
	if err := validatePrePay(r); err != nil {
		return nil, err
	}
	if err := p.restoreOrder(ctx, r.MerchantTransactionID); err != nil {
		return nil, fmt.Errorf("local checkout: prePay: %w", err)
	}

	p.mu.Lock()
	defer p.mu.Unlock()
	c, ok := p.byOrderID[r.MerchantTransactionID]
	if ok && (c.amountMinor != r.AmountMinor || c.currency != r.Currency) {
		return nil, fmt.Errorf("local checkout: prePay: order %q exists with amount %s, the request "+
			"was for %s; an order id must not be reused for another amount", r.MerchantTransactionID,
			money.FormatMoney(c.amountMinor, c.currency), money.FormatMoney(r.AmountMinor, r.Currency))
	}
	if !ok {
		c = p.newCheckout(r)
		p.byToken[c.token] = c
		p.byOrderID[c.orderID] = c
		p.log.Info("Local checkout created",
			"order_id", c.orderID,
			"transaction_id", c.transactionID,
			"amount", money.FormatMoney(c.amountMinor, c.currency))
	}

	return &payments.PrePayResult{
		TransactionID:         c.transactionID,
		MerchantTransactionID: c.orderID,
		PaymentURL:            p.paymentURL(c.token),
		Token:                 c.token,
		Amount:                money.FormatAmount(c.amountMinor, c.currency),
		Currency:              c.currency,
	}, nil
}

func (p *Provider) newCheckout(r payments.PrePayRequest) *checkout {
	token := newToken()
	return &checkout{
		token:            token,
		csrfToken:        p.formToken(token),
		orderID:          r.MerchantTransactionID,
		transactionID:    newTransactionID(),
		amountMinor:      r.AmountMinor,
		currency:         r.Currency,
		goodsName:        r.GoodsName,
		goodsDescription: r.GoodsDescription,
		remark:           r.Remark,
		language:         r.Language,
		returnURL:        r.PayResultURL,
		expiresAt:        r.TimeExpire,
		status:           payments.StatusInit,
	}
}

// validatePrePay checks what the checkout page and the notifications use.
// Errors wrap payments.ErrInvalidRequest, as the PingPong client's do.
func validatePrePay(r payments.PrePayRequest) error {
	if err := validateID("merchant transaction id", r.MerchantTransactionID); err != nil {
		return prePayInvalid("%v", err)
	}
	if err := validateAmount(r.AmountMinor, r.Currency); err != nil {
		return prePayInvalid("%v", err)
	}
	if r.PayResultURL != "" && checkHTTPURL(r.PayResultURL) != "" {
		return prePayInvalid("pay result URL %q is not an absolute http(s) URL", r.PayResultURL)
	}
	return nil
}

func prePayInvalid(format string, args ...any) error {
	return fmt.Errorf("local checkout: prePay: %w: %s", payments.ErrInvalidRequest, fmt.Sprintf(format, args...))
}

// validateID checks a merchant transaction or refund id: 1 to 64 bytes
// without spaces or control characters.
func validateID(name, id string) error {
	if id == "" {
		return fmt.Errorf("%s is empty", name)
	}
	if len(id) > maxIDLen {
		return fmt.Errorf("%s %q has %d bytes, the maximum is %d", name, id, len(id), maxIDLen)
	}
	if strings.ContainsFunc(id, func(r rune) bool { return r <= ' ' || r == 0x7F || r == utf8.RuneError }) {
		return fmt.Errorf("%s %q contains a space or control character", name, id)
	}
	return nil
}

func validateAmount(minor int64, currency string) error {
	if _, ok := money.CurrencyDigits(currency); !ok {
		return fmt.Errorf("currency %q is unknown, use an ISO 4217 code such as USD", currency)
	}
	if minor <= 0 {
		return fmt.Errorf("amount %d must be greater than zero", minor)
	}
	return nil
}

// Query returns the checkout's state: INIT until the buyer acts, then
// SUCCESS or FAILED, and CLOSED once an unpaid link ran out. With
// Options.Orders, a checkout lost on restart is rebuilt from its stored
// order, and an order the store shows as paid is SUCCESS. An unknown order
// returns a *payments.APIError with CodeNotFound.
func (p *Provider) Query(ctx context.Context, merchantTransactionID string) (*payments.QueryResult, error) {
	if err := p.restoreOrder(ctx, merchantTransactionID); err != nil {
		return nil, fmt.Errorf("local checkout: query: %w", err)
	}

	p.mu.Lock()
	defer p.mu.Unlock()
	c, ok := p.byOrderID[merchantTransactionID]
	if !ok {
		return nil, p.notFound("query", merchantTransactionID)
	}

	status := c.status
	if status != payments.StatusSuccess && c.expired(p.now()) {
		status = payments.StatusClosed
	}
	result := &payments.QueryResult{
		Status:                status,
		Amount:                money.FormatAmount(c.amountMinor, c.currency),
		Currency:              c.currency,
		TransactionID:         c.transactionID,
		MerchantTransactionID: c.orderID,
		TransactionTime:       c.transactionTime,
	}
	if status == payments.StatusFailed {
		result.ResultDescription = c.resultDescription
	}
	return result, nil
}

// Refund accepts a refund of a paid checkout with SUCCESS and posts the
// REFUND SUCCESS notification RefundDelay later, from a goroutine that
// Close stops. The same merchantRefundId again returns the first result and
// posts nothing. A refund of an unpaid checkout, in another currency or
// over the amount left returns a *payments.APIError with
// CodeRefundRejected. With Options.Orders, an order the store shows as
// paid counts as paid, also after a restart, and the amount left is what
// the store has not recorded as refunded.
//
// NOTE: refunds accepted before a restart are forgotten, so the same
// merchantRefundId after a restart is accepted again.
func (p *Provider) Refund(ctx context.Context, r payments.RefundRequest) (*payments.RefundResult, error) {
	if err := validateRefund(r); err != nil {
		return nil, fmt.Errorf("local checkout: refund: %w: %v", payments.ErrInvalidRequest, err)
	}
	if err := p.restoreOrder(ctx, r.MerchantTransactionID); err != nil {
		return nil, fmt.Errorf("local checkout: refund: %w", err)
	}

	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil, fmt.Errorf("local checkout: refund of order %s: the provider is closed",
			r.MerchantTransactionID)
	}
	if existing, ok := p.refunds[r.MerchantRefundID]; ok && existing.orderID == r.MerchantTransactionID {
		return existing.result(), nil
	}
	c, ok := p.byOrderID[r.MerchantTransactionID]
	if !ok {
		return nil, p.notFound("refund", r.MerchantTransactionID)
	}
	if reason := refundRejection(c, r); reason != "" {
		return nil, &payments.APIError{Call: "refund", Code: CodeRefundRejected, Description: reason}
	}

	c.refundedMinor += r.AmountMinor
	rf := &refund{
		merchantRefundID: r.MerchantRefundID,
		refundID:         newRefundID(),
		orderID:          c.orderID,
		transactionID:    c.transactionID,
		amountMinor:      r.AmountMinor,
		currency:         r.Currency,
		refundTime:       p.now(),
	}
	p.refunds[rf.merchantRefundID] = rf

	// Adding to the WaitGroup under p.mu, where Close cannot have started
	// waiting, keeps Add from racing Wait.
	p.wg.Add(1)
	go p.deliverRefund(rf)

	p.log.Info("Local refund accepted",
		"order_id", rf.orderID,
		"merchant_refund_id", rf.merchantRefundID,
		"refund_id", rf.refundID,
		"amount", money.FormatMoney(rf.amountMinor, rf.currency))
	return rf.result(), nil
}

// notFound returns the error of a call for an order without a checkout.
func (p *Provider) notFound(call, merchantTransactionID string) *payments.APIError {
	description := fmt.Sprintf("no local checkout for order %q", merchantTransactionID)
	if p.opts.Orders == nil {
		description += "; local checkouts are kept in memory only and lost on restart"
	}
	return &payments.APIError{Call: call, Code: CodeNotFound, Description: description}
}

func validateRefund(r payments.RefundRequest) error {
	if err := validateID("merchant transaction id", r.MerchantTransactionID); err != nil {
		return err
	}
	if err := validateID("merchant refund id", r.MerchantRefundID); err != nil {
		return err
	}
	return validateAmount(r.AmountMinor, r.Currency)
}

// refundRejection returns why the refund is not allowed, or "". The
// caller holds p.mu.
func refundRejection(c *checkout, r payments.RefundRequest) string {
	if c.status != payments.StatusSuccess {
		return fmt.Sprintf("transaction status %s cannot be refunded", c.status)
	}
	if r.Currency != c.currency {
		return fmt.Sprintf("refund currency %s differs from the transaction currency %s", r.Currency, c.currency)
	}
	left := c.amountMinor - c.refundedMinor
	if r.AmountMinor > left {
		return fmt.Sprintf("refund amount %s exceeds the %s left to refund",
			money.FormatMoney(r.AmountMinor, r.Currency), money.FormatMoney(left, c.currency))
	}
	return ""
}

func (rf *refund) result() *payments.RefundResult {
	return &payments.RefundResult{
		RefundID:   rf.refundID,
		Status:     payments.StatusSuccess,
		RefundTime: rf.refundTime,
	}
}
