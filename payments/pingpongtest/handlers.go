package pingpongtest

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/netip"
	"strconv"
	"time"

	"telegram-bot-webhook/payments"
	"telegram-bot-webhook/payments/money"
)

// text returns a bizContent value as a string: a JSON string as is, a
// number as its literal, anything else as "".
func text(biz map[string]any, key string) string {
	switch v := biz[key].(type) {
	case string:
		return v
	case json.Number:
		return v.String()
	default:
		return ""
	}
}

func missing(biz map[string]any, keys ...string) reply {
	for _, key := range keys {
		if text(biz, key) == "" {
			return fail(CodeInvalidParameter, key+" is required")
		}
	}
	return reply{}
}

func (s *Server) prePay(env payments.Envelope, biz map[string]any) reply {
	required := []string{"captureDelayHours", "amount", "currency", "merchantTransactionId",
		"shopperIP", "notificationUrl"}
	if rep := missing(biz, required...); rep.code != "" {
		return rep
	}

	orderID := text(biz, "merchantTransactionId")
	if len(orderID) > 64 {
		return fail(CodeInvalidParameter, "merchantTransactionId is longer than 64 characters")
	}
	if _, err := money.ParseAmount(text(biz, "amount"), text(biz, "currency")); err != nil {
		return fail(CodeInvalidParameter, "amount: "+err.Error())
	}
	if _, err := netip.ParseAddr(text(biz, "shopperIP")); err != nil {
		return fail(CodeInvalidParameter, "shopperIP is not an IP address")
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.byOrderID[orderID]
	if !ok {
		c = s.newCheckout(env["bizContent"], biz)
		s.checkouts = append(s.checkouts, c)
		s.byOrderID[orderID] = c
	}

	return reply{code: payments.CodeRequestSucceeded, description: "request succeeded", biz: map[string]string{
		"transactionId":         c.TransactionID,
		"merchantTransactionId": c.MerchantTransactionID,
		"amount":                c.Amount,
		"currency":              c.Currency,
		"token":                 c.Token,
		"paymentUrl":            c.PaymentURL,
		"innerJsUrl":            s.URL + "/checkout/" + c.Token + "/inner.js",
	}}
}

// newCheckout records a new order. The caller holds s.mu.
func (s *Server) newCheckout(bizContent string, biz map[string]any) *Checkout {
	s.sequence++
	token := randomHex(16)
	return &Checkout{
		MerchantTransactionID: text(biz, "merchantTransactionId"),
		TransactionID:         fmt.Sprintf("TEST%016d", s.sequence),
		Token:                 token,
		PaymentURL:            s.URL + "/checkout/" + token,
		Amount:                text(biz, "amount"),
		Currency:              text(biz, "currency"),
		ShopperIP:             text(biz, "shopperIP"),
		NotificationURL:       text(biz, "notificationUrl"),
		PayResultURL:          text(biz, "payResultUrl"),
		PayCancelURL:          text(biz, "payCancelUrl"),
		Language:              text(biz, "language"),
		Remark:                text(biz, "remark"),
		TimeExpire:            text(biz, "timeExpire"),
		Status:                payments.StatusInit,
		BizContent:            bizContent,
		Biz:                   biz,
		transactionTime:       time.Now(),
	}
}

func (s *Server) query(_ payments.Envelope, biz map[string]any) reply {
	orderID := text(biz, "merchantTransactionId")
	transactionID := text(biz, "transactionId")
	if orderID == "" && transactionID == "" {
		return fail(CodeInvalidParameter, "transactionId or merchantTransactionId is required")
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.find(orderID, transactionID)
	if c == nil {
		return fail(CodeTransactionNotFound, "transaction not found")
	}

	result := map[string]string{
		"status":                c.Status,
		"amount":                c.Amount,
		"currency":              c.Currency,
		"transactionId":         c.TransactionID,
		"merchantTransactionId": c.MerchantTransactionID,
		"transactionTime":       strconv.FormatInt(c.transactionTime.UnixMilli(), 10),
	}
	if c.ResultCode != "" {
		result["resultCode"] = c.ResultCode
	}
	if c.ResultDescription != "" {
		result["resultDescription"] = c.ResultDescription
	}
	return reply{code: payments.CodeRequestSucceeded, description: "request succeeded", biz: result}
}

// find returns the checkout with the order id or, when that is empty, the
// transaction id. The caller holds s.mu.
func (s *Server) find(orderID, transactionID string) *Checkout {
	if orderID != "" {
		return s.byOrderID[orderID]
	}
	for _, c := range s.checkouts {
		if c.TransactionID == transactionID {
			return c
		}
	}
	return nil
}

func (s *Server) refund(env payments.Envelope, biz map[string]any) reply {
	if rep := missing(biz, "merchantTransactionId", "merchantRefundId", "amount", "currency"); rep.code != "" {
		return rep
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.byOrderID[text(biz, "merchantTransactionId")]
	if c == nil {
		return fail(CodeTransactionNotFound, "transaction not found")
	}

	r := s.findRefund(text(biz, "merchantRefundId"))
	if r == nil {
		var rep reply
		r, rep = s.newRefund(c, env["bizContent"], biz)
		if r == nil {
			return rep
		}
	}

	return reply{code: payments.CodeRequestSucceeded, description: "request succeeded", biz: map[string]string{
		"refundId":              r.RefundID,
		"status":                r.Status,
		"merchantRefundId":      r.MerchantRefundID,
		"merchantTransactionId": r.MerchantTransactionID,
		"amount":                r.Amount,
		"currency":              r.Currency,
		"refundTime":            strconv.FormatInt(time.Now().UnixMilli(), 10),
	}}
}

// newRefund checks a refund of the checkout and records it. The caller holds
// s.mu.
func (s *Server) newRefund(c *Checkout, bizContent string, biz map[string]any) (*Refund, reply) {
	if c.Status != payments.StatusSuccess {
		return nil, fail(CodeRefundRejected, "transaction status "+c.Status+" cannot be refunded")
	}
	if text(biz, "currency") != c.Currency {
		return nil, fail(CodeRefundRejected, "refund currency differs from the transaction currency")
	}
	amount, err := money.ParseAmount(text(biz, "amount"), c.Currency)
	if err != nil {
		return nil, fail(CodeInvalidParameter, "amount: "+err.Error())
	}
	paid, err := money.ParseAmount(c.Amount, c.Currency)
	if err != nil || c.refundedMinor+amount > paid {
		return nil, fail(CodeRefundRejected, "refund amount exceeds the refundable amount")
	}

	status := s.refundStatus
	if status != payments.StatusFailed {
		c.refundedMinor += amount
	}
	s.sequence++
	r := &Refund{
		MerchantTransactionID: c.MerchantTransactionID,
		MerchantRefundID:      text(biz, "merchantRefundId"),
		RefundID:              fmt.Sprintf("TESTRF%014d", s.sequence),
		Amount:                text(biz, "amount"),
		Currency:              c.Currency,
		NotificationURL:       text(biz, "notificationUrl"),
		Remark:                text(biz, "remark"),
		Status:                status,
		BizContent:            bizContent,
		Biz:                   biz,
	}
	s.refunds = append(s.refunds, r)
	return r, reply{}
}

// findRefund returns the refund with our refund id. The caller holds s.mu.
func (s *Server) findRefund(merchantRefundID string) *Refund {
	for _, r := range s.refunds {
		if r.MerchantRefundID == merchantRefundID {
			return r
		}
	}
	return nil
}

// checkoutPage serves a stand-in for the hosted checkout page.
func (s *Server) checkoutPage(w http.ResponseWriter, r *http.Request) {
	token := r.PathValue("token")
	s.mu.Lock()
	var found *Checkout
	for _, c := range s.checkouts {
		if c.Token == token {
			found = c
			break
		}
	}
	var page string
	if found != nil {
		page = fmt.Sprintf("<!doctype html><title>Test checkout</title><p>Order %s: %s %s, %s</p>",
			html.EscapeString(found.MerchantTransactionID), html.EscapeString(found.Amount),
			html.EscapeString(found.Currency), html.EscapeString(found.Status))
	}
	s.mu.Unlock()

	if found == nil {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = fmt.Fprint(w, page)
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
