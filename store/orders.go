package store

import (
	"context"
	"fmt"
	"time"
)

// CreateOrder inserts a new order. ErrDuplicate means the
// MerchantTransactionID is taken.
func (s *Store) CreateOrder(ctx context.Context, order *Order) error {
	if err := s.with(ctx).Create(order).Error; err != nil {
		return fmt.Errorf("store: create order %s: %w", order.MerchantTransactionID, translate(err))
	}
	return nil
}

// GetOrder returns the order with the merchantTransactionId, or ErrNotFound.
func (s *Store) GetOrder(ctx context.Context, merchantTransactionID string) (*Order, error) {
	var order Order
	err := s.with(ctx).First(&order, "merchant_transaction_id = ?", merchantTransactionID).Error
	if err != nil {
		return nil, fmt.Errorf("store: get order %s: %w", merchantTransactionID, translate(err))
	}
	return &order, nil
}

// ListUserOrders returns the user's most recent orders, newest first.
func (s *Store) ListUserOrders(ctx context.Context, userID int64, limit int) ([]Order, error) {
	var orders []Order
	err := s.with(ctx).
		Where("user_id = ?", userID).
		Order("created_at DESC, id DESC").
		Limit(limit).
		Find(&orders).Error
	if err != nil {
		return nil, fmt.Errorf("store: list orders of user %d: %w", userID, translate(err))
	}
	return orders, nil
}

// ListOrdersByStatus returns orders in one of the states created before the
// given time with an id above afterID, in id order, so callers can page
// through all of them.
func (s *Store) ListOrdersByStatus(ctx context.Context, statuses []OrderStatus, createdBefore time.Time, afterID uint, limit int) ([]Order, error) {
	var orders []Order
	err := s.with(ctx).
		Where("status IN ? AND created_at < ? AND id > ?", statuses, createdBefore, afterID).
		Order("id ASC").
		Limit(limit).
		Find(&orders).Error
	if err != nil {
		return nil, fmt.Errorf("store: list orders by status: %w", translate(err))
	}
	return orders, nil
}

// OrderChange is the set of columns a transition writes besides the status.
// Zero fields are left as they are.
type OrderChange struct {
	TransactionID string
	PaymentURL    string
	FailureReason *string
	RefundedMinor *int64
	PaidAt        *time.Time
	RefundedAt    *time.Time
}

// TransitionOrder moves the order to a new state if the state table allows
// it and the stored state is still order.Status, then updates order in
// memory. A move the table forbids returns *TransitionError and writes
// nothing. A row changed since it was read returns an error too, so a caller
// inside Transaction rolls back and no update is lost.
func (s *Store) TransitionOrder(ctx context.Context, order *Order, to OrderStatus, change OrderChange) error {
	if order.Status != to && !CanTransition(order.Status, to) {
		return &TransitionError{OrderID: order.MerchantTransactionID, From: order.Status, To: to}
	}

	updates := map[string]any{"status": to, "updated_at": time.Now().UTC()}
	if change.TransactionID != "" {
		updates["transaction_id"] = change.TransactionID
	}
	if change.PaymentURL != "" {
		updates["payment_url"] = change.PaymentURL
	}
	if change.FailureReason != nil {
		updates["failure_reason"] = *change.FailureReason
	}
	if change.RefundedMinor != nil {
		updates["refunded_minor"] = *change.RefundedMinor
	}
	if change.PaidAt != nil {
		updates["paid_at"] = *change.PaidAt
	}
	if change.RefundedAt != nil {
		updates["refunded_at"] = *change.RefundedAt
	}

	result := s.with(ctx).Model(&Order{}).
		Where("id = ? AND status = ?", order.ID, order.Status).
		Updates(updates)
	if result.Error != nil {
		return fmt.Errorf("store: update order %s to %s: %w", order.MerchantTransactionID, to, translate(result.Error))
	}
	if result.RowsAffected != 1 {
		return fmt.Errorf("store: update order %s to %s: order changed concurrently", order.MerchantTransactionID, to)
	}

	order.Status = to
	if change.TransactionID != "" {
		order.TransactionID = change.TransactionID
	}
	if change.PaymentURL != "" {
		order.PaymentURL = change.PaymentURL
	}
	if change.FailureReason != nil {
		order.FailureReason = *change.FailureReason
	}
	if change.RefundedMinor != nil {
		order.RefundedMinor = *change.RefundedMinor
	}
	if change.PaidAt != nil {
		order.PaidAt = change.PaidAt
	}
	if change.RefundedAt != nil {
		order.RefundedAt = change.RefundedAt
	}
	return nil
}

// CountOrdersByStatus returns how many orders are in each state.
func (s *Store) CountOrdersByStatus(ctx context.Context) (map[OrderStatus]int64, error) {
	var rows []struct {
		Status OrderStatus
		Count  int64
	}
	err := s.with(ctx).Model(&Order{}).
		Select("status, COUNT(*) AS count").
		Group("status").
		Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("store: count orders by status: %w", translate(err))
	}
	counts := make(map[OrderStatus]int64, len(rows))
	for _, row := range rows {
		counts[row.Status] = row.Count
	}
	return counts, nil
}
