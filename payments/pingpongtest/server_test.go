package pingpongtest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"telegram-bot-webhook/payments"
	"telegram-bot-webhook/payments/pingpongtest"
)

func validPrePay() map[string]string {
	return map[string]string{
		"captureDelayHours":     "0",
		"amount":                "10.00",
		"currency":              "USD",
		"merchantTransactionId": "ORD-1",
		"shopperIP":             "203.0.113.7",
		"notificationUrl":       "https://shop.example/webhook/pingpong",
		"remark":                "sku-1",
	}
}

// call POSTs a signed envelope and returns the verified response envelope.
func call(t *testing.T, srv *pingpongtest.Server, path string, env payments.Envelope) payments.Envelope {
	t.Helper()
	body, err := env.JSON()
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post(srv.URL+path, "application/json", strings.NewReader(string(body)))
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST %s: HTTP %d: %s", path, resp.StatusCode, data)
	}

	var reply payments.Envelope
	if err := json.Unmarshal(data, &reply); err != nil {
		t.Fatalf("response %s is not a flat JSON object: %v", data, err)
	}
	if err := reply.Verify(srv.Config().Salt); err != nil {
		t.Fatalf("response signature: %v", err)
	}
	return reply
}

func signed(t *testing.T, srv *pingpongtest.Server, biz any) payments.Envelope {
	t.Helper()
	cfg := srv.Config()
	env, err := payments.BuildEnvelope(cfg.AccID, cfg.ClientID, cfg.SignType, cfg.Salt, biz)
	if err != nil {
		t.Fatal(err)
	}
	return env
}

func bizOf(t *testing.T, env payments.Envelope) map[string]string {
	t.Helper()
	var biz map[string]string
	if err := json.Unmarshal([]byte(env["bizContent"]), &biz); err != nil {
		t.Fatalf("bizContent %q: %v", env["bizContent"], err)
	}
	return biz
}

func TestServer_DefaultsToSandboxStore(t *testing.T) {
	srv := pingpongtest.NewServer(t, pingpongtest.Config{})
	want := pingpongtest.Config{ClientID: pingpongtest.SandboxClientID, AccID: pingpongtest.SandboxAccID,
		Salt: pingpongtest.SandboxSalt, SignType: payments.SignSHA256}
	if srv.Config() != want {
		t.Errorf("Config = %+v, want %+v", srv.Config(), want)
	}
	if !strings.HasPrefix(srv.URL, "http://127.0.0.1:") {
		t.Errorf("URL = %s, want a loopback address", srv.URL)
	}
}

func TestServerPrePay_ReturnsSignedCheckout(t *testing.T) {
	srv := pingpongtest.NewServer(t, pingpongtest.Config{})
	reply := call(t, srv, payments.PathPrePay, signed(t, srv, validPrePay()))

	if reply["code"] != payments.CodeRequestSucceeded {
		t.Fatalf("code = %s (%s), want 001000", reply["code"], reply["description"])
	}
	biz := bizOf(t, reply)
	if biz["merchantTransactionId"] != "ORD-1" || biz["amount"] != "10.00" || biz["currency"] != "USD" {
		t.Errorf("bizContent = %v", biz)
	}
	if biz["paymentUrl"] != srv.URL+"/checkout/"+biz["token"] || biz["innerJsUrl"] == "" {
		t.Errorf("paymentUrl %q, innerJsUrl %q", biz["paymentUrl"], biz["innerJsUrl"])
	}

	c, ok := srv.Checkout("ORD-1")
	if !ok {
		t.Fatal("checkout not recorded")
	}
	if c.NotificationURL != "https://shop.example/webhook/pingpong" || c.Status != payments.StatusInit {
		t.Errorf("checkout = %+v", c)
	}
	if c.Biz["remark"] != "sku-1" || !strings.Contains(c.BizContent, `"remark":"sku-1"`) {
		t.Errorf("Biz = %v, BizContent = %s", c.Biz, c.BizContent)
	}
}

