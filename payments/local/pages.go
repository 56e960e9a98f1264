package local

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"telegram-bot-webhook/payments"
)

// maxFormBytes bounds a Pay or Decline form, which carries one token.
const maxFormBytes = 4 << 10

// ServeHTTP serves the checkout pages under PathPrefix. Mount it there;
// every other path gets the not-found page.
func (p *Provider) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.pages.ServeHTTP(w, r)
}

func (p *Provider) newPages() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+PathPrefix+"{token}", p.showCheckout)
	mux.HandleFunc("POST "+PathPrefix+"{token}/pay", func(w http.ResponseWriter, r *http.Request) {
		p.complete(w, r, payments.StatusSuccess)
	})
	mux.HandleFunc("POST "+PathPrefix+"{token}/decline", func(w http.ResponseWriter, r *http.Request) {
		p.complete(w, r, payments.StatusFailed)
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		p.showNotFound(w, pageTexts(r.Header.Get("Accept-Language"), ""))
	})
	return mux
}

// checkoutView is a copy of the checkout fields a page shows, taken under
// p.mu.
type checkoutView struct {
	token            string
	csrfToken        string
	orderID          string
	amountMinor      int64
	currency         string
	goodsName        string
	goodsDescription string
	remark           string
	language         string
	returnURL        string
	status           string
}

func (c *checkout) view() checkoutView {
	return checkoutView{
		token:            c.token,
		csrfToken:        c.csrfToken,
		orderID:          c.orderID,
		amountMinor:      c.amountMinor,
		currency:         c.currency,
		goodsName:        c.goodsName,
		goodsDescription: c.goodsDescription,
		remark:           c.remark,
		language:         c.language,
		returnURL:        c.returnURL,
		status:           c.status,
	}
}

// payable returns the checkout with the token while it can still be paid:
// known, not paid and not expired.
func (p *Provider) payable(token string) (checkoutView, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	c, ok := p.byToken[token]
	if !ok || c.status == payments.StatusSuccess || c.expired(p.now()) {
		return checkoutView{}, false
	}
	return c.view(), true
}

func (p *Provider) showCheckout(w http.ResponseWriter, r *http.Request) {
	c, ok := p.payable(r.PathValue("token"))
	if !ok {
		p.showNotFound(w, pageTexts(r.Header.Get("Accept-Language"), ""))
		return
	}
	t := pageTexts(r.Header.Get("Accept-Language"), c.language)

	data := page{
		Lang:    t.lang,
		Notice:  t.notice,
		Heading: t.checkout,
		Tone:    "info",
		Rows:    checkoutRows(t, c),
		Actions: &actions{
			PayURL:       checkoutPath(c.token, "pay"),
			DeclineURL:   checkoutPath(c.token, "decline"),
			CSRFToken:    c.csrfToken,
			PayLabel:     t.pay,
			DeclineLabel: t.decline,
		},
	}
	if c.status == payments.StatusFailed {
		data.Messages = []string{t.retryNote}
	}
	p.render(w, http.StatusOK, data)
}

// checkoutRows lists the product, its description, the amount and the
// order id. The product is the goods name sent with prePay, or its remark.
func checkoutRows(t *texts, c checkoutView) []row {
	product := c.goodsName
	if product == "" {
		product = c.remark
	}
	rows := []row{{Label: t.product, Value: product}}
	if c.goodsDescription != "" {
		rows = append(rows, row{Label: t.description, Value: c.goodsDescription})
	}
	return append(rows,
		row{Label: t.amount, Value: payments.FormatMoney(c.amountMinor, c.currency)},
		row{Label: t.order, Value: c.orderID})
}

func (p *Provider) showNotFound(w http.ResponseWriter, t *texts) {
	p.render(w, http.StatusNotFound, messagePage(t, "fail", t.notFoundTitle, t.notFoundText))
}

// checkoutPath returns the path of one of the checkout's pages. Paths
// without a host keep the pages working on whatever origin the buyer
// opened them on.
func checkoutPath(token, action string) string {
	path := PathPrefix + url.PathEscape(token)
	if action != "" {
		path += "/" + action
	}
	return path
}

