package payments

import (
	"context"
	"errors"
	"fmt"
	"time"

	"telegram-bot-webhook/store"
)

// Event sources stored with each applied event.
const (
	SourceNotification = "notification"
	SourceInquiry      = "inquiry"
)

// event is a payment or refund result, from a notification or an inquiry,
// in the form the order state machine consumes.
type event struct {
	Key                   string
	Source                string
	NotifyType            string
	Status                string
	MerchantTransactionID string
	TransactionID         string
	Amount                string
	Currency              string
	MerchantRefundID      string
	RefundID              string
	RequestID             string
	Reason                string
	RawBody               string
	RemoteAddr            string
}

// ProcessNotification verifies one notification body and applies it. The
// returned error is set only for transient failures, where nothing was
// committed and PingPong should retry; permanent problems are reported in
// Result.Outcome.
func (s *Service) ProcessNotification(ctx context.Context, body []byte, remoteAddr string) (Result, error) {
	result, err := s.processNotification(ctx, body, remoteAddr)
	outcome := result.Outcome
	if err != nil {
		outcome = "error"
	}
	s.opts.Metrics.NotificationReceived(result.NotifyType, outcome)
	return result, err
}

func (s *Service) processNotification(ctx context.Context, body []byte, remoteAddr string) (Result, error) {
	n, err := ParseNotification(body, s.opts.Salt)
	if err != nil {
		return s.recordInvalid(ctx, body, remoteAddr, err)
	}

	ev := event{
		Key:                   n.EventKey(),
		Source:                SourceNotification,
		NotifyType:            n.NotifyType,
		Status:                n.Status,
		MerchantTransactionID: n.MerchantTransactionID,
		TransactionID:         n.TransactionID,
		Amount:                n.Amount,
		Currency:              n.Currency,
		MerchantRefundID:      n.MerchantRefundID,
		RefundID:              n.RefundID,
		RequestID:             n.RequestID,
		Reason:                n.ResultDescription,
		RawBody:               string(body),
		RemoteAddr:            remoteAddr,
	}
	if n.AccID != s.opts.AccID || n.ClientID != s.opts.ClientID {
		detail := fmt.Sprintf("notification is for accId %q clientId %q, ours are accId %q clientId %q",
			n.AccID, n.ClientID, s.opts.AccID, s.opts.ClientID)
		return s.recordForeign(ctx, ev, detail)
	}
	return s.applyEvent(ctx, ev)
}

// maxStoredBody bounds how much of an unverified body is kept, so junk
// posted to the public route cannot fill the disk quickly.
const maxStoredBody = 16 << 10

// recordInvalid stores a notification that failed parsing or the signature
// check. Nothing else changes.
func (s *Service) recordInvalid(ctx context.Context, body []byte, remoteAddr string, cause error) (Result, error) {
	outcome := store.OutcomeMalformed
	if errors.Is(cause, ErrBadSignature) {
		outcome = store.OutcomeBadSignature
	}

	raw := body
	if len(raw) > maxStoredBody {
		raw = raw[:maxStoredBody]
	}
	n := &store.Notification{
		Verified:   false,
		Outcome:    outcome,
		Detail:     cause.Error(),
		RawBody:    string(raw),
		RemoteAddr: remoteAddr,
		Source:     SourceNotification,
	}
	if env, err := ParseEnvelope(body); err == nil {
		n.MerchantTransactionID, n.TransactionID = peekOrder(env)
	}
	result := Result{Outcome: outcome, OrderID: n.MerchantTransactionID, Detail: cause.Error()}

	if !s.invalidRecords.Allow() {
		// Anyone can post junk to the public route, so only a bounded rate of
		// it is kept; the metrics still count every request.
		result.Detail += "; not stored, too many invalid notifications"
		return result, nil
	}
	if err := s.storeInvalid(ctx, n); err != nil {
		// The response stays the permanent rejection: a retry cannot make the
		// body valid, and the boundary logs this request once.
		result.Detail += "; storing it failed: " + err.Error()
		return result, nil
	}
	s.opts.Wake()
	return result, nil
}

// storeInvalid stores an invalid notification and, for a failed signature
// check, alerts the admins at most hourly: a wrong or rotated salt makes
// every real notification fail here, which stops all payments.
func (s *Service) storeInvalid(ctx context.Context, n *store.Notification) error {
	// Decided once, outside the transaction, which may run more than once.
	alert := n.Outcome == store.OutcomeBadSignature && s.signatureAlerts.Allow()
	return s.opts.Store.Transaction(ctx, func(tx *store.Store) error {
		if err := tx.InsertNotification(ctx, n); err != nil {
			return err
		}
		if !alert {
			return nil
		}
		return s.alertAdmins(ctx, tx, n.MerchantTransactionID,
			"A PingPong notification failed the signature check (from "+n.RemoteAddr+"). "+
				"If real payments are not confirmed, check PINGPONG_WEBHOOK_SECRET and PINGPONG_SIGN_TYPE.")
	})
}

// peekOrder reads the order and transaction ids of an unverified envelope
// for the stored record only; nothing acts on them.
func peekOrder(env Envelope) (orderID, transactionID string) {
	n, err := parseBizContent(env)
	if err != nil {
		return "", ""
	}
	return n.MerchantTransactionID, n.TransactionID
}

// recordForeign stores a verified notification addressed to another
// PingPong store and alerts the admins.
func (s *Service) recordForeign(ctx context.Context, ev event, detail string) (Result, error) {
	result := ev.result(store.OutcomeRejected, detail)
	err := s.opts.Store.Transaction(ctx, func(tx *store.Store) error {
		if err := tx.InsertNotification(ctx, ev.record(store.OutcomeRejected, detail, nil)); err != nil {
			return err
		}
		return s.alertAdmins(ctx, tx, ev.MerchantTransactionID, "Rejected notification: "+detail)
	})
	if err != nil {
		return result, fmt.Errorf("payments: store rejected notification for order %s: %w", ev.MerchantTransactionID, err)
	}
	s.opts.Wake()
	return result, nil
}

func (ev event) result(outcome, detail string) Result {
	return Result{
		Outcome:       outcome,
		OrderID:       ev.MerchantTransactionID,
		TransactionID: ev.TransactionID,
		NotifyType:    ev.NotifyType,
		Status:        ev.Status,
		Detail:        detail,
	}
}

// record returns the stored form of the event; key is nil for records that
// must not block a later copy of the same event.
func (ev event) record(outcome, detail string, key *string) *store.Notification {
	return &store.Notification{
		EventKey:              key,
		MerchantTransactionID: ev.MerchantTransactionID,
		TransactionID:         ev.TransactionID,
		NotifyType:            ev.NotifyType,
		Status:                ev.Status,
		Amount:                ev.Amount,
		Currency:              ev.Currency,
		MerchantRefundID:      ev.MerchantRefundID,
		RefundID:              ev.RefundID,
		RequestID:             ev.RequestID,
		Verified:              true,
		Outcome:               outcome,
		Detail:                detail,
		RawBody:               ev.RawBody,
		RemoteAddr:            ev.RemoteAddr,
		Source:                ev.Source,
	}
}

// alertAdmins queues a plain-text message to every admin chat.
func (s *Service) alertAdmins(ctx context.Context, tx *store.Store, orderID, text string) error {
	for _, chatID := range s.opts.AdminChatIDs {
		payload := store.MessagePayload{Text: text}
		if _, err := tx.EnqueueMessage(ctx, chatID, orderID, store.MessageAdmin, payload); err != nil {
			return err
		}
	}
	return nil
}

func (s *Service) now() time.Time {
	return s.opts.Now().UTC()
}
