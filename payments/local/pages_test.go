package local

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"telegram-bot-webhook/payments"
)

func TestCheckoutPage_English(t *testing.T) {
	f := newFixture(t)
	checkout := f.prePay(f.prePayRequest("ORD-1"))

	page := f.get(checkout.PaymentURL, "en-US,en;q=0.9")

	if page.status != http.StatusOK {
		t.Fatalf("status = %d, want 200", page.status)
	}
	assertContains(t, page.body,
		`<html lang="en">`,
		`<meta name="viewport" content="width=device-width, initial-scale=1">`,
		"Field Guide", "9.99 USD", "ORD-1", "no money moves",
		`action="/checkout/`+checkout.Token+`/pay"`,
		`action="/checkout/`+checkout.Token+`/decline"`,
		`>Pay</button>`, `>Decline</button>`)
	if formToken(t, page.body) == checkout.Token {
		t.Error("the form token equals the checkout token, want a separate secret")
	}
	if strings.Contains(page.body, "<script") || strings.Contains(page.body, "http://") {
		t.Errorf("page loads a script or an external resource:\n%s", page.body)
	}
	for header, want := range map[string]string{
		"Content-Type":    "text/html; charset=utf-8",
		"Cache-Control":   "no-store",
		"Referrer-Policy": "no-referrer",
		"X-Frame-Options": "DENY",
	} {
		if got := page.header.Get(header); got != want {
			t.Errorf("%s = %q, want %q", header, got, want)
		}
	}
	if csp := page.header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("Content-Security-Policy = %q, want default-src 'none'", csp)
	}
}

func TestCheckoutPage_Chinese(t *testing.T) {
	f := newFixture(t)
	english := f.prePay(f.prePayRequest("ORD-EN"))
	zhRequest := f.prePayRequest("ORD-ZH")
	zhRequest.Language = "zh"
	chinese := f.prePay(zhRequest)

	tests := []struct {
		name, url, acceptLanguage string
	}{
		{"browser prefers Chinese", english.PaymentURL, "zh-CN,zh;q=0.9,en;q=0.8"},
		{"checkout language", chinese.PaymentURL, ""},
		{"checkout language over the browser's", chinese.PaymentURL, "en-US,en;q=0.9"},
		{"Chinese ranked above English", english.PaymentURL, "fr, en;q=0.3, zh-TW;q=0.5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			page := f.get(tt.url, tt.acceptLanguage)

			assertContains(t, page.body, `<html lang="zh">`, "金额", "订单号", "9.99 USD",
				">支付</button>", ">拒绝</button>", "Field Guide")
		})
	}
}

func TestCheckoutPage_EscapesProductName(t *testing.T) {
	f := newFixture(t)
	req := f.prePayRequest("ORD-1")
	req.GoodsName = `<script>alert("x")</script>`
	req.GoodsDescription = `<img src=x onerror=alert(1)>`
	checkout := f.prePay(req)

	page := f.get(checkout.PaymentURL, "")

	if strings.Contains(page.body, "<script>") || strings.Contains(page.body, "<img") {
		t.Errorf("page contains the product's markup unescaped:\n%s", page.body)
	}
	assertContains(t, page.body, "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;", "&lt;img src=x")
}

func TestCheckoutPage_RemarkWithoutGoodsName(t *testing.T) {
	f := newFixture(t)
	req := f.prePayRequest("ORD-1")
	req.GoodsName = ""
	checkout := f.prePay(req)

	page := f.get(checkout.PaymentURL, "")

	assertContains(t, page.body, "<dd>guide</dd>")
}

func TestCheckoutPage_UnknownToken(t *testing.T) {
	f := newFixture(t)

	for acceptLanguage, want := range map[string]string{
		"":      "Checkout not found",
		"en":    "Checkout not found",
		"zh-CN": "未找到支付页面",
	} {
		page := f.get("http://127.0.0.1:8000/checkout/unknown-token", acceptLanguage)

		if page.status != http.StatusNotFound {
			t.Errorf("Accept-Language %q: status = %d, want 404", acceptLanguage, page.status)
		}
		assertContains(t, page.body, want)
	}

	other := f.serve(httptest.NewRequest(http.MethodGet, "/checkout/a/b/c", nil))
	if other.status != http.StatusNotFound {
		t.Errorf("GET /checkout/a/b/c status = %d, want 404", other.status)
	}
}

