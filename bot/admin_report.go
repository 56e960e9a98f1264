package bot

import (
	"context"
	"time"

	"telegram-bot-webhook/store"
)

// deadLetterReport is the content of /deadletters: the records that need
// a person's attention. Each list has at most adminListLimit entries and
// the count beside it is the total.
type deadLetterReport struct {
	now           time.Time
	deadMessages  []store.OutboxMessage
	deadCount     int64
	rejected      []store.Notification
	rejectedCount int64
	// badSignatures and unknownOrders count notifications of the last
	// recentProblemWindow.
	badSignatures int64
	unknownOrders int64
	stuckOrders   []store.Order
	stuckCount    int64
	staleRefunds  []store.Refund
	staleCount    int64
}

func (b *Bot) sendDeadLetters(ctx context.Context, c chat) {
	b.log.Info("Admin requested dead letters", "admin_chat_id", c.id)
	report, err := b.collectDeadLetters(ctx)
	if err != nil {
		b.adminStoreFailed(ctx, c, "Failed to collect dead letters", err)
		return
	}
	b.reply(ctx, c.id, renderDeadLetters(report), nil)
}

// collectDeadLetters reads the report from the store.
func (b *Bot) collectDeadLetters(ctx context.Context) (*deadLetterReport, error) {
	r := &deadLetterReport{now: b.admin.now().UTC()}
	var err error
	if r.deadMessages, err = b.store.ListMessagesByStatus(ctx, store.OutboxDead, adminListLimit); err != nil {
		return nil, err
	}
	if r.deadCount, err = b.store.CountMessagesByStatus(ctx, store.OutboxDead); err != nil {
		return nil, err
	}

	if r.rejected, err = b.store.ListNotificationsByOutcome(ctx, store.OutcomeRejected, adminListLimit); err != nil {
		return nil, err
	}
	if r.rejectedCount, err = b.store.CountNotificationsByOutcome(ctx, store.OutcomeRejected, time.Time{}); err != nil {
		return nil, err
	}

	recent := r.now.Add(-recentProblemWindow)
	if r.badSignatures, err = b.store.CountNotificationsByOutcome(ctx, store.OutcomeBadSignature, recent); err != nil {
		return nil, err
	}
	if r.unknownOrders, err = b.store.CountNotificationsByOutcome(ctx, store.OutcomeUnknownOrder, recent); err != nil {
		return nil, err
	}

	stuckBefore := r.now.Add(-stuckCreatingAge)
	creating := []store.OrderStatus{store.StatusCreating}
	if r.stuckOrders, err = b.store.ListOrdersByStatus(ctx, creating, stuckBefore, 0, adminListLimit); err != nil {
		return nil, err
	}
	if r.stuckCount, err = b.store.CountOrdersInStatus(ctx, store.StatusCreating, stuckBefore); err != nil {
		return nil, err
	}

	staleBefore := r.now.Add(-staleRefundAge)
	if r.staleRefunds, err = b.store.ListRefundsByStatus(ctx, store.RefundRequested, staleBefore, adminListLimit); err != nil {
		return nil, err
	}
	if r.staleCount, err = b.store.CountRefundsByStatus(ctx, store.RefundRequested, staleBefore); err != nil {
		return nil, err
	}
	return r, nil
}
