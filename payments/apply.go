package payments

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"telegram-bot-webhook/payments/money"
	"telegram-bot-webhook/store"
)

// applied is the result of one event inside its transaction.
type applied struct {
	outcome string
	detail  string
	// queued is true when the transaction added outbox messages.
	queued bool
	// orderEvents are the order's state changes, counted after commit.
	orderEvents []string
}

// applyEvent applies one verified event in a single transaction: the order
// change, the stored notification and the outbox messages commit together.
// A second copy of an event, found by its key, changes nothing.
func (s *Service) applyEvent(ctx context.Context, ev event) (Result, error) {
	var done applied
	err := s.opts.Store.Transaction(ctx, func(tx *store.Store) error {
		var err error
		done, err = s.applyInTx(ctx, tx, ev)
		return err
	})
	if errors.Is(err, store.ErrDuplicate) {
		// Another connection stored the same event key between our check and
		// our insert; its transaction applied the event.
		detail := "event applied by a concurrent request"
		if err := s.opts.Store.InsertNotification(ctx, ev.record(store.OutcomeDuplicate, detail, nil)); err != nil {
			s.log.Warn("Failed to store a duplicate notification",
				"order_id", ev.MerchantTransactionID, "event_key", ev.Key, "error", err)
		}
		return ev.result(store.OutcomeDuplicate, detail), nil
	}
	if err != nil {
		return ev.result("", ""), fmt.Errorf("payments: apply %s %s for order %s: %w",
			ev.NotifyType, ev.Status, ev.MerchantTransactionID, err)
	}
	if done.queued {
		s.opts.Wake()
	}
	for _, orderEvent := range done.orderEvents {
		s.opts.Metrics.OrderEvent(orderEvent)
	}
	return ev.result(done.outcome, done.detail), nil
}

func (s *Service) applyInTx(ctx context.Context, tx *store.Store, ev event) (applied, error) {
	_, err := tx.GetNotificationByEventKey(ctx, ev.Key)
	if err == nil {
		detail := "event " + ev.Key + " was applied before"
		// Kept without the key, as a record that the copy arrived.
		if err := tx.InsertNotification(ctx, ev.record(store.OutcomeDuplicate, detail, nil)); err != nil {
			return applied{}, err
		}
		return applied{outcome: store.OutcomeDuplicate, detail: detail}, nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return applied{}, err
	}

	order, err := tx.GetOrder(ctx, ev.MerchantTransactionID)
	if errors.Is(err, store.ErrNotFound) {
		return s.recordUnknownOrder(ctx, tx, ev)
	}
	if err != nil {
		return applied{}, err
	}

	var done applied
	switch ev.NotifyType {
	case NotifyRecharge:
		done, err = s.applyPayment(ctx, tx, order, ev)
	case NotifyRefund:
		done, err = s.applyRefund(ctx, tx, order, ev)
	default:
		done = applied{outcome: store.OutcomeIgnored, detail: "notifyType " + ev.NotifyType + " is not used by this integration"}
	}
	if err != nil {
		return applied{}, err
	}

	key := ev.Key
	if err := tx.InsertNotification(ctx, ev.record(done.outcome, done.detail, &key)); err != nil {
		return applied{}, err
	}
	return done, nil
}

// recordUnknownOrder stores an event for an order we do not have. A
// payment that succeeded means money arrived without an order, so the
// admins are alerted.
func (s *Service) recordUnknownOrder(ctx context.Context, tx *store.Store, ev event) (applied, error) {
	detail := "no order with merchantTransactionId " + ev.MerchantTransactionID
	if err := tx.InsertNotification(ctx, ev.record(store.OutcomeUnknownOrder, detail, nil)); err != nil {
		return applied{}, err
	}
	done := applied{outcome: store.OutcomeUnknownOrder, detail: detail}
	if ev.Status != StatusSuccess {
		return done, nil
	}
	text := fmt.Sprintf("PingPong reported %s %s of %s %s for order %s, which this shop does not have (transaction %s)",
		ev.NotifyType, ev.Status, ev.Amount, ev.Currency, ev.MerchantTransactionID, ev.TransactionID)
	if err := s.alertAdmins(ctx, tx, ev.MerchantTransactionID, text); err != nil {
		return applied{}, err
	}
	done.queued = len(s.opts.AdminChatIDs) > 0
	return done, nil
}

// reject stores nothing itself: it queues the admin alert and returns the
// rejected outcome, which applyInTx stores with the event key so the same
// event is not alerted twice.
func (s *Service) reject(ctx context.Context, tx *store.Store, order *store.Order, detail string) (applied, error) {
	text := fmt.Sprintf("Rejected notification for order %s: %s", order.MerchantTransactionID, detail)
	if err := s.alertAdmins(ctx, tx, order.MerchantTransactionID, text); err != nil {
		return applied{}, err
	}
	return applied{outcome: store.OutcomeRejected, detail: detail, queued: len(s.opts.AdminChatIDs) > 0}, nil
}

// checkMatch compares the event's money and ids with the order and returns
// a description of the first mismatch, or "" when they match.
func checkMatch(order *store.Order, ev event, wantAmount int64) string {
	if !strings.EqualFold(ev.Currency, order.Currency) {
		return fmt.Sprintf("currency %q does not match the order's %q", ev.Currency, order.Currency)
	}
	if order.TransactionID != "" && ev.TransactionID != "" && ev.TransactionID != order.TransactionID {
		return fmt.Sprintf("transactionId %q does not match the order's %q", ev.TransactionID, order.TransactionID)
	}
	amount, err := money.ParseAmount(ev.Amount, order.Currency)
	if err != nil {
		return fmt.Sprintf("amount %q is not valid: %v", ev.Amount, err)
	}
	if wantAmount >= 0 && amount != wantAmount {
		return fmt.Sprintf("amount %s does not match the order's %s",
			money.FormatMoney(amount, order.Currency), money.FormatMoney(wantAmount, order.Currency))
	}
	return ""
}