func TestPay_PostsOneSignedSuccess(t *testing.T) {
	f := newFixture(t)
	checkout := f.prePay(f.prePayRequest("ORD-1"))

	result := f.press(checkout.PaymentURL, "pay")

	if result.status != http.StatusOK {
		t.Fatalf("status = %d, want 200\n%s", result.status, result.body)
	}
	assertContains(t, result.body, "Payment confirmed, return to Telegram", "200 OK",
		`href="https://t.me/test_shop_bot"`)
	n := f.receiver.waitFor(1)[0]
	if n.AccID != testAccID || n.ClientID != testClientID || n.SignType != payments.SignSHA256 {
		t.Errorf("envelope ids = %s %s %s, want the configured store and SHA256", n.AccID, n.ClientID, n.SignType)
	}
	if n.NotifyType != payments.NotifyRecharge || n.Status != payments.StatusSuccess {
		t.Errorf("notification = %s %s, want RECHARGE SUCCESS", n.NotifyType, n.Status)
	}
	if n.MerchantTransactionID != "ORD-1" || n.TransactionID != checkout.TransactionID {
		t.Errorf("ids = %s %s, want ORD-1 %s", n.MerchantTransactionID, n.TransactionID, checkout.TransactionID)
	}
	if n.Amount != "9.99" || n.Currency != "USD" || n.Remark != "guide" {
		t.Errorf("amount, currency, remark = %s %s %s, want 9.99 USD guide", n.Amount, n.Currency, n.Remark)
	}
	if n.RequestID == "" || n.TransactionTime == "" || n.ResultDescription != "" {
		t.Errorf("requestId %q, transactionTime %q, resultDescription %q: want the first two only",
			n.RequestID, n.TransactionTime, n.ResultDescription)
	}

	if page := f.get(checkout.PaymentURL, ""); page.status != http.StatusNotFound {
		t.Errorf("paid checkout page status = %d, want 404", page.status)
	}
}

func TestPay_MD5Signature(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.SignType = payments.SignMD5 })
	checkout := f.prePay(f.prePayRequest("ORD-1"))

	f.press(checkout.PaymentURL, "pay")

	if n := f.receiver.waitFor(1)[0]; n.SignType != payments.SignMD5 {
		t.Errorf("signType = %s, want MD5", n.SignType)
	}
}

func TestPay_SecondPressPostsNothing(t *testing.T) {
	f := newFixture(t)
	checkout := f.prePay(f.prePayRequest("ORD-1"))
	page := f.get(checkout.PaymentURL, "")
	form := url.Values{csrfField: {formToken(t, page.body)}}
	f.submit(checkout.PaymentURL, "pay", form)

	for _, action := range []string{"pay", "decline"} {
		again := f.submit(checkout.PaymentURL, action, form)

		if again.status != http.StatusConflict {
			t.Errorf("%s after paying: status = %d, want 409", action, again.status)
		}
		assertContains(t, again.body, "Already completed")
	}
	if n := len(f.receiver.all()); n != 1 {
		t.Errorf("receiver got %d notifications, want 1", n)
	}
}

func TestPay_ConcurrentPressesPostOnce(t *testing.T) {
	f := newFixture(t)
	checkout := f.prePay(f.prePayRequest("ORD-1"))
	form := url.Values{csrfField: {formToken(t, f.get(checkout.PaymentURL, "").body)}}

	var wg sync.WaitGroup
	statuses := make(chan int, 8)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses <- f.submit(checkout.PaymentURL, "pay", form).status
		}()
	}
	wg.Wait()
	close(statuses)

	accepted := 0
	for status := range statuses {
		switch status {
		case http.StatusOK:
			accepted++
		case http.StatusConflict:
		default:
			t.Errorf("press status = %d, want 200 once and 409 otherwise", status)
		}
	}
	if accepted != 1 {
		t.Errorf("%d presses were accepted, want 1", accepted)
	}
	if n := len(f.receiver.all()); n != 1 {
		t.Errorf("receiver got %d notifications, want 1", n)
	}
}

