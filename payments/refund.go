package payments

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"telegram-bot-webhook/payments/money"
	"telegram-bot-webhook/store"
)

// ErrNotRefundable is wrapped by RefundOrder errors about the order or the
// amount, which a retry cannot fix.
var ErrNotRefundable = errors.New("payments: order cannot be refunded")

// RefundOrder requests a PingPong refund of amountMinor of a paid order, or
// of all that is left when amountMinor is 0, and returns the stored refund
// request.
// The order itself changes only when PingPong's REFUND notification
// arrives, through the same path as every other notification.
func (s *Service) RefundOrder(ctx context.Context, orderID string, amountMinor int64, requestedBy int64) (*store.Refund, error) {
	order, err := s.opts.Store.GetOrder(ctx, orderID)
	if err != nil {
		return nil, fmt.Errorf("payments: refund order %s: %w", orderID, err)
	}
	if !order.Status.IsPaid() || order.Status == store.StatusRefunded {
		return nil, fmt.Errorf("%w: order %s is %s, only paid orders can be refunded", ErrNotRefundable, orderID, order.Status)
	}
	left := order.AmountMinor - order.RefundedMinor
	if amountMinor == 0 {
		amountMinor = left
	}
	if amountMinor < 0 || amountMinor > left {
		return nil, fmt.Errorf("%w: amount %s is more than the %s left to refund on order %s",
			ErrNotRefundable, money.FormatMoney(amountMinor, order.Currency), money.FormatMoney(left, order.Currency), orderID)
	}

	refund := &store.Refund{
		MerchantRefundID:      newRefundID(order.MerchantTransactionID),
		MerchantTransactionID: order.MerchantTransactionID,
		AmountMinor:           amountMinor,
		Currency:              order.Currency,
		Status:                store.RefundRequested,
		RequestedBy:           requestedBy,
	}
	if err := s.opts.Store.CreateRefund(ctx, refund); err != nil {
		return nil, fmt.Errorf("payments: refund order %s: %w", orderID, err)
	}

	result, err := s.opts.Gateway.Refund(ctx, RefundRequest{
		MerchantTransactionID: order.MerchantTransactionID,
		MerchantRefundID:      refund.MerchantRefundID,
		AmountMinor:           amountMinor,
		Currency:              order.Currency,
		NotificationURL:       s.NotificationURL(),
	})
	if err != nil {
		// Only PingPong's own rejection proves no refund was made. After a
		// timeout or a network error the refund may exist, so the request
		// stays "requested" and keeps its amount reserved until PingPong's
		// notification settles it.
		var apiErr *APIError
		if errors.As(err, &apiErr) {
			refund.Status = store.RefundFailed
		}
		refund.LastError = err.Error()
		if saveErr := s.opts.Store.SettleRefundRequest(ctx, refund); saveErr != nil {
			s.log.Error("Failed to save refund error",
				"order_id", orderID, "merchant_refund_id", refund.MerchantRefundID, "error", saveErr)
		}
		return refund, fmt.Errorf("payments: refund order %s: %w", orderID, err)
	}

	refund.RefundID = result.RefundID
	if result.Status == StatusFailed {
		refund.Status = store.RefundFailed
		refund.LastError = strings.TrimSpace(result.ResultCode + " " + result.ResultDescription)
	}
	if err := s.opts.Store.SettleRefundRequest(ctx, refund); err != nil {
		return refund, fmt.Errorf("payments: save refund of order %s: %w", orderID, err)
	}
	s.log.Info("Refund requested",
		"order_id", orderID,
		"merchant_refund_id", refund.MerchantRefundID,
		"refund_id", refund.RefundID,
		"status", result.Status,
		"amount", money.FormatMoney(amountMinor, order.Currency),
		"requested_by", requestedBy)
	return refund, nil
}

// newRefundID returns a merchantRefundId derived from the order id with a
// random suffix, at most 64 characters.
func newRefundID(orderID string) string {
	id := "RF-" + orderID + "-" + randomSuffix()
	if len(id) > 64 {
		id = id[:64]
	}
	return id
}
