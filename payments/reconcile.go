package payments

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"telegram-bot-webhook/store"
)

// ReconcilerOptions configures a Reconciler.
type ReconcilerOptions struct {
	// PendingAge is the minimum age of an unpaid order before PingPong is queried
	// about it.
	PendingAge time.Duration
	// Interval is the time between passes.
	Interval time.Duration
	// BatchSize bounds the orders asked about in one pass.
	BatchSize int
	// MaxBackoff bounds the wait before an order whose inquiry failed is
	// asked about again.
	MaxBackoff time.Duration
	// ExpiryGrace is how long after its link expired an order is expired
	// even though PingPong could not be asked.
	ExpiryGrace time.Duration
	// MinCreatingAge is how long an order may stay in "creating" before the
	// reconciler looks at it; set it above the PingPong call timeout so an
	// response still on its way is not taken for a lost one.
	MinCreatingAge time.Duration
	// OnFailure is called once per failed inquiry, for metrics.
	OnFailure func()
}

// Reconciler finds orders that got no final notification and queries PingPong
// about them, applying the result through the same path as a notification,
// and expires orders whose checkout link ran out.
type Reconciler struct {
	svc  *Service
	opts ReconcilerOptions
	log  *slog.Logger

	mu      sync.Mutex
	retries map[string]retryState
}

type retryState struct {
	inquiries int
	next      time.Time
}

// unpaidStatuses are the states the reconciler looks at.
var unpaidStatuses = []store.OrderStatus{store.StatusCreating, store.StatusPending, store.StatusFailed}

// NewReconciler returns a Reconciler for the service.
func (s *Service) NewReconciler(opts ReconcilerOptions) *Reconciler {
	if opts.PendingAge <= 0 {
		opts.PendingAge = 10 * time.Minute
	}
	if opts.Interval <= 0 {
		opts.Interval = time.Minute
	}
	if opts.BatchSize <= 0 {
		opts.BatchSize = 100
	}
	if opts.MaxBackoff <= 0 {
		opts.MaxBackoff = time.Hour
	}
	if opts.ExpiryGrace <= 0 {
		opts.ExpiryGrace = 24 * time.Hour
	}
	if opts.MinCreatingAge < opts.PendingAge {
		opts.MinCreatingAge = opts.PendingAge
	}
	if opts.OnFailure == nil {
		opts.OnFailure = func() {}
	}
	return &Reconciler{svc: s, opts: opts, log: s.log, retries: make(map[string]retryState)}
}

// Run runs a pass every Interval until ctx is cancelled. It returns nil
// then; a failed pass is logged and never stops the loop.
func (r *Reconciler) Run(ctx context.Context) error {
	ticker := time.NewTicker(r.opts.Interval)
	defer ticker.Stop()
	r.log.Info("Reconciler started", "pending_age", r.opts.PendingAge, "interval", r.opts.Interval)
	for {
		r.RunOnce(ctx)
		select {
		case <-ctx.Done():
			r.log.Info("Reconciler stopped")
			return nil
		case <-ticker.C:
		}
	}
}

// reconcilePage is how many unpaid orders one database query reads.
const reconcilePage = 200

// RunOnce queries PingPong about unpaid orders older than PendingAge whose
// wait is over, at most BatchSize of them, and returns how many inquiries
// failed. It pages through all unpaid orders, so old abandoned checkouts
// cannot keep newer orders from being looked at.
func (r *Reconciler) RunOnce(ctx context.Context) int {
	now := r.svc.now()
	cutoff := now.Add(-r.opts.PendingAge)
	failures, inquiries := 0, 0
	seen := make(map[string]bool)
	var afterID uint
	for inquiries < r.opts.BatchSize && ctx.Err() == nil {
		orders, err := r.svc.opts.Store.ListOrdersByStatus(ctx, unpaidStatuses, cutoff, afterID, reconcilePage)
		if err != nil {
			if ctx.Err() == nil {
				r.log.Error("Failed to list unpaid orders", "error", err)
			}
			return failures
		}
		if len(orders) == 0 {
			r.forgetExcept(seen)
			break
		}
		for i := range orders {
			order := &orders[i]
			afterID = order.ID
			seen[order.MerchantTransactionID] = true
			if !r.ready(order, now) {
				continue
			}
			inquiries++
			if !r.inquire(ctx, order, now) {
				failures++
			}
			if inquiries >= r.opts.BatchSize || ctx.Err() != nil {
				break
			}
		}
	}
	return failures
}

// ready reports whether an order is due for an inquiry. An order still
// being created waits MinCreatingAge, so a slow prePay is not mistaken for
// a lost one.
func (r *Reconciler) ready(order *store.Order, now time.Time) bool {
	if order.Status == store.StatusCreating && now.Sub(order.CreatedAt) < r.opts.MinCreatingAge {
		return false
	}
	return r.due(order.MerchantTransactionID, now)
}

