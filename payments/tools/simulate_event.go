package tools

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"time"

	"telegram-bot-webhook/payments"
	"telegram-bot-webhook/payments/money"
	"telegram-bot-webhook/store"
)

// defaultFailureReason is the resultDescription of a simulated failure
// when --reason is not given.
const defaultFailureReason = "Declined by the card issuer (simulated)"

// simulatedEvent is the notification simulate sends.
type simulatedEvent struct {
	fields      payments.NotificationFields
	amountMinor int64
	// merchantRefundNote explains where merchantRefundId came from, or "".
	merchantRefundNote string
}

// loadEvent reads the order and builds the event's fields. The database is
// closed again before anything is sent, so the server is the only writer.
func loadEvent(ctx context.Context, path string, opts simulateOptions) (*simulatedEvent, error) {
	// store.Open creates a missing file, which would hide a wrong path
	// behind an empty database.
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("simulate: database %s does not exist: set DATABASE_PATH to the "+
			"server's database, or start the server once to create it", path)
	}
	st, err := store.Open(path)
	if err != nil {
		return nil, fmt.Errorf("simulate: %w", err)
	}
	defer st.Close()

	order, err := st.GetOrder(ctx, opts.order)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("simulate: order %q not found in database %s: use an order id "+
			"the bot showed, or check DATABASE_PATH", opts.order, path)
	}
	if err != nil {
		return nil, fmt.Errorf("simulate: %w", err)
	}

	var requested *store.Refund
	if opts.kind == KindRefunded {
		requested, err = requestedRefund(ctx, st, order.MerchantTransactionID)
		if err != nil {
			return nil, fmt.Errorf("simulate: %w", err)
		}
	}
	return newEvent(order, requested, opts)
}

// requestedRefund returns the newest refund of the order still waiting for
// PingPong's result, or nil.
func requestedRefund(ctx context.Context, st *store.Store, orderID string) (*store.Refund, error) {
	refunds, err := st.ListOrderRefunds(ctx, orderID)
	if err != nil {
		return nil, err
	}
	var newest *store.Refund
	for i := range refunds {
		if refunds[i].Status == store.RefundRequested {
			newest = &refunds[i]
		}
	}
	return newest, nil
}

// newEvent builds the notification fields for the order.
func newEvent(order *store.Order, requested *store.Refund, opts simulateOptions) (*simulatedEvent, error) {
	currency := order.Currency
	if opts.currency != "" {
		currency = opts.currency
	}
	amount, err := eventAmount(order, requested, opts, currency)
	if err != nil {
		return nil, err
	}
	if opts.kind == KindRefunded && !opts.force {
		if err := checkRefundLeft(order, amount, currency); err != nil {
			return nil, err
		}
	}

	transactionID := order.TransactionID
	if transactionID == "" {
		transactionID = "SIM" + randomHex(8)
	}
	now := strconv.FormatInt(time.Now().UnixMilli(), 10)
	ev := &simulatedEvent{amountMinor: amount, fields: payments.NotificationFields{
		NotifyType:            payments.NotifyRecharge,
		Status:                payments.StatusSuccess,
		Amount:                money.FormatAmount(amount, currency),
		Currency:              currency,
		MerchantTransactionID: order.MerchantTransactionID,
		TransactionID:         transactionID,
		TransactionTime:       now,
		RequestID:             randomHex(16),
	}}

	switch opts.kind {
	case KindFailed:
		ev.fields.Status = payments.StatusFailed
		ev.fields.ResultDescription = opts.reason
		if ev.fields.ResultDescription == "" {
			ev.fields.ResultDescription = defaultFailureReason
		}
	case KindRefunded:
		ev.fields.NotifyType = payments.NotifyRefund
		ev.fields.RefundID = opts.refundID
		if ev.fields.RefundID == "" {
			ev.fields.RefundID = "SIMR" + randomHex(8)
		}
		ev.fields.RefundTime = now
		if requested != nil {
			ev.fields.MerchantRefundID = requested.MerchantRefundID
			ev.merchantRefundNote = "the refund requested in the bot"
		}
	}
	return ev, nil
}

