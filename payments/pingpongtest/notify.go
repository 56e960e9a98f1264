package pingpongtest

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"testing"
	"time"

	"telegram-bot-webhook/payments"
)

// NotificationOption changes the bizContent of a built notification.
type NotificationOption func(*payments.NotificationFields)

// WithAmount replaces the amount, which defaults to the checkout's.
func WithAmount(amount string) NotificationOption {
	return func(f *payments.NotificationFields) { f.Amount = amount }
}

// WithCurrency replaces the currency, which defaults to the checkout's.
func WithCurrency(currency string) NotificationOption {
	return func(f *payments.NotificationFields) { f.Currency = currency }
}

// WithTransactionID replaces PingPong's transaction id.
func WithTransactionID(id string) NotificationOption {
	return func(f *payments.NotificationFields) { f.TransactionID = id }
}

// WithRequestID replaces the generated requestId.
func WithRequestID(id string) NotificationOption {
	return func(f *payments.NotificationFields) { f.RequestID = id }
}

// WithResult sets the failure code and description.
func WithResult(code, description string) NotificationOption {
	return func(f *payments.NotificationFields) {
		f.ResultCode = code
		f.ResultDescription = description
	}
}

// WithField adds a further bizContent field, such as card details.
func WithField(key, value string) NotificationOption {
	return func(f *payments.NotificationFields) {
		if f.Extra == nil {
			f.Extra = map[string]string{}
		}
		f.Extra[key] = value
	}
}

// PaymentNotification returns a signed RECHARGE notification body for a
// recorded checkout, with the checkout's amount, currency, transaction id and
// remark and a new requestId. It also sets the status a query returns, as
// PingPong's own state would change. Call it from the test goroutine: an
// unknown order fails the test at once.
func (s *Server) PaymentNotification(merchantTransactionID, status string, opts ...NotificationOption) []byte {
	s.t.Helper()
	s.mu.Lock()
	c, ok := s.byOrderID[merchantTransactionID]
	if !ok {
		s.mu.Unlock()
		s.t.Fatalf("pingpongtest: no checkout for order %q", merchantTransactionID)
		return nil
	}
	c.Status = status
	c.transactionTime = time.Now()
	fields := payments.NotificationFields{
		NotifyType:            payments.NotifyRecharge,
		Status:                status,
		Amount:                c.Amount,
		Currency:              c.Currency,
		MerchantTransactionID: c.MerchantTransactionID,
		TransactionID:         c.TransactionID,
		TransactionTime:       strconv.FormatInt(c.transactionTime.UnixMilli(), 10),
		RequestID:             s.nextRequestID(),
		Remark:                c.Remark,
	}
	s.mu.Unlock()

	for _, opt := range opts {
		opt(&fields)
	}
	if fields.ResultCode != "" || fields.ResultDescription != "" {
		s.mu.Lock()
		c.ResultCode, c.ResultDescription = fields.ResultCode, fields.ResultDescription
		s.mu.Unlock()
	}
	return s.buildNotification(fields)
}

// RefundNotification returns a signed REFUND notification body for a
// recorded checkout. refundID is PingPong's refund id; when it matches a
// recorded refund, the notification carries that refund's merchantRefundId
// and the refund takes the status. A refund made in PingPong's back office
// has no merchantRefundId. An unknown order fails the test at once.
func (s *Server) RefundNotification(merchantTransactionID, refundID, amount, status string) []byte {
	s.t.Helper()
	s.mu.Lock()
	c, ok := s.byOrderID[merchantTransactionID]
	if !ok {
		s.mu.Unlock()
		s.t.Fatalf("pingpongtest: no checkout for order %q", merchantTransactionID)
		return nil
	}
	now := strconv.FormatInt(time.Now().UnixMilli(), 10)
	fields := payments.NotificationFields{
		NotifyType:            payments.NotifyRefund,
		Status:                status,
		Amount:                amount,
		Currency:              c.Currency,
		MerchantTransactionID: c.MerchantTransactionID,
		TransactionID:         c.TransactionID,
		RefundID:              refundID,
		RefundTime:            now,
		RequestID:             s.nextRequestID(),
		Extra:                 map[string]string{"refundEndingTime": now},
	}
	for _, r := range s.refunds {
		if r.RefundID == refundID && r.MerchantTransactionID == merchantTransactionID {
			fields.MerchantRefundID = r.MerchantRefundID
			r.Status = status
		}
	}
	s.mu.Unlock()

	return s.buildNotification(fields)
}

// nextRequestID returns a new requestId. The caller holds s.mu.
func (s *Server) nextRequestID() string {
	s.sequence++
	return fmt.Sprintf("TESTREQ%013d", s.sequence)
}

func (s *Server) buildNotification(fields payments.NotificationFields) []byte {
	s.t.Helper()
	body, err := payments.BuildNotification(s.cfg.AccID, s.cfg.ClientID, s.cfg.SignType, s.cfg.Salt, fields)
	if err != nil {
		s.t.Fatalf("pingpongtest: build notification: %v", err)
	}
	return body
}

// Post sends a notification body to url the way PingPong does, as a JSON
// POST, and returns the response with its body read and closed.
func (s *Server) Post(t testing.TB, url string, body []byte) (*http.Response, string) {
	t.Helper()
	resp, err := http.Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatalf("pingpongtest: post notification to %s: %v", url, err)
	}
	defer resp.Body.Close()

	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("pingpongtest: read response from %s: %v", url, err)
	}
	return resp, string(data)
}
