package store

import "fmt"

// OrderStatus is the state of an order. Every change of state goes through
// Transition, which checks it against orderTransitions.
type OrderStatus string

// Order states.
const (
	// StatusCreating is an order whose checkout is being created at PingPong.
	StatusCreating OrderStatus = "creating"
	// StatusPending is an order with a payment link, waiting for the buyer.
	StatusPending OrderStatus = "pending"
	// StatusFailed is an order whose last payment attempt failed; the buyer
	// may retry on the same link, so it can still become paid.
	StatusFailed OrderStatus = "failed"
	// StatusPaid is a paid order.
	StatusPaid OrderStatus = "paid"
	// StatusPartiallyRefunded is a paid order with refunds below the paid
	// amount.
	StatusPartiallyRefunded OrderStatus = "partially_refunded"
	// StatusRefunded is an order whose refunds reached the paid amount.
	StatusRefunded OrderStatus = "refunded"
	// StatusExpired is an order still unpaid when its checkout link expired.
	// A late payment still moves it to paid.
	StatusExpired OrderStatus = "expired"
	// StatusCheckoutFailed is an order whose checkout could not be created;
	// the buyer never got a link, but a late payment still moves it to paid.
	StatusCheckoutFailed OrderStatus = "checkout_failed"
)

// orderTransitions lists, for each state, the states it may move to.
var orderTransitions = map[OrderStatus][]OrderStatus{
	StatusCreating:          {StatusPending, StatusCheckoutFailed, StatusPaid, StatusFailed},
	StatusPending:           {StatusPaid, StatusFailed, StatusExpired},
	StatusFailed:            {StatusPaid, StatusFailed, StatusExpired},
	StatusExpired:           {StatusPaid},
	StatusPaid:              {StatusPartiallyRefunded, StatusRefunded},
	StatusPartiallyRefunded: {StatusPartiallyRefunded, StatusRefunded},
	StatusRefunded:          {},
	// A signed SUCCESS for an order given up during checkout creation is
	// real money, so it still pays the order.
	StatusCheckoutFailed: {StatusPaid},
}

// CanTransition reports whether an order may move from one state to another.
func CanTransition(from, to OrderStatus) bool {
	for _, allowed := range orderTransitions[from] {
		if allowed == to {
			return true
		}
	}
	return false
}

// IsPaid reports whether the buyer has paid the order, refunded or not.
func (s OrderStatus) IsPaid() bool {
	return s == StatusPaid || s == StatusPartiallyRefunded || s == StatusRefunded
}

// IsPayable reports whether the buyer can still pay on the order's link.
func (s OrderStatus) IsPayable() bool {
	return s == StatusPending || s == StatusFailed
}

// TransitionError is returned when a state change is not in the table.
type TransitionError struct {
	OrderID string
	From    OrderStatus
	To      OrderStatus
}

func (e *TransitionError) Error() string {
	return fmt.Sprintf("order %s: transition from %s to %s is not allowed", e.OrderID, e.From, e.To)
}
