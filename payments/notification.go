package payments

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Notification types in the notifyType field of bizContent.
const (
	NotifyRecharge = "RECHARGE"
	NotifyRefund   = "REFUND"
)

// Transaction and refund statuses. For a payment captured immediately,
// SUCCESS and CLOSED are final. FAILED is not: the buyer may retry on the same
// checkout page, and a later SUCCESS can follow.
const (
	StatusSuccess     = "SUCCESS"
	StatusFailed      = "FAILED"
	StatusProcessing  = "PROCESSING"
	StatusInit        = "INIT"
	StatusClosed      = "CLOSED"
	StatusCancel      = "CANCEL"
	StatusAuthSuccess = "AUTH_SUCCESS"
)

// Notification is a verified PingPong payment or refund notification. The
// string fields come from bizContent as sent, so Amount is a decimal string
// for money.ParseAmount.
type Notification struct {
	AccID    string
	ClientID string
	SignType string

	NotifyType            string
	Status                string
	Amount                string
	Currency              string
	MerchantTransactionID string
	TransactionID         string
	// TransactionTime is unix milliseconds, as sent.
	TransactionTime string
	RequestID       string
	Remark          string

	MerchantRefundID string
	RefundID         string
	RefundTime       string

	// ResultCode and ResultDescription explain a failure, when PingPong
	// includes a reason.
	ResultCode        string
	ResultDescription string

	// Envelope is the whole verified envelope, bizContent included.
	Envelope Envelope
}

// ParseNotification decodes a notification body and verifies its signature
// before it reads bizContent, so nothing from an unverified body is used.
// Errors wrap ErrMalformed for a body that is not a notification and
// ErrBadSignature for a failed verification. The caller should still compare
// AccID with its own store id.
//
// bizContent values may be JSON strings or numbers. A number is kept as its
// literal text, so an amount sent as 100.00 reads "100.00". notifyType,
// status and merchantTransactionId are required.
func ParseNotification(body []byte, salt string) (*Notification, error) {
	env, err := ParseEnvelope(body)
	if err != nil {
		return nil, err
	}

	if err := env.Verify(salt); err != nil {
		return nil, err
	}
	return parseBizContent(env)
}

// parseBizContent reads the notification fields from the envelope's
// bizContent. It does not verify the signature, so only ParseNotification,
// after Verify, may pass its result on as trusted.
func parseBizContent(env Envelope) (*Notification, error) {
	biz, err := decodeBizFields(env["bizContent"])
	if err != nil {
		return nil, err
	}

	for _, key := range []string{"notifyType", "status", "merchantTransactionId"} {
		if biz[key] == "" {
			return nil, fmt.Errorf("payments: parse notification: %w: bizContent field %q is missing",
				ErrMalformed, key)
		}
	}

	n := &Notification{
		AccID:                 env["accId"],
		ClientID:              env["clientId"],
		SignType:              env["signType"],
		NotifyType:            biz["notifyType"],
		Status:                biz["status"],
		Amount:                biz["amount"],
		Currency:              biz["currency"],
		MerchantTransactionID: biz["merchantTransactionId"],
		TransactionID:         biz["transactionId"],
		TransactionTime:       biz["transactionTime"],
		RequestID:             biz["requestId"],
		Remark:                biz["remark"],
		MerchantRefundID:      biz["merchantRefundId"],
		RefundID:              biz["refundId"],
		RefundTime:            biz["refundTime"],
		Envelope:              env,
	}
	n.ResultCode, n.ResultDescription = failureReason(biz)
	return n, nil
}

// failureReason returns the failure code and text of a notification or
// inquiry result. PingPong documents card and 3DS details for notifications
// but names the failure fields differently across calls and versions, so the
// first non-empty of resultCode or errorCode, and of resultDescription,
// errorMsg or failureReason, is taken.
func failureReason(biz map[string]string) (code, description string) {
	code = firstNonEmpty(biz["resultCode"], biz["errorCode"])
	description = firstNonEmpty(biz["resultDescription"], biz["errorMsg"], biz["failureReason"])
	return code, description
}