func TestDecline_PostsFailedAndStaysPayable(t *testing.T) {
	f := newFixture(t)
	checkout := f.prePay(f.prePayRequest("ORD-1"))

	result := f.press(checkout.PaymentURL, "decline")

	assertContains(t, result.body, "Payment declined", "200 OK",
		`href="/checkout/`+checkout.Token+`"`)
	n := f.receiver.waitFor(1)[0]
	if n.Status != payments.StatusFailed || n.ResultDescription != DeclineDescription {
		t.Errorf("notification = %s %q, want FAILED %q", n.Status, n.ResultDescription, DeclineDescription)
	}

	page := f.get(checkout.PaymentURL, "")
	if page.status != http.StatusOK {
		t.Fatalf("declined checkout page status = %d, want 200", page.status)
	}
	assertContains(t, page.body, "The previous attempt was declined")

	f.press(checkout.PaymentURL, "pay")
	notifications := f.receiver.waitFor(2)
	if notifications[1].Status != payments.StatusSuccess || notifications[1].ResultDescription != "" {
		t.Errorf("second notification = %s %q, want SUCCESS without a reason",
			notifications[1].Status, notifications[1].ResultDescription)
	}
	if notifications[1].TransactionID != notifications[0].TransactionID {
		t.Error("the retry has another transactionId, want the checkout's one")
	}
}

func TestPay_FormTokenChecked(t *testing.T) {
	f := newFixture(t)
	checkout := f.prePay(f.prePayRequest("ORD-1"))

	for name, form := range map[string]url.Values{
		"missing": {},
		"wrong":   {csrfField: {"not-the-token"}},
		"empty":   {csrfField: {""}},
	} {
		page := f.submit(checkout.PaymentURL, "pay", form)

		if page.status != http.StatusForbidden {
			t.Errorf("%s form token: status = %d, want 403", name, page.status)
		}
		assertContains(t, page.body, "Request rejected")
	}
	if n := len(f.receiver.all()); n != 0 {
		t.Errorf("receiver got %d notifications, want 0", n)
	}
	if got := queryStatus(t, f.provider, "ORD-1"); got.Status != payments.StatusInit {
		t.Errorf("status = %s, want INIT", got.Status)
	}
}

func TestPay_UnknownToken(t *testing.T) {
	f := newFixture(t)

	page := f.submit("http://127.0.0.1:8000/checkout/unknown", "pay", url.Values{csrfField: {"x"}})

	if page.status != http.StatusNotFound {
		t.Errorf("status = %d, want 404", page.status)
	}
}

func TestPay_FormTooLarge(t *testing.T) {
	f := newFixture(t)
	checkout := f.prePay(f.prePayRequest("ORD-1"))

	page := f.submit(checkout.PaymentURL, "pay", url.Values{"pad": {strings.Repeat("a", maxFormBytes)}})

	if page.status != http.StatusRequestEntityTooLarge {
		t.Errorf("status = %d, want 413", page.status)
	}
	assertContains(t, page.body, "Request too large")
	if n := len(f.receiver.all()); n != 0 {
		t.Errorf("receiver got %d notifications, want 0", n)
	}
}

