package payments

import (
	"context"
	"fmt"

	"telegram-bot-webhook/payments/money"
	"telegram-bot-webhook/store"
)

// applyPayment applies a RECHARGE event. SUCCESS pays the order from any
// unpaid state, including expired; FAILED marks an unpaid order failed and
// never unpays a paid one.
func (s *Service) applyPayment(ctx context.Context, tx *store.Store, order *store.Order, ev event) (applied, error) {
	if mismatch := checkMatch(order, ev, order.AmountMinor); mismatch != "" {
		return s.reject(ctx, tx, order, mismatch)
	}

	switch ev.Status {
	case StatusSuccess:
		return s.markPaid(ctx, tx, order, ev)
	case StatusFailed:
		return s.markFailed(ctx, tx, order, ev)
	default:
		return applied{outcome: store.OutcomeIgnored, detail: "payment status " + ev.Status + " needs no action"}, nil
	}
}

func (s *Service) markPaid(ctx context.Context, tx *store.Store, order *store.Order, ev event) (applied, error) {
	if order.Status.IsPaid() {
		return applied{outcome: store.OutcomeIgnored, detail: "order is paid already"}, nil
	}
	if !store.CanTransition(order.Status, store.StatusPaid) {
		return s.reject(ctx, tx, order, fmt.Sprintf("payment succeeded for an order in state %s", order.Status))
	}

	previous := order.Status
	paidAt := s.now()
	noFailure := ""
	err := tx.TransitionOrder(ctx, order, store.StatusPaid, store.OrderChange{
		TransactionID: ev.TransactionID,
		PaidAt:        &paidAt,
		// An earlier failed attempt no longer describes a paid order.
		FailureReason: &noFailure,
	})
	if err != nil {
		return applied{}, err
	}
	if _, err := tx.EnqueueMessage(ctx, order.ChatID, order.MerchantTransactionID, store.MessagePaid, store.MessagePayload{}); err != nil {
		return applied{}, err
	}

	text := fmt.Sprintf("Order %s paid: %s, %s", order.MerchantTransactionID, order.ProductName,
		money.FormatMoney(order.AmountMinor, order.Currency))
	if previous == store.StatusExpired || previous == store.StatusCheckoutFailed {
		text = fmt.Sprintf("Order %s was paid while %s; it is now paid and delivered: %s, %s",
			order.MerchantTransactionID, previous, order.ProductName, money.FormatMoney(order.AmountMinor, order.Currency))
	}
	if err := s.alertAdmins(ctx, tx, order.MerchantTransactionID, text); err != nil {
		return applied{}, err
	}

	done := applied{outcome: store.OutcomeApplied, detail: "order paid", queued: true, orderEvents: []string{"paid"}}
	deferred, err := s.applyDeferredRefunds(ctx, tx, order)
	if err != nil {
		return applied{}, err
	}
	if len(deferred) > 0 {
		done.detail = fmt.Sprintf("order paid; %d deferred refund(s) applied", len(deferred))
		done.orderEvents = append(done.orderEvents, deferred...)
	}
	return done, nil
}

func (s *Service) markFailed(ctx context.Context, tx *store.Store, order *store.Order, ev event) (applied, error) {
	if !order.Status.IsPayable() && order.Status != store.StatusCreating {
		return applied{outcome: store.OutcomeIgnored, detail: "payment failure ignored for an order in state " + string(order.Status)}, nil
	}
	reason := ev.Reason
	err := tx.TransitionOrder(ctx, order, store.StatusFailed, store.OrderChange{
		TransactionID: ev.TransactionID,
		FailureReason: &reason,
	})
	if err != nil {
		return applied{}, err
	}
	payload := store.MessagePayload{Reason: reason}
	if _, err := tx.EnqueueMessage(ctx, order.ChatID, order.MerchantTransactionID, store.MessageFailed, payload); err != nil {
		return applied{}, err
	}
	return applied{outcome: store.OutcomeApplied, detail: "payment failed", queued: true, orderEvents: []string{"failed"}}, nil
}
