package store

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// paidStatuses are the states of orders the buyer has paid, refunded or not.
var paidStatuses = []OrderStatus{StatusPaid, StatusPartiallyRefunded, StatusRefunded}

// OrderSummary counts orders and their net revenue over one period.
type OrderSummary struct {
	// Statuses is the number of orders in each state.
	Statuses map[OrderStatus]int64
	// NetPaidMinor is, per currency, AmountMinor minus RefundedMinor summed
	// over the paid, partially refunded and refunded orders, in minor units.
	NetPaidMinor map[string]int64
}

// SummarizeOrders counts the orders created at or after createdSince by
// state and sums their net revenue by currency. A zero createdSince covers
// every order.
func (s *Store) SummarizeOrders(ctx context.Context, createdSince time.Time) (*OrderSummary, error) {
	var statusRows []struct {
		Status OrderStatus
		Count  int64
	}
	err := s.since(ctx, createdSince).Model(&Order{}).
		Select("status, COUNT(*) AS count").
		Group("status").
		Scan(&statusRows).Error
	if err != nil {
		return nil, fmt.Errorf("store: count orders created since %s: %w", createdSince, translate(err))
	}

	var revenueRows []struct {
		Currency string
		Total    int64
	}
	err = s.since(ctx, createdSince).Model(&Order{}).
		Select("currency, SUM(amount_minor - refunded_minor) AS total").
		Where("status IN ?", paidStatuses).
		Group("currency").
		Scan(&revenueRows).Error
	if err != nil {
		return nil, fmt.Errorf("store: sum revenue of orders created since %s: %w", createdSince, translate(err))
	}

	summary := &OrderSummary{
		Statuses:     make(map[OrderStatus]int64, len(statusRows)),
		NetPaidMinor: make(map[string]int64, len(revenueRows)),
	}
	for _, row := range statusRows {
		summary.Statuses[row.Status] = row.Count
	}
	for _, row := range revenueRows {
		summary.NetPaidMinor[row.Currency] = row.Total
	}
	return summary, nil
}

// since returns a query limited to rows created at or after the time, or
// an unlimited query for a zero time.
func (s *Store) since(ctx context.Context, createdSince time.Time) *gorm.DB {
	query := s.with(ctx)
	if !createdSince.IsZero() {
		query = query.Where("created_at >= ?", createdSince.UTC())
	}
	return query
}

// CountOrdersInStatus returns how many orders in the state were created
// before the given time.
func (s *Store) CountOrdersInStatus(ctx context.Context, status OrderStatus, createdBefore time.Time) (int64, error) {
	var count int64
	err := s.with(ctx).Model(&Order{}).
		Where("status = ? AND created_at < ?", status, createdBefore.UTC()).
		Count(&count).Error
	if err != nil {
		return 0, fmt.Errorf("store: count %s orders: %w", status, translate(err))
	}
	return count, nil
}

// CountNotificationsByOutcome returns how many notifications with the
// outcome were received at or after since. A zero since counts them all.
func (s *Store) CountNotificationsByOutcome(ctx context.Context, outcome string, since time.Time) (int64, error) {
	var count int64
	err := s.since(ctx, since).Model(&Notification{}).
		Where("outcome = ?", outcome).
		Count(&count).Error
	if err != nil {
		return 0, fmt.Errorf("store: count %s notifications: %w", outcome, translate(err))
	}
	return count, nil
}

// ListRefundsByStatus returns refunds in the state created before the given
// time, oldest first.
func (s *Store) ListRefundsByStatus(ctx context.Context, status string, createdBefore time.Time, limit int) ([]Refund, error) {
	var list []Refund
	err := s.with(ctx).
		Where("status = ? AND created_at < ?", status, createdBefore.Unix()).
		Order("created_at ASC, id ASC").
		Limit(limit).
		Find(&list).Error
	if err != nil {
		return nil, fmt.Errorf("store: list %s refunds: %w", status, translate(err))
	}
	return list, nil
}

// CountRefundsByStatus returns how many refunds in the state were created
// before the given time.
func (s *Store) CountRefundsByStatus(ctx context.Context, status string, createdBefore time.Time) (int64, error) {
	var count int64
	err := s.with(ctx).Model(&Refund{}).
		Where("status = ? AND created_at < ?", status, createdBefore.Unix()).
		Count(&count).Error
	if err != nil {
		return 0, fmt.Errorf("store: count %s refunds: %w", status, translate(err))
	}
	return count, nil
}
