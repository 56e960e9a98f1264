package payments

import (
	"context"
	"fmt"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"telegram-bot-webhook/payments/money"
)

// Field limits from PingPong's prePay and refund parameter tables.
const (
	maxIDLen        = 64
	maxURLLen       = 255
	maxRemarkLen    = 255
	maxGoodsTextLen = 500
	maxAmountLen    = 12
)

// PrePayRequest is a hosted checkout to create. The payment is captured
// immediately.
type PrePayRequest struct {
	// MerchantTransactionID is our order id, up to 64 characters. PingPong
	// returns the existing transaction when an id is sent again.
	MerchantTransactionID string
	AmountMinor           int64
	Currency              string
	// ShopperIP is the buyer's IPv4 or IPv6 address.
	ShopperIP string
	// NotificationURL receives the payment notifications. It must be an
	// absolute http(s) URL without a query string.
	NotificationURL string
	// PayResultURL and PayCancelURL are the pages the checkout returns the
	// buyer to. Both are optional.
	PayResultURL string
	PayCancelURL string
	// Language is the checkout page language, such as "en" or "zh".
	Language string
	// Remark is echoed back by PingPong, up to 255 characters.
	Remark string
	// TimeExpire closes the order at that time. The zero time leaves the
	// field out.
	TimeExpire time.Time
	// GoodsName, when set, is sent as one goods line with quantity 1, the
	// whole amount as unit price and virtualProduct "Y", because the shop
	// delivers by message. GoodsDescription is optional.
	GoodsName        string
	GoodsDescription string
}

// PrePayResult is a created checkout.
type PrePayResult struct {
	TransactionID         string
	MerchantTransactionID string
	// PaymentURL is the checkout page. It stays valid for 48 hours and can
	// be reopened to retry a failed payment.
	PaymentURL string
	Token      string
	// Amount is the decimal string PingPong returned.
	Amount   string
	Currency string
}

type prePayBiz struct {
	CaptureDelayHours     string      `json:"captureDelayHours"`
	Amount                string      `json:"amount"`
	Currency              string      `json:"currency"`
	MerchantTransactionID string      `json:"merchantTransactionId"`
	ShopperIP             string      `json:"shopperIP"`
	NotificationURL       string      `json:"notificationUrl"`
	PayResultURL          string      `json:"payResultUrl,omitempty"`
	PayCancelURL          string      `json:"payCancelUrl,omitempty"`
	Language              string      `json:"language,omitempty"`
	Remark                string      `json:"remark,omitempty"`
	TimeExpire            string      `json:"timeExpire,omitempty"`
	Goods                 []goodsLine `json:"goods,omitempty"`
}

type goodsLine struct {
	Name           string `json:"name"`
	Description    string `json:"description,omitempty"`
	UnitPrice      string `json:"unitPrice"`
	Number         string `json:"number"`
	VirtualProduct string `json:"virtualProduct"`
}

// PrePay creates a hosted checkout and returns its payment URL. The result
// must describe the requested order: a different merchantTransactionId,
// amount or currency, which PingPong returns when an id is reused for another
// order, is an error.
func (c *Client) PrePay(ctx context.Context, r PrePayRequest) (*PrePayResult, error) {
	biz, err := r.bizContent()
	if err != nil {
		return nil, err
	}

	fields, err := c.call(ctx, "prePay", PathPrePay, biz)
	if err != nil {
		return nil, err
	}

	res := &PrePayResult{
		TransactionID:         fields["transactionId"],
		MerchantTransactionID: firstNonEmpty(fields["merchantTransactionId"], r.MerchantTransactionID),
		PaymentURL:            fields["paymentUrl"],
		Token:                 fields["token"],
		Amount:                firstNonEmpty(fields["amount"], biz.Amount),
		Currency:              firstNonEmpty(fields["currency"], r.Currency),
	}
	if err := res.check(r); err != nil {
		return nil, err
	}
	return res, nil
}

func (res *PrePayResult) check(r PrePayRequest) error {
	if res.PaymentURL == "" {
		return fmt.Errorf("pingpong prePay: response: %w: bizContent has no paymentUrl", ErrMalformed)
	}
	if u, err := url.Parse(res.PaymentURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") {
		return fmt.Errorf("pingpong prePay: response: %w: paymentUrl %q is not an http(s) URL",
			ErrMalformed, res.PaymentURL)
	}

	if res.MerchantTransactionID != r.MerchantTransactionID {
		return fmt.Errorf("pingpong prePay: response is for order %q, the request was for %q",
			res.MerchantTransactionID, r.MerchantTransactionID)
	}

	amount, err := money.ParseAmount(res.Amount, res.Currency)
	if err != nil || amount != r.AmountMinor || res.Currency != r.Currency {
		return fmt.Errorf("pingpong prePay: order %q exists with amount %s %s, the request was for %s; "+
			"an order id must not be reused for another amount", r.MerchantTransactionID,
			res.Amount, res.Currency, money.FormatMoney(r.AmountMinor, r.Currency))
	}
	return nil
}

