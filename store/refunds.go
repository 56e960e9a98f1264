package store

import (
	"context"
	"fmt"
)

// Refund states.
const (
	RefundRequested = "requested"
	RefundSucceeded = "succeeded"
	RefundFailed    = "failed"
)

// Refund is one refund of an order, requested by an admin or reported by
// PingPong. MerchantRefundID is our id for it; RefundID is PingPong's.
type Refund struct {
	ID                    uint   `gorm:"primaryKey"`
	MerchantRefundID      string `gorm:"size:64;uniqueIndex"`
	RefundID              string `gorm:"index"`
	MerchantTransactionID string `gorm:"not null;index"`
	AmountMinor           int64  `gorm:"not null"`
	Currency              string `gorm:"size:3;not null"`
	Status                string `gorm:"size:16;not null"`
	RequestedBy           int64
	LastError             string
	CreatedAt             int64 `gorm:"autoCreateTime"`
	UpdatedAt             int64 `gorm:"autoUpdateTime"`
}

// CreateRefund inserts a refund request.
func (s *Store) CreateRefund(ctx context.Context, refund *Refund) error {
	if err := s.with(ctx).Create(refund).Error; err != nil {
		return fmt.Errorf("store: create refund %s: %w", refund.MerchantRefundID, translate(err))
	}
	return nil
}

// UpdateRefund saves a refund's status, PingPong id and last error.
func (s *Store) UpdateRefund(ctx context.Context, refund *Refund) error {
	err := s.with(ctx).Model(refund).
		Select("status", "refund_id", "last_error").
		Updates(refund).Error
	if err != nil {
		return fmt.Errorf("store: update refund %s: %w", refund.MerchantRefundID, translate(err))
	}
	return nil
}

// SettleRefundRequest saves PingPong's response to a refund request: the
// status, PingPong's refund id and the last error. It writes only while the
// stored refund is still "requested", because a REFUND notification that
// arrived before the response has already settled it and must not be undone.
func (s *Store) SettleRefundRequest(ctx context.Context, refund *Refund) error {
	err := s.with(ctx).Model(&Refund{}).
		Where("id = ? AND status = ?", refund.ID, RefundRequested).
		Updates(map[string]any{
			"status":     refund.Status,
			"refund_id":  refund.RefundID,
			"last_error": refund.LastError,
		}).Error
	if err != nil {
		return fmt.Errorf("store: save response to refund %s: %w", refund.MerchantRefundID, translate(err))
	}
	return nil
}

// ListOrderRefunds returns the refunds of one order, oldest first.
func (s *Store) ListOrderRefunds(ctx context.Context, merchantTransactionID string) ([]Refund, error) {
	var list []Refund
	err := s.with(ctx).
		Where("merchant_transaction_id = ?", merchantTransactionID).
		Order("id ASC").
		Find(&list).Error
	if err != nil {
		return nil, fmt.Errorf("store: list refunds of order %s: %w", merchantTransactionID, translate(err))
	}
	return list, nil
}

// GetRefund returns the refund with our merchantRefundId, or ErrNotFound.
func (s *Store) GetRefund(ctx context.Context, merchantRefundID string) (*Refund, error) {
	var refund Refund
	if err := s.with(ctx).First(&refund, "merchant_refund_id = ?", merchantRefundID).Error; err != nil {
		return nil, fmt.Errorf("store: get refund %s: %w", merchantRefundID, translate(err))
	}
	return &refund, nil
}
