package local

import (
	"context"
	"crypto/subtle"
	"errors"
	"net/http"
	"net/url"
	"time"

	"telegram-bot-webhook/payments"
	"telegram-bot-webhook/payments/money"
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
// known, neither paid nor closed, and not expired.
func (p *Provider) payable(token string) (checkoutView, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	c, ok := p.byToken[token]
	if !ok || c.status == payments.StatusSuccess || c.lapsed(p.now()) {
		return checkoutView{}, false
	}
	return c.view(), true
}

// lapsed reports whether an unpaid checkout can no longer be paid at now,
// because it is closed or expired. A paid checkout has not lapsed.
func (c *checkout) lapsed(now time.Time) bool {
	if c.status == payments.StatusSuccess {
		return false
	}
	return c.status == payments.StatusClosed || c.expired(now)
}

func (p *Provider) showCheckout(w http.ResponseWriter, r *http.Request) {
	token := r.PathValue("token")
	p.restoreToken(r.Context(), token)
	c, ok := p.payable(token)
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
		row{Label: t.amount, Value: money.FormatMoney(c.amountMinor, c.currency)},
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
		p.log.Warn("Local checkout form rejected", "reason", "unreadable form", "error", err)
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			p.ServeErrorPage(w, r, http.StatusRequestEntityTooLarge)
			return
		}
		t := pageTexts(acceptLanguage, "")
		p.render(w, http.StatusBadRequest, messagePage(t, "fail", t.badRequestTitle, t.badRequestText))
		return
	}

	token := r.PathValue("token")
	p.restoreToken(r.Context(), token)
	started := p.begin(token, r.PostForm.Get(csrfField), status)
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
	retrying := p.finish(started, d)
	p.logCompletion(started, d, retrying)
	p.showResult(w, t, started.view, d, retrying)
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
	case !ok || c.lapsed(now):
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
		next.resultDescription = declineDescription(c.language)
	}
	body, err := p.paymentNotification(&next)
	if err != nil {
		return started{outcome: outcomeError, view: c.view(), err: err}
	}
	// The new status replaces the one an older notification still being
	// posted in the background carries.
	c.stopRetries()
	next.retries = nil
	next.busy = true
	*c = next
	return started{outcome: outcomeStarted, view: c.view(), transactionID: c.transactionID, body: body}
}

// declineDescription returns the resultDescription of a Decline in the
// checkout's language.
func declineDescription(language string) string {
	if isChinese(language) {
		return DeclineDescriptionChinese
	}
	return DeclineDescription
}

// finish clears the busy mark that begin set. When the app did not accept
// the first post, d, for a reason that may pass, it starts posting the
// notification again in the background and returns true. Nothing starts
// once Close was called, or when the checkout's status changed meanwhile
// because the store showed the order as paid.
func (p *Provider) finish(s started, d delivery) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	c, ok := p.byToken[s.view.token]
	if !ok {
		return false
	}
	c.busy = false
	if d.accepted || !d.retryable() || p.closed || len(p.paymentRetryDelays) == 0 ||
		c.status != s.view.status {
		return false
	}

	ctx, cancel := context.WithCancel(p.ctx)
	run := &retryRun{cancel: cancel}
	c.retries = run
	// Adding to the WaitGroup under p.mu, where Close cannot have started
	// waiting, keeps Add from racing Wait.
	p.wg.Add(1)
	go p.redeliverPayment(ctx, run, s, d)
	return true
}