// inquire reconciles one order and schedules its next inquiry; it returns
// false when the inquiry failed.
func (r *Reconciler) inquire(ctx context.Context, order *store.Order, now time.Time) bool {
	err := r.reconcile(ctx, order, now)
	wait := r.backoff(order.MerchantTransactionID, now)
	if err != nil {
		r.opts.OnFailure()
		r.log.Warn("Order inquiry failed",
			"order_id", order.MerchantTransactionID, "retry_in", wait, "error", err)
		return false
	}
	return true
}

// reconcile queries PingPong about one order and applies the result.
func (r *Reconciler) reconcile(ctx context.Context, order *store.Order, now time.Time) error {
	answer, err := r.svc.opts.Gateway.Query(ctx, order.MerchantTransactionID)
	if err != nil {
		var apiErr *APIError
		switch {
		case order.Status == store.StatusCreating && errors.As(err, &apiErr):
			// The prePay response was lost and PingPong does not know the order,
			// so no buyer ever saw a link for it.
			r.svc.failCheckout(ctx, order, err)
			return nil
		case now.After(order.ExpiresAt.Add(r.opts.ExpiryGrace)):
			return r.expire(ctx, order, now)
		}
		return err
	}

	switch answer.Status {
	case StatusSuccess, StatusFailed:
		result, err := r.svc.applyEvent(ctx, inquiryEvent(order, answer))
		if err != nil {
			return err
		}
		r.log.Info("Order reconciled",
			"order_id", order.MerchantTransactionID,
			"transaction_id", answer.TransactionID,
			"status", answer.Status,
			"outcome", result.Outcome,
			"detail", result.Detail)
		return nil
	}
	if now.After(order.ExpiresAt) {
		return r.expire(ctx, order, now)
	}
	return nil
}

func inquiryEvent(order *store.Order, answer *QueryResult) event {
	transactionID := answer.TransactionID
	if transactionID == "" {
		transactionID = order.TransactionID
	}
	key := paymentEventKey(transactionID, NotifyRecharge, answer.Status)
	if transactionID == "" {
		// Without PingPong's id the key must still name this order alone,
		// or the first such response would hide every other order's payment.
		key = "inquiry:" + order.MerchantTransactionID + ":" + NotifyRecharge + ":" + answer.Status
	}
	return event{
		Key:                   key,
		Source:                SourceInquiry,
		NotifyType:            NotifyRecharge,
		Status:                answer.Status,
		MerchantTransactionID: order.MerchantTransactionID,
		TransactionID:         transactionID,
		Amount:                answer.Amount,
		Currency:              answer.Currency,
		Reason:                answer.ResultDescription,
	}
}

// expire moves an unpaid order whose link ran out to expired and notifies the
// buyer.
func (r *Reconciler) expire(ctx context.Context, order *store.Order, now time.Time) error {
	expired := false
	err := r.svc.opts.Store.Transaction(ctx, func(tx *store.Store) error {
		current, err := tx.GetOrder(ctx, order.MerchantTransactionID)
		if err != nil {
			return err
		}
		if !current.Status.IsPayable() || now.Before(current.ExpiresAt) {
			return nil
		}
		if err := tx.TransitionOrder(ctx, current, store.StatusExpired, store.OrderChange{}); err != nil {
			return err
		}
		_, err = tx.EnqueueMessage(ctx, current.ChatID, current.MerchantTransactionID, store.MessageExpired, store.MessagePayload{})
		expired = err == nil
		return err
	})
	if err != nil {
		return fmt.Errorf("payments: expire order %s: %w", order.MerchantTransactionID, err)
	}
	if expired {
		r.svc.opts.Wake()
		r.svc.opts.Metrics.OrderEvent("expired")
		r.log.Info("Order expired", "order_id", order.MerchantTransactionID, "expired_at", order.ExpiresAt)
	}
	return nil
}

func (r *Reconciler) due(orderID string, now time.Time) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	state, ok := r.retries[orderID]
	return !ok || !now.Before(state.next)
}

// backoff records an inquiry that left the order unpaid, or failed, and
// returns the wait before the next one: Interval doubled per inquiry,
// capped at MaxBackoff.
func (r *Reconciler) backoff(orderID string, now time.Time) time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	state := r.retries[orderID]
	state.inquiries++
	wait := r.opts.Interval
	for i := 1; i < state.inquiries && wait < r.opts.MaxBackoff; i++ {
		wait *= 2
	}
	wait = min(wait, r.opts.MaxBackoff)
	state.next = now.Add(wait)
	r.retries[orderID] = state
	return wait
}

// forgetExcept drops the wait of every order not in keep, which are the
// orders that are no longer unpaid.
func (r *Reconciler) forgetExcept(keep map[string]bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for orderID := range r.retries {
		if !keep[orderID] {
			delete(r.retries, orderID)
		}
	}
}