func (r PrePayRequest) bizContent() (*prePayBiz, error) {
	amount, err := validateAmount(r.AmountMinor, r.Currency)
	if err != nil {
		return nil, prePayInvalid("%v", err)
	}
	if err := validateID("merchant transaction id", r.MerchantTransactionID); err != nil {
		return nil, prePayInvalid("%v", err)
	}
	if _, err := netip.ParseAddr(r.ShopperIP); err != nil {
		return nil, prePayInvalid("shopper IP %q is not an IPv4 or IPv6 address", r.ShopperIP)
	}
	if err := validateNotificationURL(r.NotificationURL, true); err != nil {
		return nil, prePayInvalid("%v", err)
	}
	if err := validateURL("pay result URL", r.PayResultURL, false); err != nil {
		return nil, prePayInvalid("%v", err)
	}
	if err := validateURL("pay cancel URL", r.PayCancelURL, false); err != nil {
		return nil, prePayInvalid("%v", err)
	}
	if n := utf8.RuneCountInString(r.Remark); n > maxRemarkLen {
		return nil, prePayInvalid("remark has %d characters, the maximum is %d", n, maxRemarkLen)
	}

	biz := &prePayBiz{
		CaptureDelayHours:     "0",
		Amount:                amount,
		Currency:              r.Currency,
		MerchantTransactionID: r.MerchantTransactionID,
		ShopperIP:             r.ShopperIP,
		NotificationURL:       r.NotificationURL,
		PayResultURL:          r.PayResultURL,
		PayCancelURL:          r.PayCancelURL,
		Language:              r.Language,
		Remark:                r.Remark,
	}
	if !r.TimeExpire.IsZero() {
		biz.TimeExpire = strconv.FormatInt(r.TimeExpire.Unix(), 10)
	}
	if r.GoodsName != "" {
		if utf8.RuneCountInString(r.GoodsName) > maxGoodsTextLen ||
			utf8.RuneCountInString(r.GoodsDescription) > maxGoodsTextLen {
			return nil, prePayInvalid("goods name or description is longer than %d characters", maxGoodsTextLen)
		}
		biz.Goods = []goodsLine{{
			Name:           r.GoodsName,
			Description:    r.GoodsDescription,
			UnitPrice:      amount,
			Number:         "1",
			VirtualProduct: "Y",
		}}
	}
	return biz, nil
}

func prePayInvalid(format string, args ...any) error {
	return fmt.Errorf("pingpong prePay: %w: %s", ErrInvalidRequest, fmt.Sprintf(format, args...))
}

// QueryResult is the state of a transaction as PingPong reports it.
type QueryResult struct {
	// Status is one of the Status* constants.
	Status string
	// Amount is the decimal string PingPong returned.
	Amount                string
	Currency              string
	TransactionID         string
	MerchantTransactionID string
	// TransactionTime is zero when PingPong sent no unix-millisecond time.
	TransactionTime   time.Time
	ResultCode        string
	ResultDescription string
}

// Query requests from PingPong the state of the transaction with our order id.
func (c *Client) Query(ctx context.Context, merchantTransactionID string) (*QueryResult, error) {
	if err := validateID("merchant transaction id", merchantTransactionID); err != nil {
		return nil, fmt.Errorf("pingpong query: %w: %v", ErrInvalidRequest, err)
	}

	biz := map[string]string{"merchantTransactionId": merchantTransactionID}
	fields, err := c.call(ctx, "query", PathQuery, biz)
	if err != nil {
		return nil, err
	}

	if fields["status"] == "" {
		return nil, fmt.Errorf("pingpong query: response: %w: bizContent has no status", ErrMalformed)
	}
	got := fields["merchantTransactionId"]
	if got != "" && got != merchantTransactionID {
		return nil, fmt.Errorf("pingpong query: response is for order %q, the request was for %q",
			got, merchantTransactionID)
	}

	res := &QueryResult{
		Status:                fields["status"],
		Amount:                fields["amount"],
		Currency:              fields["currency"],
		TransactionID:         fields["transactionId"],
		MerchantTransactionID: merchantTransactionID,
		TransactionTime:       parseUnixMilli(fields["transactionTime"]),
	}
	res.ResultCode, res.ResultDescription = failureReason(fields)
	return res, nil
}

// RefundRequest is a refund of a paid transaction.
type RefundRequest struct {
	MerchantTransactionID string
	// MerchantRefundID is our refund id, up to 64 characters.
	MerchantRefundID string
	AmountMinor      int64
	Currency         string
	// NotificationURL, when set, receives the refund notification. It must
	// be an absolute http(s) URL without a query string.
	NotificationURL string
	Remark          string
}

