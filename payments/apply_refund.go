package payments

import (
	"context"
	"errors"
	"fmt"

	"telegram-bot-webhook/payments/money"
	"telegram-bot-webhook/store"
)

// applyRefund applies a REFUND event. Refunds add up; the order becomes
// refunded once their total reaches the paid amount. A refund that arrives
// before the order is paid is kept as deferred and applied by markPaid.
func (s *Service) applyRefund(ctx context.Context, tx *store.Store, order *store.Order, ev event) (applied, error) {
	if mismatch := checkMatch(order, ev, -1); mismatch != "" {
		return s.reject(ctx, tx, order, mismatch)
	}

	switch ev.Status {
	case StatusSuccess:
		if !order.Status.IsPaid() {
			return applied{outcome: store.OutcomeDeferred, detail: "refund kept until the order is paid"}, nil
		}
		return s.addRefund(ctx, tx, order, ev)
	case StatusFailed:
		if err := s.updateRefundRecord(ctx, tx, ev, store.RefundFailed); err != nil {
			return applied{}, err
		}
		reason := ev.Reason
		if reason == "" {
			reason = "PingPong gave no reason"
		}
		text := fmt.Sprintf("Refund %s of order %s failed: %s", ev.RefundID, order.MerchantTransactionID, reason)
		if err := s.alertAdmins(ctx, tx, order.MerchantTransactionID, text); err != nil {
			return applied{}, err
		}
		return applied{outcome: store.OutcomeApplied, detail: "refund failed", queued: len(s.opts.AdminChatIDs) > 0}, nil
	default:
		return applied{outcome: store.OutcomeIgnored, detail: "refund status " + ev.Status + " needs no action"}, nil
	}
}

func (s *Service) addRefund(ctx context.Context, tx *store.Store, order *store.Order, ev event) (applied, error) {
	amount, err := money.ParseAmount(ev.Amount, order.Currency)
	if err != nil {
		return s.reject(ctx, tx, order, fmt.Sprintf("refund amount %q is not valid: %v", ev.Amount, err))
	}
	total := order.RefundedMinor + amount
	if total > order.AmountMinor {
		return s.reject(ctx, tx, order, fmt.Sprintf("refunds would total %s, more than the paid %s",
			money.FormatMoney(total, order.Currency), money.FormatMoney(order.AmountMinor, order.Currency)))
	}

	to := store.StatusPartiallyRefunded
	change := store.OrderChange{RefundedMinor: &total}
	if total == order.AmountMinor {
		to = store.StatusRefunded
		at := s.now()
		change.RefundedAt = &at
	}
	if err := tx.TransitionOrder(ctx, order, to, change); err != nil {
		return applied{}, err
	}
	if err := s.updateRefundRecord(ctx, tx, ev, store.RefundSucceeded); err != nil {
		return applied{}, err
	}
	payload := store.MessagePayload{AmountMinor: amount, Currency: order.Currency}
	if _, err := tx.EnqueueMessage(ctx, order.ChatID, order.MerchantTransactionID, store.MessageRefunded, payload); err != nil {
		return applied{}, err
	}
	detail := fmt.Sprintf("refunded %s, %s in all", money.FormatMoney(amount, order.Currency), money.FormatMoney(total, order.Currency))
	return applied{outcome: store.OutcomeApplied, detail: detail, queued: true, orderEvents: []string{string(to)}}, nil
}

// updateRefundRecord marks our refund request, if the event names one, with
// the result PingPong reported.
func (s *Service) updateRefundRecord(ctx context.Context, tx *store.Store, ev event, status string) error {
	if ev.MerchantRefundID == "" {
		return nil
	}
	refund, err := tx.GetRefund(ctx, ev.MerchantRefundID)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if refund.Status == store.RefundSucceeded && status == store.RefundFailed {
		// The money was refunded already; a later FAILED for the same
		// refund cannot take it back.
		return nil
	}
	refund.Status = status
	refund.RefundID = ev.RefundID
	if status == store.RefundFailed {
		refund.LastError = ev.Reason
	}
	return tx.UpdateRefund(ctx, refund)
}

// applyDeferredRefunds applies the refunds that arrived before the order
// was paid and returns the order events they caused, one or none each.
func (s *Service) applyDeferredRefunds(ctx context.Context, tx *store.Store, order *store.Order) ([]string, error) {
	stored, err := tx.ListOrderNotifications(ctx, order.MerchantTransactionID)
	if err != nil {
		return nil, err
	}
	var events []string
	for _, n := range stored {
		if n.Outcome != store.OutcomeDeferred {
			continue
		}
		ev := event{
			NotifyType:            n.NotifyType,
			Status:                n.Status,
			MerchantTransactionID: n.MerchantTransactionID,
			TransactionID:         n.TransactionID,
			Amount:                n.Amount,
			Currency:              n.Currency,
			MerchantRefundID:      n.MerchantRefundID,
			RefundID:              n.RefundID,
		}
		done, err := s.applyRefund(ctx, tx, order, ev)
		if err != nil {
			return nil, err
		}
		if err := tx.UpdateNotificationOutcome(ctx, n.ID, done.outcome, "deferred; "+done.detail); err != nil {
			return nil, err
		}
		events = append(events, done.orderEvents...)
	}
	return events, nil
}