// EventKey identifies the event the notification reports, for storing each
// event once:
//
//   - a refund: "refund:" + refundId + ":" + status
//   - anything else: "pay:" + transactionId + ":" + notifyType + ":" + status
//
// PingPong resends a notification until it is acknowledged, and a resent
// notification carries the same ids and status, so it gets the same key. Two
// FAILED notifications for two failed attempts on one checkout also share a
// key, which is harmless because FAILED is not final.
//
// Without the id the key needs, the key falls back to "req:" + requestId,
// then to "sign:" + the envelope's sign. The sign is a digest of the whole
// signed body, so the same body always gets the same key.
func (n *Notification) EventKey() string {
	if n.NotifyType == NotifyRefund {
		if n.RefundID != "" {
			return refundEventKey(n.RefundID, n.Status)
		}
	} else if n.TransactionID != "" {
		return paymentEventKey(n.TransactionID, n.NotifyType, n.Status)
	}

	if n.RequestID != "" {
		return "req:" + n.RequestID
	}
	return "sign:" + n.Envelope["sign"]
}

// paymentEventKey is the EventKey of a payment event, shared by
// notifications and inquiry results so both name one event alike.
func paymentEventKey(transactionID, notifyType, status string) string {
	return "pay:" + transactionID + ":" + notifyType + ":" + status
}

func refundEventKey(refundID, status string) string {
	return "refund:" + refundID + ":" + status
}

// NotificationFields are the bizContent fields of a notification built by
// BuildNotification. Empty fields are left out.
type NotificationFields struct {
	NotifyType            string
	Status                string
	Amount                string
	Currency              string
	MerchantTransactionID string
	TransactionID         string
	TransactionTime       string
	RequestID             string
	Remark                string
	MerchantRefundID      string
	RefundID              string
	RefundTime            string
	ResultCode            string
	ResultDescription     string
	// Extra holds further bizContent fields, such as card details. A key
	// that one of the fields above also sets is an error.
	Extra map[string]string
}

// BuildNotification returns a signed notification body in the form PingPong
// POSTs it: an envelope whose bizContent is the JSON text of the fields.
// NotifyType, Status and MerchantTransactionID are required.
func BuildNotification(accID, clientID, signType, salt string, f NotificationFields) ([]byte, error) {
	if f.NotifyType == "" || f.Status == "" || f.MerchantTransactionID == "" {
		return nil, fmt.Errorf("payments: build notification: notify type %q, status %q and "+
			"merchant transaction id %q must all be set", f.NotifyType, f.Status, f.MerchantTransactionID)
	}

	biz := map[string]string{}
	for key, value := range f.Extra {
		biz[key] = value
	}

	named := map[string]string{
		"notifyType":            f.NotifyType,
		"status":                f.Status,
		"amount":                f.Amount,
		"currency":              f.Currency,
		"merchantTransactionId": f.MerchantTransactionID,
		"transactionId":         f.TransactionID,
		"transactionTime":       f.TransactionTime,
		"requestId":             f.RequestID,
		"remark":                f.Remark,
		"merchantRefundId":      f.MerchantRefundID,
		"refundId":              f.RefundID,
		"refundTime":            f.RefundTime,
		"resultCode":            f.ResultCode,
		"resultDescription":     f.ResultDescription,
	}
	for key, value := range named {
		if _, ok := f.Extra[key]; ok {
			return nil, fmt.Errorf("payments: build notification: extra field %q duplicates a named field", key)
		}
		if value != "" {
			biz[key] = value
		}
	}

	env, err := BuildEnvelope(accID, clientID, signType, salt, biz)
	if err != nil {
		return nil, fmt.Errorf("payments: build notification: %w", err)
	}
	return env.JSON()
}

// decodeBizFields decodes bizContent into its scalar fields. Strings are
// unescaped, numbers and booleans are kept as their literal text, and null,
// object and array values are left out. bizContent that is not a JSON object
// returns an error wrapping ErrMalformed.
func decodeBizFields(bizContent string) (map[string]string, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal([]byte(bizContent), &raw); err != nil || raw == nil {
		return nil, fmt.Errorf("payments: decode bizContent: %w: not a JSON object", ErrMalformed)
	}

	fields := make(map[string]string, len(raw))
	for key, value := range raw {
		switch value[0] {
		case '"':
			var s string
			if err := json.Unmarshal(value, &s); err != nil {
				return nil, fmt.Errorf("payments: decode bizContent: %w: field %q: %v", ErrMalformed, key, err)
			}
			fields[key] = s
		case '{', '[', 'n':
			continue
		default:
			fields[key] = string(value)
		}
	}
	return fields, nil
}

func firstNonEmpty(values ...string) string {
	for _, v := range values {
		if strings.TrimSpace(v) != "" {
			return v
		}
	}
	return ""
}