// RefundResult is PingPong's response to a refund request.
type RefundResult struct {
	RefundID string
	// Status is StatusSuccess, StatusFailed or StatusProcessing.
	Status            string
	ResultCode        string
	ResultDescription string
	// RefundTime is zero when PingPong sent no unix-millisecond time.
	RefundTime time.Time
}

// Refund requests a refund of part or all of a paid transaction. A
// PROCESSING status means the result comes later in a refund notification.
func (c *Client) Refund(ctx context.Context, r RefundRequest) (*RefundResult, error) {
	biz, err := r.bizContent()
	if err != nil {
		return nil, fmt.Errorf("pingpong refund: %w: %v", ErrInvalidRequest, err)
	}

	fields, err := c.call(ctx, "refund", PathRefund, biz)
	if err != nil {
		return nil, err
	}

	if fields["status"] == "" {
		return nil, fmt.Errorf("pingpong refund: response: %w: bizContent has no status", ErrMalformed)
	}
	res := &RefundResult{
		RefundID:   fields["refundId"],
		Status:     fields["status"],
		RefundTime: parseUnixMilli(fields["refundTime"]),
	}
	res.ResultCode, res.ResultDescription = failureReason(fields)
	return res, nil
}

func (r RefundRequest) bizContent() (map[string]string, error) {
	amount, err := validateAmount(r.AmountMinor, r.Currency)
	if err != nil {
		return nil, err
	}
	if err := validateID("merchant transaction id", r.MerchantTransactionID); err != nil {
		return nil, err
	}
	if err := validateID("merchant refund id", r.MerchantRefundID); err != nil {
		return nil, err
	}
	if err := validateNotificationURL(r.NotificationURL, false); err != nil {
		return nil, err
	}
	if n := utf8.RuneCountInString(r.Remark); n > maxRemarkLen {
		return nil, fmt.Errorf("remark has %d characters, the maximum is %d", n, maxRemarkLen)
	}

	biz := map[string]string{
		"merchantTransactionId": r.MerchantTransactionID,
		"merchantRefundId":      r.MerchantRefundID,
		"amount":                amount,
		"currency":              r.Currency,
	}
	if r.NotificationURL != "" {
		biz["notificationUrl"] = r.NotificationURL
	}
	if r.Remark != "" {
		biz["remark"] = r.Remark
	}
	return biz, nil
}

// validateAmount checks a positive amount in a known currency and returns
// it formatted for PingPong.
func validateAmount(minor int64, currency string) (string, error) {
	if _, ok := money.CurrencyDigits(currency); !ok {
		return "", fmt.Errorf("currency %q is unknown, use an ISO 4217 code such as USD", currency)
	}
	if minor <= 0 {
		return "", fmt.Errorf("amount %d must be greater than zero", minor)
	}

	amount := money.FormatAmount(minor, currency)
	if len(amount) > maxAmountLen {
		return "", fmt.Errorf("amount %s %s has more than %d characters", amount, currency, maxAmountLen)
	}
	return amount, nil
}

// validateID checks a merchant transaction or refund id: 1 to 64 bytes
// without spaces or control characters.
func validateID(name, id string) error {
	if id == "" {
		return fmt.Errorf("%s is empty", name)
	}
	if len(id) > maxIDLen {
		return fmt.Errorf("%s %q has %d bytes, the maximum is %d", name, id, len(id), maxIDLen)
	}
	for _, r := range id {
		if r <= ' ' || r == 0x7F {
			return fmt.Errorf("%s %q contains a space or control character", name, id)
		}
	}
	return nil
}

func validateURL(name, raw string, required bool) error {
	if raw == "" {
		if required {
			return fmt.Errorf("%s is empty", name)
		}
		return nil
	}

	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%s %q is not an absolute http(s) URL", name, raw)
	}
	if len(raw) > maxURLLen {
		return fmt.Errorf("%s has %d characters, the maximum is %d", name, len(raw), maxURLLen)
	}
	return nil
}

// validateNotificationURL checks a notification URL. PingPong's documentation
// recommends one without a query string, and the client enforces that.
func validateNotificationURL(raw string, required bool) error {
	if err := validateURL("notification URL", raw, required); err != nil {
		return err
	}
	if strings.Contains(raw, "?") {
		return fmt.Errorf("notification URL %q must have no query string", raw)
	}
	return nil
}

// parseUnixMilli converts a unix-millisecond string to a time, and returns
// the zero time for anything else, because a response that succeeded should
// not fail on its timestamp.
func parseUnixMilli(s string) time.Time {
	ms, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || ms <= 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms)
}
