package tools

import (
	"fmt"

	"telegram-bot-webhook/store"
)

// outcomeHeader is the response header in which the server names what
// became of a notification: one of the store.Outcome* values. Servers of
// older versions do not send it.
const outcomeHeader = "X-Notification-Outcome"

// simulateTarget is the options and settings of one run, which the outcome
// messages name.
type simulateTarget struct {
	opts     simulateOptions
	settings Settings
}

// checkResponse returns an error for a response that leaves the event
// unapplied for good or makes PingPong send it again, and writes a note
// for an outcome that changed nothing but is no failure.
func checkResponse(p *linePrinter, resp serverResponse, ev *simulatedEvent, target simulateTarget) error {
	if err := outcomeError(resp.outcome, ev, target); err != nil {
		return err
	}
	if err := responseError(resp.status, resp.body); err != nil {
		return err
	}

	if note := outcomeNote(resp.outcome, target.opts); note != "" {
		p.printf("Note: %s\n", note)
	}
	if p.err != nil {
		return fmt.Errorf("simulate: write the output: %w", p.err)
	}
	return nil
}

// outcomeError explains an outcome in which the server did not apply the
// event and never will, or returns nil.
func outcomeError(outcome string, ev *simulatedEvent, target simulateTarget) error {
	order := ev.fields.MerchantTransactionID
	switch outcome {
	case store.OutcomeRejected:
		return rejectedError(ev, target)
	case store.OutcomeUnknownOrder:
		return fmt.Errorf("simulate: the server has no order %s (outcome %s), so nothing changed: "+
			"this command read the order from %s, and the server uses another database. Run this "+
			"command with the server's DATABASE_PATH", order, outcome, target.settings.DatabasePath)
	case store.OutcomeBadSignature:
		return fmt.Errorf("simulate: the server rejected the signature (outcome %s), so nothing "+
			"changed: it runs with another PINGPONG_WEBHOOK_SECRET than this command. Run this "+
			"command with the server's configuration", outcome)
	case store.OutcomeMalformed:
		return fmt.Errorf("simulate: the server could not read the notification (outcome %s), so "+
			"nothing changed: the server may run another version than this command. The server log "+
			"names the reason", outcome)
	}
	return nil
}

// rejectedError explains a verified notification the server did not apply.
func rejectedError(ev *simulatedEvent, target simulateTarget) error {
	expected := ""
	if target.opts.force {
		expected = ". With --force, this rejection is the expected result"
	}
	return fmt.Errorf("simulate: the server acknowledged the notification but rejected the event "+
		"(outcome %s), so order %s did not change: the event does not match the stored order "+
		"(amount, currency or transactionId), or accId %s and clientId %s are not the server's "+
		"PINGPONG_ACC_ID and PINGPONG_CLIENT_ID. The server log names the reason, and so do the admin "+
		"chats when ADMIN_CHAT_IDS is set: correct the values given to this command, or run it with "+
		"the server's configuration%s",
		store.OutcomeRejected, ev.fields.MerchantTransactionID, target.settings.AccID,
		target.settings.ClientID, expected)
}

// outcomeNote explains an outcome in which the server acknowledged the
// event without changing the order, or returns "".
func outcomeNote(outcome string, opts simulateOptions) string {
	switch outcome {
	case store.OutcomeDuplicate:
		note := "the server applied this event before (outcome duplicate), so nothing changed. " +
			"It applies each event once, because PingPong sends a notification again until it is " +
			"acknowledged."
		if opts.kind == KindRefunded {
			note += " Give another --refund-id to send a new refund."
		}
		return note
	case store.OutcomeIgnored:
		return "the event needs no action (outcome ignored), such as a payment of an order that " +
			"is paid already, so nothing changed."
	case store.OutcomeDeferred:
		return "the server keeps the refund until the order is paid (outcome deferred), and " +
			"applies it when a paid event arrives."
	}
	return ""
}