func TestPay_ShopRejectsNotification(t *testing.T) {
	f := newFixture(t)
	f.receiver.answerWith(http.StatusUnauthorized, `{"error":"invalid_signature"}`)
	checkout := f.prePay(f.prePayRequest("ORD-1"))

	result := f.press(checkout.PaymentURL, "pay")

	if result.status != http.StatusBadGateway {
		t.Errorf("status = %d, want 502", result.status)
	}
	assertContains(t, result.body, "The shop did not accept the notification: 401 Unauthorized",
		"counts as made")
	if got := queryStatus(t, f.provider, "ORD-1"); got.Status != payments.StatusSuccess {
		t.Errorf("status = %s, want SUCCESS for the reconciler to find", got.Status)
	}
	if err := f.provider.Close(); err != nil {
		t.Fatal(err)
	}
	if n := len(f.receiver.all()); n != 1 {
		t.Errorf("receiver got %d posts, want 1: a 401 is not retried", n)
	}
}

func TestPay_ShopAnswersFailIsRetried(t *testing.T) {
	f := newFixture(t)
	f.receiver.answerWith(http.StatusOK, "FAIL")
	checkout := f.prePay(f.prePayRequest("ORD-1"))

	result := f.press(checkout.PaymentURL, "decline")

	if result.status != http.StatusAccepted {
		t.Errorf("status = %d, want 202", result.status)
	}
	assertContains(t, result.body, "Payment declined", "sent again in the background",
		"The shop responded with 200 OK")
	notifications := f.receiver.waitFor(1 + len(testRetryDelays))
	if err := f.provider.Close(); err != nil {
		t.Fatal(err)
	}
	if n := len(f.receiver.all()); n != 1+len(testRetryDelays) {
		t.Errorf("receiver got %d posts, want %d: one and a retry per delay", n, 1+len(testRetryDelays))
	}
	for i, n := range notifications {
		if n.Status != payments.StatusFailed || n.RequestID != notifications[0].RequestID {
			t.Errorf("post %d = %s %s, want the first FAILED notification again", i+1, n.Status, n.RequestID)
		}
	}
}

func TestPay_ShopUnreachable(t *testing.T) {
	closed := httptest.NewServer(http.NotFoundHandler())
	unreachable := closed.URL + payments.NotificationPath
	closed.Close()
	f := newFixture(t, func(o *Options) { o.NotifyURL = unreachable })
	checkout := f.prePay(f.prePayRequest("ORD-1"))

	result := f.press(checkout.PaymentURL, "pay")

	if result.status != http.StatusAccepted {
		t.Errorf("status = %d, want 202", result.status)
	}
	assertContains(t, result.body, "Payment made, confirmation on its way")
	if got := queryStatus(t, f.provider, "ORD-1"); got.Status != payments.StatusSuccess {
		t.Errorf("status = %s, want SUCCESS for the reconciler to find", got.Status)
	}
}

func TestPay_ExpiredCheckout(t *testing.T) {
	f := newFixture(t)
	checkout := f.prePay(f.prePayRequest("ORD-1"))
	form := url.Values{csrfField: {formToken(t, f.get(checkout.PaymentURL, "").body)}}
	f.advance(payments.CheckoutValidity)

	if page := f.get(checkout.PaymentURL, ""); page.status != http.StatusNotFound {
		t.Errorf("expired checkout page status = %d, want 404", page.status)
	}
	if page := f.submit(checkout.PaymentURL, "pay", form); page.status != http.StatusNotFound {
		t.Errorf("pay on an expired checkout: status = %d, want 404", page.status)
	}
	if n := len(f.receiver.all()); n != 0 {
		t.Errorf("receiver got %d notifications, want 0", n)
	}
}

func TestPageTexts(t *testing.T) {
	tests := []struct {
		acceptLanguage, checkoutLanguage string
		want                             *texts
	}{
		{"", "", english},
		{"", "zh", chinese},
		{"", "zh-hans", chinese},
		{"en-GB", "zh", chinese},
		{"zh-CN", "", chinese},
		{"zh-CN", "en", chinese},
		{"ZH-tw;q=0.8, en;q=0.7", "", chinese},
		{"en;q=0.5, zh;q=0.9", "", chinese},
		{"zh;q=0, en;q=0.1", "", english},
		{"zh;q=0, en;q=0.1", "zh", chinese},
		{"de, fr;q=0.9", "zh", chinese},
		{"zh;q=bad", "", english},
	}
	for _, tt := range tests {
		if got := pageTexts(tt.acceptLanguage, tt.checkoutLanguage); got != tt.want {
			t.Errorf("pageTexts(%q, %q) = %s, want %s", tt.acceptLanguage, tt.checkoutLanguage, got.lang, tt.want.lang)
		}
	}
}

