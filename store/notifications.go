package store

import (
	"context"
	"fmt"
)

// InsertNotification stores a received notification. ErrDuplicate means a
// notification with the same EventKey is stored already.
func (s *Store) InsertNotification(ctx context.Context, n *Notification) error {
	if err := s.with(ctx).Create(n).Error; err != nil {
		return fmt.Errorf("store: insert notification for order %s: %w", n.MerchantTransactionID, translate(err))
	}
	return nil
}

// GetNotificationByEventKey returns the notification stored under the event
// key, or ErrNotFound.
func (s *Store) GetNotificationByEventKey(ctx context.Context, key string) (*Notification, error) {
	var n Notification
	if err := s.with(ctx).First(&n, "event_key = ?", key).Error; err != nil {
		return nil, fmt.Errorf("store: get notification %s: %w", key, translate(err))
	}
	return &n, nil
}

// ListOrderNotifications returns the notifications of one order, oldest
// first.
func (s *Store) ListOrderNotifications(ctx context.Context, merchantTransactionID string) ([]Notification, error) {
	var list []Notification
	err := s.with(ctx).
		Where("merchant_transaction_id = ?", merchantTransactionID).
		Order("id ASC").
		Find(&list).Error
	if err != nil {
		return nil, fmt.Errorf("store: list notifications of order %s: %w", merchantTransactionID, translate(err))
	}
	return list, nil
}

// ListNotificationsByOutcome returns the newest notifications with the
// outcome, newest first.
func (s *Store) ListNotificationsByOutcome(ctx context.Context, outcome string, limit int) ([]Notification, error) {
	var list []Notification
	err := s.with(ctx).
		Where("outcome = ?", outcome).
		Order("id DESC").
		Limit(limit).
		Find(&list).Error
	if err != nil {
		return nil, fmt.Errorf("store: list %s notifications: %w", outcome, translate(err))
	}
	return list, nil
}

// UpdateNotificationOutcome changes the outcome and detail of a stored
// notification, used when a deferred refund is finally applied.
func (s *Store) UpdateNotificationOutcome(ctx context.Context, id uint, outcome, detail string) error {
	err := s.with(ctx).Model(&Notification{}).
		Where("id = ?", id).
		Updates(map[string]any{"outcome": outcome, "detail": detail}).Error
	if err != nil {
		return fmt.Errorf("store: update notification %d: %w", id, translate(err))
	}
	return nil
}