func TestServerPrePay_MissingFields(t *testing.T) {
	srv := pingpongtest.NewServer(t, pingpongtest.Config{})
	for _, key := range []string{"amount", "currency", "merchantTransactionId", "shopperIP", "notificationUrl"} {
		t.Run(key, func(t *testing.T) {
			biz := validPrePay()
			delete(biz, key)
			reply := call(t, srv, payments.PathPrePay, signed(t, srv, biz))
			if reply["code"] != pingpongtest.CodeInvalidParameter || !strings.Contains(reply["description"], key) {
				t.Errorf("code %s description %q, want %s naming %s",
					reply["code"], reply["description"], pingpongtest.CodeInvalidParameter, key)
			}
		})
	}
	if n := len(srv.Checkouts()); n != 0 {
		t.Errorf("%d checkouts recorded, want 0", n)
	}
}

func TestServerPrePay_BadRequestSignature(t *testing.T) {
	srv := pingpongtest.NewServer(t, pingpongtest.Config{})
	env := signed(t, srv, validPrePay())
	env["bizContent"] = strings.Replace(env["bizContent"], "10.00", "0.01", 1)

	reply := call(t, srv, payments.PathPrePay, env)
	if reply["code"] != payments.CodeInvalidSignature || reply["description"] != "invalid signature" {
		t.Errorf("code %s description %q, want 104000 invalid signature", reply["code"], reply["description"])
	}
	if n := len(srv.Checkouts()); n != 0 {
		t.Errorf("%d checkouts recorded, want 0", n)
	}
}

func TestServerPrePay_StoreMismatch(t *testing.T) {
	srv := pingpongtest.NewServer(t, pingpongtest.Config{})
	cfg := srv.Config()
	env, err := payments.BuildEnvelope("2018092714313010016999", cfg.ClientID, cfg.SignType, cfg.Salt, validPrePay())
	if err != nil {
		t.Fatal(err)
	}
	reply := call(t, srv, payments.PathPrePay, env)
	if reply["code"] != pingpongtest.CodeMerchantMismatch {
		t.Errorf("code = %s, want %s", reply["code"], pingpongtest.CodeMerchantMismatch)
	}
}

func TestServer_RejectsWrongMethodAndMediaType(t *testing.T) {
	srv := pingpongtest.NewServer(t, pingpongtest.Config{})

	resp, err := http.Get(srv.URL + payments.PathPrePay)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET status = %d, want 405", resp.StatusCode)
	}

	resp, err = http.Post(srv.URL+payments.PathPrePay, "text/plain", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnsupportedMediaType {
		t.Errorf("text/plain status = %d, want 415", resp.StatusCode)
	}
}

func TestServer_InjectedFailuresQueue(t *testing.T) {
	srv := pingpongtest.NewServer(t, pingpongtest.Config{})
	srv.FailNext(payments.PathPrePay, "200001", "risk rejected")
	srv.FailNext(payments.PathPrePay, "300001", "declined")

	for _, want := range []string{"200001", "300001", payments.CodeRequestSucceeded} {
		reply := call(t, srv, payments.PathPrePay, signed(t, srv, validPrePay()))
		if reply["code"] != want {
			t.Errorf("code = %s, want %s", reply["code"], want)
		}
	}
	if n := srv.Requests(payments.PathPrePay); n != 3 {
		t.Errorf("Requests = %d, want 3", n)
	}
	if n := srv.Requests(payments.PathQuery); n != 0 {
		t.Errorf("query Requests = %d, want 0", n)
	}
}