func TestCheckoutPage_ShowsDescription(t *testing.T) {
	f := newFixture(t)
	req := f.prePayRequest("ORD-1")
	req.GoodsDescription = "PDF and EPUB, 120 pages"
	withDescription := f.prePay(req)
	withoutDescription := f.prePay(f.prePayRequest("ORD-2"))

	page := f.get(withDescription.PaymentURL, "")
	plain := f.get(withoutDescription.PaymentURL, "")

	assertContains(t, page.body, "<dt>Description</dt><dd>PDF and EPUB, 120 pages</dd>")
	if strings.Contains(plain.body, "<dt>Description</dt>") {
		t.Errorf("page without a description shows the Description row:\n%s", plain.body)
	}
}

func TestDecline_ReasonInCheckoutLanguage(t *testing.T) {
	f := newFixture(t)
	zhRequest := f.prePayRequest("ORD-ZH")
	zhRequest.Language = "zh"
	chinese := f.prePay(zhRequest)
	english := f.prePay(f.prePayRequest("ORD-EN"))

	f.press(chinese.PaymentURL, "decline")
	f.press(english.PaymentURL, "decline")

	notifications := f.receiver.waitFor(2)
	if got := notifications[0].ResultDescription; got != DeclineDescriptionChinese {
		t.Errorf("Chinese checkout resultDescription = %q, want %q", got, DeclineDescriptionChinese)
	}
	if got := notifications[1].ResultDescription; got != DeclineDescription {
		t.Errorf("English checkout resultDescription = %q, want %q", got, DeclineDescription)
	}
	if got := queryStatus(t, f.provider, "ORD-ZH"); got.ResultDescription != DeclineDescriptionChinese {
		t.Errorf("Query resultDescription = %q, want %q", got.ResultDescription, DeclineDescriptionChinese)
	}
}

func TestServeErrorPage(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name           string
		status         int
		retryAfter     string
		acceptLanguage string
		wants          []string
	}{
		{"rate limited", http.StatusTooManyRequests, "7", "en-US",
			[]string{`<html lang="en">`, "Too many requests", "Wait 7 seconds"}},
		{"rate limited, Chinese", http.StatusTooManyRequests, "7", "zh-CN,zh;q=0.9",
			[]string{`<html lang="zh">`, "请求过于频繁", "请等待 7 秒"}},
		{"rate limited without a delay", http.StatusTooManyRequests, "", "",
			[]string{"Too many requests", "Wait a moment"}},
		{"too large", http.StatusRequestEntityTooLarge, "", "",
			[]string{"Request too large", "Reload the checkout page"}},
		{"too large, Chinese", http.StatusRequestEntityTooLarge, "", "zh",
			[]string{"请求过大"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodPost, "/checkout/tok/pay", nil)
			req.Header.Set("Accept-Language", tt.acceptLanguage)
			recorder := httptest.NewRecorder()
			if tt.retryAfter != "" {
				recorder.Header().Set("Retry-After", tt.retryAfter)
			}

			f.provider.ServeErrorPage(recorder, req, tt.status)

			if recorder.Code != tt.status {
				t.Errorf("status = %d, want %d", recorder.Code, tt.status)
			}
			if ct := recorder.Header().Get("Content-Type"); ct != "text/html; charset=utf-8" {
				t.Errorf("Content-Type = %q, want text/html", ct)
			}
			if got := recorder.Header().Get("Retry-After"); got != tt.retryAfter {
				t.Errorf("Retry-After = %q, want %q", got, tt.retryAfter)
			}
			assertContains(t, recorder.Body.String(), tt.wants...)
		})
	}
}
