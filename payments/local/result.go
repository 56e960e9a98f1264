package local

import (
	"fmt"
	"net/http"
	"strconv"

	"telegram-bot-webhook/payments"
)

// showResult renders the app's response to the first post of the
// notification. retrying is true when the app did not accept it and it is
// being posted again in the background.
func (p *Provider) showResult(w http.ResponseWriter, t *texts, c checkoutView, d delivery, retrying bool) {
	answer := d.status
	if answer == "" {
		answer = t.noResponse
	}
	var data page
	code := http.StatusOK
	switch {
	case retrying && c.status == payments.StatusSuccess:
		data = messagePage(t, "ok", t.pendingPaidTitle, t.pendingPaidText)
		code = http.StatusAccepted
	case retrying:
		data = messagePage(t, "fail", t.declinedTitle, t.pendingDeclinedText)
		code = http.StatusAccepted
	case !d.accepted:
		text := t.rejectedText
		if c.status == payments.StatusSuccess {
			text = t.rejectedPaidText
		}
		data = messagePage(t, "fail", fmt.Sprintf(t.rejectedTitle, answer), text)
		code = http.StatusBadGateway
	case c.status == payments.StatusSuccess:
		data = messagePage(t, "ok", t.paidTitle, t.paidText)
	default:
		data = messagePage(t, "fail", t.declinedTitle, t.declinedText)
	}
	if d.status != "" {
		data.Messages = append(data.Messages, fmt.Sprintf(t.response, d.status))
	}
	data.Rows = checkoutRows(t, c)

	if c.status == payments.StatusFailed {
		data.Links = append(data.Links, link{URL: checkoutPath(c.token, ""), Label: t.backLink})
	}
	if c.returnURL != "" {
		data.Links = append(data.Links, link{URL: c.returnURL, Label: t.returnLink})
	}
	p.render(w, code, data)
}

func (p *Provider) logCompletion(started started, d delivery, retrying bool) {
	attrs := []any{
		"order_id", started.view.orderID,
		"transaction_id", started.transactionID,
		"status", started.view.status,
		"http_status", d.code,
		"retrying", retrying,
	}
	switch {
	case d.err != nil:
		p.log.Error("Failed to post the local checkout notification", append(attrs, "error", d.err)...)
	case !d.accepted:
		p.log.Warn("The app did not acknowledge the local checkout notification", attrs...)
	default:
		p.log.Info("Local checkout completed", attrs...)
	}
}

// ServeErrorPage writes the page of a checkout request that the server
// rejected before it reached ServeHTTP. Status 429 is for a client over the
// rate limit, and the page reads the wait from the Retry-After header
// already set on w. Status 413 is for a form over the size limit, and other
// statuses get the invalid-request page. The language follows the
// Accept-Language header.
func (p *Provider) ServeErrorPage(w http.ResponseWriter, r *http.Request, status int) {
	t := pageTexts(r.Header.Get("Accept-Language"), "")
	var data page
	switch status {
	case http.StatusTooManyRequests:
		text := t.tooManyLaterText
		seconds, err := strconv.Atoi(w.Header().Get("Retry-After"))
		if err == nil && seconds > 0 {
			text = fmt.Sprintf(t.tooManyText, seconds)
		}
		data = messagePage(t, "fail", t.tooManyTitle, text)
	case http.StatusRequestEntityTooLarge:
		data = messagePage(t, "fail", t.tooLargeTitle, t.tooLargeText)
	default:
		data = messagePage(t, "fail", t.badRequestTitle, t.badRequestText)
	}
	p.render(w, status, data)
}