// eventAmount returns the amount in minor units: --amount when given, else
// the refund requested in the bot, the amount not yet refunded, or the
// order's amount.
func eventAmount(order *store.Order, requested *store.Refund, opts simulateOptions, currency string) (int64, error) {
	if opts.amount != "" {
		amount, err := money.ParseAmount(opts.amount, currency)
		if err != nil {
			return 0, fmt.Errorf("simulate: invalid --amount: %w", err)
		}
		return amount, nil
	}

	if currency != order.Currency {
		if _, ok := money.CurrencyDigits(currency); !ok {
			return 0, fmt.Errorf("simulate: invalid --currency %q: use an ISO 4217 code such as USD", currency)
		}
		return 0, fmt.Errorf("simulate: --currency %s differs from the order's %s: give --amount in %s too",
			currency, order.Currency, currency)
	}
	if opts.kind != KindRefunded {
		return order.AmountMinor, nil
	}
	if requested != nil && requested.Currency == currency {
		return requested.AmountMinor, nil
	}

	remaining := order.AmountMinor - order.RefundedMinor
	if remaining <= 0 {
		return 0, fmt.Errorf("simulate: order %s is refunded in full (%s), so the server would reject "+
			"another refund: give --amount with --force to send one anyway and test that rejection",
			order.MerchantTransactionID, money.FormatMoney(order.RefundedMinor, currency))
	}
	return remaining, nil
}

// checkRefundLeft returns an error when a refund of amount is more than is
// left to refund on the order, because the server rejects refunds that
// would total more than the order's amount. A refund in another currency
// is left to the server, which rejects it for the currency.
func checkRefundLeft(order *store.Order, amount int64, currency string) error {
	if currency != order.Currency {
		return nil
	}
	left := order.AmountMinor - order.RefundedMinor
	if amount <= left {
		return nil
	}
	if left <= 0 {
		return fmt.Errorf("simulate: order %s is refunded in full (%s), so the server would reject "+
			"another refund: add --force to send it anyway and test that rejection",
			order.MerchantTransactionID, money.FormatMoney(order.RefundedMinor, currency))
	}
	return fmt.Errorf("simulate: refund of %s is more than the %s left to refund on order %s "+
		"(order amount %s, refunded %s), so the server would reject it: give --amount %s or less, "+
		"or add --force to send it anyway and test that rejection",
		money.FormatMoney(amount, currency), money.FormatMoney(left, currency),
		order.MerchantTransactionID, money.FormatMoney(order.AmountMinor, currency),
		money.FormatMoney(order.RefundedMinor, currency), money.FormatAmount(left, currency))
}

// build returns the signed notification body.
func (ev *simulatedEvent) build(s Settings) ([]byte, error) {
	body, err := payments.BuildNotification(s.AccID, s.ClientID, s.signType(), s.Salt, ev.fields)
	if err != nil {
		return nil, fmt.Errorf("simulate: %w", err)
	}
	return body, nil
}

// describe writes what the event reports.
func (ev *simulatedEvent) describe(p *linePrinter) {
	f := ev.fields
	p.printf("Sending %s %s for order %s: %s\n", f.NotifyType, f.Status, f.MerchantTransactionID,
		money.FormatMoney(ev.amountMinor, f.Currency))
	p.printf("  transactionId %s, requestId %s\n", f.TransactionID, f.RequestID)
	if f.RefundID != "" {
		p.printf("  refundId %s\n", f.RefundID)
	}
	if f.MerchantRefundID != "" {
		p.printf("  merchantRefundId %s, of %s\n", f.MerchantRefundID, ev.merchantRefundNote)
	}
	if f.ResultDescription != "" {
		p.printf("  resultDescription %q\n", f.ResultDescription)
	}
}

// randomHex returns n random bytes in hex.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never returns an error since Go 1.24
	return hex.EncodeToString(b)
}