// complete handles the Pay (SUCCESS) and Decline (FAILED) buttons: it sets
// the checkout's status, posts the signed notification to the app and shows
// the app's response.
func (p *Provider) complete(w http.ResponseWriter, r *http.Request, status string) {
	acceptLanguage := r.Header.Get("Accept-Language")
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		t := pageTexts(acceptLanguage, "")
		code := http.StatusBadRequest
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			code = http.StatusRequestEntityTooLarge
		}
		p.log.Warn("Local checkout form rejected", "reason", "unreadable form", "error", err)
		p.render(w, code, messagePage(t, "fail", t.badRequestTitle, t.badRequestText))
		return
	}

	started := p.begin(r.PathValue("token"), r.PostForm.Get(csrfField), status)
	t := pageTexts(acceptLanguage, started.view.language)
	switch started.outcome {
	case outcomeNotFound:
		p.showNotFound(w, t)
		return
	case outcomeForbidden:
		p.log.Warn("Local checkout form rejected", "order_id", started.view.orderID,
			"reason", "missing or wrong form token")
		p.render(w, http.StatusForbidden, messagePage(t, "fail", t.forbiddenTitle, t.forbiddenText))
		return
	case outcomeDone:
		done := messagePage(t, "info", t.doneTitle, t.doneText)
		if started.view.returnURL != "" {
			done.Links = []link{{URL: started.view.returnURL, Label: t.returnLink}}
		}
		p.render(w, http.StatusConflict, done)
		return
	case outcomeBusy:
		p.render(w, http.StatusConflict, messagePage(t, "info", t.busyTitle, t.busyText))
		return
	case outcomeError:
		p.log.Error("Failed to build the local checkout notification",
			"order_id", started.view.orderID, "error", started.err)
		p.render(w, http.StatusInternalServerError, messagePage(t, "fail", t.errorTitle, t.errorText))
		return
	}

	d := p.post(p.ctx, started.body)
	p.finish(started.view.token)
	p.logCompletion(started, d)
	p.showResult(w, t, started.view, d)
}

// showResult renders the app's response to the notification.
func (p *Provider) showResult(w http.ResponseWriter, t *texts, c checkoutView, d delivery) {
	answer := d.status
	if answer == "" {
		answer = t.noResponse
	}
	var data page
	switch {
	case !d.accepted:
		text := t.rejectedText
		if c.status == payments.StatusSuccess {
			text = t.rejectedPaidText
		}
		data = messagePage(t, "fail", fmt.Sprintf(t.rejectedTitle, answer), text)
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

	code := http.StatusOK
	if !d.accepted {
		code = http.StatusBadGateway
	}
	p.render(w, code, data)
}

func (p *Provider) logCompletion(started started, d delivery) {
	attrs := []any{
		"order_id", started.view.orderID,
		"transaction_id", started.transactionID,
		"status", started.view.status,
		"http_status", d.code,
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

// Outcomes of begin.
const (
	outcomeStarted = iota
	outcomeNotFound
	outcomeForbidden
	outcomeDone
	outcomeBusy
	outcomeError
)

// started is the result of begin: the outcome and, once started, the
// checkout after its change and the signed notification to post.
type started struct {
	outcome       int
	view          checkoutView
	transactionID string
	body          []byte
	err           error
}

// begin checks the token and the form token, then sets the checkout's new
// status and marks it busy until finish, so a second press cannot post a
// second notification meanwhile. A SUCCESS is final. Nothing changes when
// the notification cannot be built.
func (p *Provider) begin(token, csrfToken, status string) started {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	c, ok := p.byToken[token]
	switch {
	case !ok || (c.status != payments.StatusSuccess && c.expired(now)):
		return started{outcome: outcomeNotFound}
	case subtle.ConstantTimeCompare([]byte(csrfToken), []byte(c.csrfToken)) != 1:
		return started{outcome: outcomeForbidden, view: c.view()}
	case c.status == payments.StatusSuccess:
		return started{outcome: outcomeDone, view: c.view()}
	case c.busy:
		return started{outcome: outcomeBusy, view: c.view()}
	}

	next := *c
	next.status = status
	next.transactionTime = now
	next.resultDescription = ""
	if status == payments.StatusFailed {
		next.resultDescription = DeclineDescription
	}
	body, err := p.paymentNotification(&next)
	if err != nil {
		return started{outcome: outcomeError, view: c.view(), err: err}
	}
	next.busy = true
	*c = next
	return started{outcome: outcomeStarted, view: c.view(), transactionID: c.transactionID, body: body}
}

// finish clears the busy mark that begin set.
func (p *Provider) finish(token string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if c, ok := p.byToken[token]; ok {
		c.busy = false
	}
}
