package store

import (
	"context"
	"fmt"
)

// GetOrderByPaymentURL returns the order whose checkout link is paymentURL,
// or ErrNotFound. An empty URL matches nothing. The URL carries the
// checkout token, so it does not appear in the error.
func (s *Store) GetOrderByPaymentURL(ctx context.Context, paymentURL string) (*Order, error) {
	if paymentURL == "" {
		return nil, fmt.Errorf("store: get order by payment URL: the URL is empty: %w", ErrNotFound)
	}

	var order Order
	err := s.with(ctx).
		Where("payment_url = ?", paymentURL).
		Order("id ASC").
		First(&order).Error
	if err != nil {
		return nil, fmt.Errorf("store: get order by payment URL: %w", translate(err))
	}
	return &order, nil
}