func TestServer_InjectedHTTPFailure(t *testing.T) {
	srv := pingpongtest.NewServer(t, pingpongtest.Config{})
	srv.FailNextHTTP(payments.PathQuery, http.StatusBadGateway)

	body, err := signed(t, srv, map[string]string{"merchantTransactionId": "ORD-1"}).JSON()
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post(srv.URL+payments.PathQuery, "application/json", strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadGateway {
		t.Errorf("status = %d, want 502", resp.StatusCode)
	}

	reply := call(t, srv, payments.PathQuery, signed(t, srv, map[string]string{"merchantTransactionId": "ORD-1"}))
	if reply["code"] != pingpongtest.CodeTransactionNotFound {
		t.Errorf("code = %s, want %s", reply["code"], pingpongtest.CodeTransactionNotFound)
	}
}

func TestServerQuery_ByTransactionID(t *testing.T) {
	srv := pingpongtest.NewServer(t, pingpongtest.Config{})
	created := bizOf(t, call(t, srv, payments.PathPrePay, signed(t, srv, validPrePay())))
	srv.SetStatus("ORD-1", payments.StatusSuccess)

	reply := call(t, srv, payments.PathQuery, signed(t, srv, map[string]string{"transactionId": created["transactionId"]}))
	biz := bizOf(t, reply)
	if biz["status"] != payments.StatusSuccess || biz["merchantTransactionId"] != "ORD-1" {
		t.Errorf("query bizContent = %v", biz)
	}
}

func TestServer_CheckoutPage(t *testing.T) {
	srv := pingpongtest.NewServer(t, pingpongtest.Config{})
	created := bizOf(t, call(t, srv, payments.PathPrePay, signed(t, srv, validPrePay())))

	resp, err := http.Get(created["paymentUrl"])
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(page), "ORD-1") {
		t.Errorf("checkout page: HTTP %d %s", resp.StatusCode, page)
	}

	resp, err = http.Get(srv.URL + "/checkout/unknown")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown checkout: HTTP %d, want 404", resp.StatusCode)
	}
}

func TestServerPaymentNotification_Verifies(t *testing.T) {
	srv := pingpongtest.NewServer(t, pingpongtest.Config{SignType: payments.SignMD5})
	created := bizOf(t, call(t, srv, payments.PathPrePay, signed(t, srv, validPrePay())))

	body := srv.PaymentNotification("ORD-1", payments.StatusSuccess)
	n, err := payments.ParseNotification(body, srv.Config().Salt)
	if err != nil {
		t.Fatalf("ParseNotification: %v", err)
	}
	if n.NotifyType != payments.NotifyRecharge || n.Status != payments.StatusSuccess || n.SignType != payments.SignMD5 {
		t.Errorf("notification = %+v", n)
	}
	if n.Amount != "10.00" || n.Currency != "USD" || n.TransactionID != created["transactionId"] || n.Remark != "sku-1" {
		t.Errorf("notification = %+v", n)
	}
	if n.RequestID == "" || n.TransactionTime == "" {
		t.Errorf("requestId %q transactionTime %q must be set", n.RequestID, n.TransactionTime)
	}

	again, err := payments.ParseNotification(srv.PaymentNotification("ORD-1", payments.StatusSuccess), srv.Config().Salt)
	if err != nil {
		t.Fatal(err)
	}
	if again.RequestID == n.RequestID {
		t.Errorf("two notifications share requestId %s", n.RequestID)
	}
	if again.EventKey() != n.EventKey() {
		t.Errorf("event keys %s and %s differ for one event", again.EventKey(), n.EventKey())
	}

	if c, _ := srv.Checkout("ORD-1"); c.Status != payments.StatusSuccess {
		t.Errorf("checkout status = %s, want SUCCESS after the notification", c.Status)
	}
}

func TestServerPaymentNotification_Options(t *testing.T) {
	srv := pingpongtest.NewServer(t, pingpongtest.Config{})
	call(t, srv, payments.PathPrePay, signed(t, srv, validPrePay()))

	body := srv.PaymentNotification("ORD-1", payments.StatusFailed,
		pingpongtest.WithAmount("1.00"),
		pingpongtest.WithCurrency("EUR"),
		pingpongtest.WithTransactionID("TX-OTHER"),
		pingpongtest.WithRequestID("REQ-FIXED"),
		pingpongtest.WithResult("300001", "Do not honor"),
		pingpongtest.WithField("cardBrand", "VISA"))
	n, err := payments.ParseNotification(body, srv.Config().Salt)
	if err != nil {
		t.Fatalf("ParseNotification: %v", err)
	}
	if n.Amount != "1.00" || n.Currency != "EUR" || n.TransactionID != "TX-OTHER" || n.RequestID != "REQ-FIXED" {
		t.Errorf("notification = %+v", n)
	}
	if n.ResultCode != "300001" || n.ResultDescription != "Do not honor" {
		t.Errorf("result = %s %s", n.ResultCode, n.ResultDescription)
	}
	if !strings.Contains(n.Envelope["bizContent"], `"cardBrand":"VISA"`) {
		t.Errorf("bizContent %s lacks cardBrand", n.Envelope["bizContent"])
	}
	if c, _ := srv.Checkout("ORD-1"); c.ResultDescription != "Do not honor" {
		t.Errorf("checkout failure reason = %q", c.ResultDescription)
	}
}

