package local

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"telegram-bot-webhook/payments"
	"telegram-bot-webhook/payments/money"
)

// defaultRefundRetryDelays are the waits before the second and third post
// of a refund notification the app did not acknowledge. PingPong retries
// for hours; a local run needs only to ride out a short hiccup.
var defaultRefundRetryDelays = []time.Duration{5 * time.Second, 30 * time.Second}

// defaultPaymentRetryDelays are the waits before each further post of a
// payment notification the app did not acknowledge. The first is short
// because the usual cause is the app's own rate limit, whose Retry-After is
// about a second.
var defaultPaymentRetryDelays = []time.Duration{
	time.Second, 5 * time.Second, 15 * time.Second, 30 * time.Second,
}

// defaultMaxRetryAfter caps how long a Retry-After header may extend the
// wait before the next post.
const defaultMaxRetryAfter = time.Minute

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
	// retryAfter is the wait a 429 or 503 response asked for in its
	// Retry-After header, 0 when it asked for none.
	retryAfter time.Duration
}

// retryable reports whether posting the same notification again may
// succeed: after no response, 429, a 5xx status or a FAIL body. Other
// statuses, such as 401 for a signature the app rejects, would repeat.
func (d delivery) retryable() bool {
	switch {
	case d.accepted:
		return false
	case d.code == 0 || d.err != nil:
		return true
	case d.code == http.StatusTooManyRequests || d.code >= 500:
		return true
	default:
		return d.code >= 200 && d.code < 300
	}
}

// paymentNotification returns the signed RECHARGE notification for the
// checkout's current status. The caller holds p.mu.
func (p *Provider) paymentNotification(c *checkout) ([]byte, error) {
	return payments.BuildNotification(p.opts.AccID, p.opts.ClientID, p.opts.SignType, p.opts.Salt,
		payments.NotificationFields{
			NotifyType:            payments.NotifyRecharge,
			Status:                c.status,
			Amount:                money.FormatAmount(c.amountMinor, c.currency),
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
			Amount:                money.FormatAmount(rf.amountMinor, rf.currency),
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
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable {
		d.retryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), p.now())
	}
	if err != nil {
		d.err = fmt.Errorf("local checkout: read the response from %s: %w", p.opts.NotifyURL, err)
		return d
	}
	d.accepted = resp.StatusCode >= 200 && resp.StatusCode < 300 &&
		strings.TrimSpace(string(answer)) != "FAIL"
	return d
}

// parseRetryAfter returns the wait of a Retry-After header value, given in
// seconds or as an HTTP date, or 0 when the value is missing or invalid.
func parseRetryAfter(value string, now time.Time) time.Duration {
	if value == "" {
		return 0
	}
	if seconds, err := strconv.ParseInt(value, 10, 64); err == nil {
		// Larger values are capped later anyway. The bound keeps the
		// conversion to time.Duration from overflowing.
		const maxSeconds = int64(24 * time.Hour / time.Second)
		return time.Duration(min(max(seconds, 0), maxSeconds)) * time.Second
	}
	if at, err := http.ParseTime(value); err == nil {
		return max(at.Sub(now), 0)
	}
	return 0
}

// redeliver posts body again after each of delays while the previous
// response, last, is retryable. A Retry-After in the response lengthens a
// wait, up to maxRetryAfter. It returns the last response and how many
// posts it made, and stops early when ctx ends.
func (p *Provider) redeliver(ctx context.Context, body []byte, last delivery,
	delays []time.Duration, log *slog.Logger) (delivery, int) {
	posts := 0
	for _, delay := range delays {
		if !last.retryable() {
			break
		}
		if !wait(ctx, max(delay, min(last.retryAfter, p.maxRetryAfter))) {
			break
		}
		last = p.post(ctx, body)
		posts++
		if !last.accepted && ctx.Err() == nil {
			log.Warn("Local notification not acknowledged",
				"attempt", posts+1, "http_status", last.code, "error", last.err)
		}
	}
	return last, posts
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
	if !wait(p.ctx, p.opts.RefundDelay) {
		log.Warn("Local refund notification not sent: the provider was closed")
		return
	}

	first := p.post(p.ctx, body)
	if !first.accepted {
		log.Warn("Local refund notification not acknowledged",
			"attempt", 1, "http_status", first.code, "error", first.err)
	}
	last, retries := p.redeliver(p.ctx, body, first, p.refundRetryDelays, log)
	switch {
	case last.accepted:
		log.Info("Local refund notification delivered", "attempts", retries+1)
	case p.ctx.Err() != nil:
		log.Warn("Stopped posting the local refund notification: the provider was closed")
	default:
		log.Error("Gave up on the local refund notification; the refund stays requested in the database",
			"attempts", retries+1, "http_status", last.code, "error", last.err)
	}
}

// redeliverPayment posts the payment notification of a checkout again in
// the background after the first post, first, was not accepted. It stops
// when Close cancels p.ctx or a newer notification of the checkout cancels
// run.
func (p *Provider) redeliverPayment(ctx context.Context, run *retryRun, s started, first delivery) {
	defer p.wg.Done()
	defer p.endRetries(s.view.token, run)
	log := p.log.With("order_id", s.view.orderID, "transaction_id", s.transactionID,
		"status", s.view.status)

	last, retries := p.redeliver(ctx, s.body, first, p.paymentRetryDelays, log)
	switch {
	case last.accepted:
		log.Info("Local checkout notification delivered", "attempts", retries+1)
	case ctx.Err() != nil:
		log.Warn("Stopped posting the local checkout notification: " +
			"the provider was closed or a newer notification replaced it")
	default:
		log.Error("Gave up on the local checkout notification; the reconciler reads the status "+
			"with a transaction query", "attempts", retries+1, "http_status", last.code, "error", last.err)
	}
}

// endRetries clears the checkout's retry run if it is still run.
func (p *Provider) endRetries(token string, run *retryRun) {
	run.cancel()
	p.mu.Lock()
	defer p.mu.Unlock()
	if c, ok := p.byToken[token]; ok && c.retries == run {
		c.retries = nil
	}
}

// wait returns true after delay, or false as soon as ctx ends.
func wait(ctx context.Context, delay time.Duration) bool {
	timer := time.NewTimer(delay)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-ctx.Done():
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
