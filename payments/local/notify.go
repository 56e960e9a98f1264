package local

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"telegram-bot-webhook/payments"
)

// defaultRefundRetryDelays are the waits before the second and third post
// of a refund notification the app did not acknowledge. PingPong retries
// for hours; a local run needs only to ride out a short hiccup.
var defaultRefundRetryDelays = []time.Duration{5 * time.Second, 30 * time.Second}

// maxResponseBytes bounds how much of the app's response body is read.
const maxResponseBytes = 4 << 10

// delivery is the app's response to one notification post.
type delivery struct {
	// status is the HTTP status line, such as "200 OK", or "" when no
	// response came.
	status string
	code   int
	err    error
	// accepted follows PingPong's rule: a 2xx status with a body other
	// than FAIL.
	accepted bool
}

// paymentNotification returns the signed RECHARGE notification for the
// checkout's current status. The caller holds p.mu.
func (p *Provider) paymentNotification(c *checkout) ([]byte, error) {
	return payments.BuildNotification(p.opts.AccID, p.opts.ClientID, p.opts.SignType, p.opts.Salt,
		payments.NotificationFields{
			NotifyType:            payments.NotifyRecharge,
			Status:                c.status,
			Amount:                payments.FormatAmount(c.amountMinor, c.currency),
			Currency:              c.currency,
			MerchantTransactionID: c.orderID,
			TransactionID:         c.transactionID,
			TransactionTime:       strconv.FormatInt(c.transactionTime.UnixMilli(), 10),
			RequestID:             newRequestID(),
			Remark:                c.remark,
			ResultDescription:     c.resultDescription,
		})
}

// refundNotification returns the signed REFUND SUCCESS notification of rf.
func (p *Provider) refundNotification(rf *refund) ([]byte, error) {
	refundTime := strconv.FormatInt(rf.refundTime.UnixMilli(), 10)
	return payments.BuildNotification(p.opts.AccID, p.opts.ClientID, p.opts.SignType, p.opts.Salt,
		payments.NotificationFields{
			NotifyType:            payments.NotifyRefund,
			Status:                payments.StatusSuccess,
			Amount:                payments.FormatAmount(rf.amountMinor, rf.currency),
			Currency:              rf.currency,
			MerchantTransactionID: rf.orderID,
			TransactionID:         rf.transactionID,
			MerchantRefundID:      rf.merchantRefundID,
			RefundID:              rf.refundID,
			RefundTime:            refundTime,
			RequestID:             newRequestID(),
			Extra:                 map[string]string{"refundEndingTime": refundTime},
		})
}

// post sends one notification body to NotifyURL as PingPong does: a JSON
// POST. Each post is limited to DefaultNotifyTimeout, whatever the client's
// own limit. A failure is returned in delivery.err.
func (p *Provider) post(ctx context.Context, body []byte) delivery {
	ctx, cancel := context.WithTimeout(ctx, DefaultNotifyTimeout)
	defer cancel()

	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.opts.NotifyURL, bytes.NewReader(body))
	if err != nil {
		return delivery{err: fmt.Errorf("local checkout: build notification request: %w", err)}
	}
	req.Header.Set("Content-Type", "application/json")

	resp, err := p.client.Do(req)
	if err != nil {
		return delivery{err: fmt.Errorf("local checkout: post notification to %s: %w", p.opts.NotifyURL, err)}
	}
	defer resp.Body.Close()

	answer, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	d := delivery{status: resp.Status, code: resp.StatusCode}
	if err != nil {
		d.err = fmt.Errorf("local checkout: read the response from %s: %w", p.opts.NotifyURL, err)
		return d
	}
	d.accepted = resp.StatusCode >= 200 && resp.StatusCode < 300 &&
		strings.TrimSpace(string(answer)) != "FAIL"
	return d
}

// deliverRefund posts the refund notification RefundDelay after the refund
// was accepted, and again after each of refundRetryDelays until the app
// acknowledges it. It stops when Close cancels p.ctx.
func (p *Provider) deliverRefund(rf *refund) {
	defer p.wg.Done()
	log := p.log.With("order_id", rf.orderID, "merchant_refund_id", rf.merchantRefundID,
		"refund_id", rf.refundID)

	body, err := p.refundNotification(rf)
	if err != nil {
		log.Error("Failed to build the local refund notification", "error", err)
		return
	}

	delays := append([]time.Duration{p.opts.RefundDelay}, p.refundRetryDelays...)
	for attempt, delay := range delays {
		if !p.wait(delay) {
			log.Warn("Local refund notification not sent: the provider was closed")
			return
		}
		d := p.post(p.ctx, body)
		if d.accepted {
			log.Info("Local refund notification delivered", "http_status", d.code)
			return
		}
		log.Warn("Local refund notification not acknowledged",
			"attempt", attempt+1, "http_status", d.code, "error", d.err)
	}
	log.Error("Gave up on the local refund notification; the refund stays requested in the database",
		"attempts", len(delays))
}

// wait returns true after delay, or false as soon as Close was called.
func (p *Provider) wait(delay time.Duration) bool {
	timer := time.NewTimer(delay)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-p.ctx.Done():
		return false
	}
}

// tokenBytes is the size of checkout and form tokens: 256 random bits.
const tokenBytes = 32

// newToken returns a URL-safe random token of tokenBytes bytes.
func newToken() string {
	return base64.RawURLEncoding.EncodeToString(randomBytes(tokenBytes))
}

var idEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// newTransactionID returns a transaction id such as
// "LOCAL-K3J9X2QW7Z5MABCDEFGH": 100 random bits after a prefix that marks
// it as simulated.
func newTransactionID() string {
	return "LOCAL-" + randomID()
}

func newRefundID() string {
	return "LOCALRF-" + randomID()
}

func newRequestID() string {
	return "LOCALREQ-" + randomID()
}

// randomID returns 20 base32 characters carrying 100 random bits.
func randomID() string {
	return idEncoding.EncodeToString(randomBytes(13))[:20]
}

// randomBytes returns n bytes from crypto/rand. Since Go 1.24, rand.Read
// never returns an error: it crashes the program when the system's random
// source fails.
func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}