func TestServerRefundNotification_RecordedAndBackOffice(t *testing.T) {
	srv := pingpongtest.NewServer(t, pingpongtest.Config{})
	client, err := payments.NewClient(srv.ClientConfig())
	if err != nil {
		t.Fatal(err)
	}
	call(t, srv, payments.PathPrePay, signed(t, srv, validPrePay()))
	srv.SetStatus("ORD-1", payments.StatusSuccess)
	srv.SetRefundStatus(payments.StatusProcessing)

	res, err := client.Refund(context.Background(), payments.RefundRequest{
		MerchantTransactionID: "ORD-1", MerchantRefundID: "RF-1", AmountMinor: 1000, Currency: "USD"})
	if err != nil {
		t.Fatalf("Refund: %v", err)
	}

	n, err := payments.ParseNotification(
		srv.RefundNotification("ORD-1", res.RefundID, "10.00", payments.StatusSuccess), srv.Config().Salt)
	if err != nil {
		t.Fatalf("ParseNotification: %v", err)
	}
	if n.NotifyType != payments.NotifyRefund || n.MerchantRefundID != "RF-1" || n.RefundID != res.RefundID {
		t.Errorf("refund notification = %+v", n)
	}
	if n.Amount != "10.00" || n.RefundTime == "" {
		t.Errorf("amount %q refundTime %q", n.Amount, n.RefundTime)
	}
	if got := srv.Refunds()[0].Status; got != payments.StatusSuccess {
		t.Errorf("recorded refund status = %s, want SUCCESS", got)
	}

	backOffice, err := payments.ParseNotification(
		srv.RefundNotification("ORD-1", "PP-RF-9", "1.00", payments.StatusSuccess), srv.Config().Salt)
	if err != nil {
		t.Fatalf("ParseNotification: %v", err)
	}
	if backOffice.MerchantRefundID != "" || backOffice.RefundID != "PP-RF-9" {
		t.Errorf("back-office refund notification = %+v", backOffice)
	}
}

func TestServerPost_DeliversBody(t *testing.T) {
	srv := pingpongtest.NewServer(t, pingpongtest.Config{})
	call(t, srv, payments.PathPrePay, signed(t, srv, validPrePay()))

	got := make(chan string, 1)
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		data, _ := io.ReadAll(r.Body)
		got <- r.Header.Get("Content-Type") + " " + string(data)
		_, _ = w.Write([]byte("SUCCESS"))
	}))
	t.Cleanup(receiver.Close)

	body := srv.PaymentNotification("ORD-1", payments.StatusSuccess)
	resp, text := srv.Post(t, receiver.URL+"/webhook/pingpong", body)
	if resp.StatusCode != http.StatusOK || text != "SUCCESS" {
		t.Errorf("Post = HTTP %d %q", resp.StatusCode, text)
	}
	if want := "application/json " + string(body); <-got != want {
		t.Error("receiver did not get the JSON body")
	}
}

func TestServer_ConcurrentCheckouts(t *testing.T) {
	srv := pingpongtest.NewServer(t, pingpongtest.Config{})
	client, err := payments.NewClient(srv.ClientConfig())
	if err != nil {
		t.Fatal(err)
	}

	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := client.PrePay(context.Background(), payments.PrePayRequest{
				MerchantTransactionID: fmt.Sprintf("ORD-%d", i%10),
				AmountMinor:           100,
				Currency:              "USD",
				ShopperIP:             "203.0.113.7",
				NotificationURL:       "https://shop.example/webhook/pingpong",
			})
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("PrePay: %v", err)
		}
	}
	if n := len(srv.Checkouts()); n != 10 {
		t.Errorf("%d checkouts, want 10", n)
	}
	if n := srv.Requests(payments.PathPrePay); n != 20 {
		t.Errorf("Requests = %d, want 20", n)
	}
}
