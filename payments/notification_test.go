package payments

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

const (
	testAccID    = "2018092714313010016291"
	testClientID = "2018092714313010016"
	testSalt     = "F78BC96A55548B2319EE68E0"
)

func paidFields() NotificationFields {
	return NotificationFields{
		NotifyType:            NotifyRecharge,
		Status:                StatusSuccess,
		Amount:                "9.99",
		Currency:              "USD",
		MerchantTransactionID: "ORD-1",
		TransactionID:         "TX-1",
		TransactionTime:       "1700000000000",
		RequestID:             "REQ-1",
		Remark:                "sku-1",
	}
}

func buildNotification(t *testing.T, f NotificationFields) []byte {
	t.Helper()
	body, err := BuildNotification(testAccID, testClientID, SignSHA256, testSalt, f)
	if err != nil {
		t.Fatalf("BuildNotification: %v", err)
	}
	return body
}

// signedBody signs an envelope whose bizContent is the given raw text.
func signedBody(t *testing.T, bizContent string) []byte {
	t.Helper()
	env := Envelope{
		"accId": testAccID, "clientId": testClientID, "signType": SignSHA256,
		"version": "1.0", "bizContent": bizContent,
	}
	if err := env.SetSign(testSalt); err != nil {
		t.Fatal(err)
	}
	body, err := env.JSON()
	if err != nil {
		t.Fatal(err)
	}
	return body
}

func TestParseNotification_Payment(t *testing.T) {
	n, err := ParseNotification(buildNotification(t, paidFields()), testSalt)
	if err != nil {
		t.Fatalf("ParseNotification: %v", err)
	}

	checks := map[string][2]string{
		"AccID":                 {n.AccID, testAccID},
		"ClientID":              {n.ClientID, testClientID},
		"SignType":              {n.SignType, SignSHA256},
		"NotifyType":            {n.NotifyType, NotifyRecharge},
		"Status":                {n.Status, StatusSuccess},
		"Amount":                {n.Amount, "9.99"},
		"Currency":              {n.Currency, "USD"},
		"MerchantTransactionID": {n.MerchantTransactionID, "ORD-1"},
		"TransactionID":         {n.TransactionID, "TX-1"},
		"TransactionTime":       {n.TransactionTime, "1700000000000"},
		"RequestID":             {n.RequestID, "REQ-1"},
		"Remark":                {n.Remark, "sku-1"},
	}
	for name, c := range checks {
		if c[0] != c[1] {
			t.Errorf("%s = %q, want %q", name, c[0], c[1])
		}
	}
	if n.Envelope["sign"] == "" {
		t.Error("Envelope has no sign")
	}
}

func TestParseNotification_Refund(t *testing.T) {
	body := buildNotification(t, NotificationFields{
		NotifyType:            NotifyRefund,
		Status:                StatusSuccess,
		Amount:                "5.00",
		Currency:              "USD",
		MerchantTransactionID: "ORD-1",
		TransactionID:         "TX-1",
		MerchantRefundID:      "RF-ORD-1",
		RefundID:              "PPRF-1",
		RefundTime:            "1700000001000",
	})
	n, err := ParseNotification(body, testSalt)
	if err != nil {
		t.Fatalf("ParseNotification: %v", err)
	}
	if n.MerchantRefundID != "RF-ORD-1" || n.RefundID != "PPRF-1" || n.RefundTime != "1700000001000" {
		t.Errorf("refund fields = %q %q %q", n.MerchantRefundID, n.RefundID, n.RefundTime)
	}
	if got, want := n.EventKey(), "refund:PPRF-1:SUCCESS"; got != want {
		t.Errorf("EventKey = %q, want %q", got, want)
	}
}

func TestParseNotification_NumbersAsLiteralText(t *testing.T) {
	body := signedBody(t, `{"notifyType":"RECHARGE","status":"SUCCESS","amount":100.00,`+
		`"currency":"USD","merchantTransactionId":"ORD-1","transactionTime":1700000000000,`+
		`"transactionId":"TX-1","card":{"brand":"VISA"},"remark":null}`)
	n, err := ParseNotification(body, testSalt)
	if err != nil {
		t.Fatalf("ParseNotification: %v", err)
	}
	if n.Amount != "100.00" {
		t.Errorf("Amount = %q, want 100.00", n.Amount)
	}
	if n.TransactionTime != "1700000000000" {
		t.Errorf("TransactionTime = %q, want 1700000000000", n.TransactionTime)
	}
	if n.Remark != "" {
		t.Errorf("Remark = %q, want empty", n.Remark)
	}
}

func TestParseNotification_FailureReasonFields(t *testing.T) {
	cases := []struct {
		name      string
		extra     string
		wantCode  string
		wantDescr string
	}{
		{"result fields", `"resultCode":"300001","resultDescription":"Do not honor"`, "300001", "Do not honor"},
		{"error fields", `"errorCode":"200010","errorMsg":"Risk rejected"`, "200010", "Risk rejected"},
		{"failure reason", `"failureReason":"Insufficient funds"`, "", "Insufficient funds"},
		{"result wins", `"resultDescription":"A","errorMsg":"B","failureReason":"C"`, "", "A"},
		{"blank result skipped", `"resultDescription":" ","errorMsg":"B"`, "", "B"},
		{"none", `"x":"y"`, "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			body := signedBody(t, `{"notifyType":"RECHARGE","status":"FAILED",`+
				`"merchantTransactionId":"ORD-1",`+tc.extra+`}`)
			n, err := ParseNotification(body, testSalt)
			if err != nil {
				t.Fatalf("ParseNotification: %v", err)
			}
			if n.ResultCode != tc.wantCode {
				t.Errorf("ResultCode = %q, want %q", n.ResultCode, tc.wantCode)
			}
			if n.ResultDescription != tc.wantDescr {
				t.Errorf("ResultDescription = %q, want %q", n.ResultDescription, tc.wantDescr)
			}
		})
	}
}

func TestParseNotification_BadSignatureBeforeBizContent(t *testing.T) {
	// The bizContent is not even JSON: a forged body must be reported as a
	// signature failure, which proves bizContent was never read.
	env := Envelope{
		"accId": testAccID, "clientId": testClientID, "signType": SignSHA256,
		"bizContent": "not json", "sign": strings.Repeat("A", 64),
	}
	body, err := env.JSON()
	if err != nil {
		t.Fatal(err)
	}
	_, err = ParseNotification(body, testSalt)
	if !errors.Is(err, ErrBadSignature) {
		t.Fatalf("ParseNotification = %v, want ErrBadSignature", err)
	}
	if errors.Is(err, ErrMalformed) {
		t.Errorf("error %v also wraps ErrMalformed", err)
	}
}

func TestParseNotification_Tampered(t *testing.T) {
	body := buildNotification(t, paidFields())
	var fields map[string]string
	if err := json.Unmarshal(body, &fields); err != nil {
		t.Fatal(err)
	}
	fields["bizContent"] = strings.Replace(fields["bizContent"], `"9.99"`, `"0.01"`, 1)
	tampered, err := json.Marshal(fields)
	if err != nil {
		t.Fatal(err)
	}

	if _, err := ParseNotification(tampered, testSalt); !errors.Is(err, ErrBadSignature) {
		t.Errorf("ParseNotification of a tampered amount = %v, want ErrBadSignature", err)
	}
	if _, err := ParseNotification(body, "another-salt"); !errors.Is(err, ErrBadSignature) {
		t.Errorf("ParseNotification with another salt = %v, want ErrBadSignature", err)
	}
}

func TestParseNotification_Malformed(t *testing.T) {
	cases := []struct {
		name    string
		biz     string
		mention string
	}{
		{"bizContent array", `["a"]`, "not a JSON object"},
		{"bizContent null", `null`, "not a JSON object"},
		{"bizContent text", `hello`, "not a JSON object"},
		{"bizContent trailing", `{"notifyType":"RECHARGE"} x`, "not a JSON object"},
		{"missing notifyType", `{"status":"SUCCESS","merchantTransactionId":"O"}`, `"notifyType"`},
		{"missing status", `{"notifyType":"RECHARGE","merchantTransactionId":"O"}`, `"status"`},
		{"missing order id", `{"notifyType":"RECHARGE","status":"SUCCESS"}`, `"merchantTransactionId"`},
		{"object status", `{"notifyType":"RECHARGE","status":{},"merchantTransactionId":"O"}`, `"status"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseNotification(signedBody(t, tc.biz), testSalt)
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("ParseNotification = %v, want ErrMalformed", err)
			}
			if !strings.Contains(err.Error(), tc.mention) {
				t.Errorf("error %q does not mention %s", err, tc.mention)
			}
		})
	}

	if _, err := ParseNotification([]byte(`{"a":1}`), testSalt); !errors.Is(err, ErrMalformed) {
		t.Errorf("ParseNotification of a bad envelope = %v, want ErrMalformed", err)
	}
}

func TestNotificationEventKey_Cases(t *testing.T) {
	cases := []struct {
		name string
		n    Notification
		want string
	}{
		{"payment success", Notification{NotifyType: NotifyRecharge, Status: StatusSuccess,
			TransactionID: "TX", RequestID: "R"}, "pay:TX:RECHARGE:SUCCESS"},
		{"payment failed", Notification{NotifyType: NotifyRecharge, Status: StatusFailed,
			TransactionID: "TX"}, "pay:TX:RECHARGE:FAILED"},
		{"other type", Notification{NotifyType: "CAPTURE", Status: StatusSuccess,
			TransactionID: "TX"}, "pay:TX:CAPTURE:SUCCESS"},
		{"refund", Notification{NotifyType: NotifyRefund, Status: StatusFailed,
			TransactionID: "TX", RefundID: "RF"}, "refund:RF:FAILED"},
		{"refund without refund id", Notification{NotifyType: NotifyRefund, Status: StatusSuccess,
			TransactionID: "TX", RequestID: "R"}, "req:R"},
		{"payment without transaction id", Notification{NotifyType: NotifyRecharge,
			Status: StatusSuccess, RequestID: "R"}, "req:R"},
		{"no ids", Notification{NotifyType: NotifyRecharge, Status: StatusSuccess,
			Envelope: Envelope{"sign": "ABC"}}, "sign:ABC"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.n.EventKey(); got != tc.want {
				t.Errorf("EventKey = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestNotificationEventKey_SameForResentBody(t *testing.T) {
	f := paidFields()
	f.TransactionID = ""
	f.RequestID = ""
	body := buildNotification(t, f)

	first, err := ParseNotification(body, testSalt)
	if err != nil {
		t.Fatal(err)
	}
	second, err := ParseNotification(body, testSalt)
	if err != nil {
		t.Fatal(err)
	}
	if first.EventKey() != second.EventKey() || !strings.HasPrefix(first.EventKey(), "sign:") {
		t.Errorf("keys %q and %q, want one sign: key", first.EventKey(), second.EventKey())
	}
}

func TestBuildNotification_WireShape(t *testing.T) {
	f := paidFields()
	f.Extra = map[string]string{"cardBrand": "VISA"}
	body := buildNotification(t, f)

	var env map[string]any
	if err := json.Unmarshal(body, &env); err != nil {
		t.Fatalf("body is not JSON: %v", err)
	}
	for _, key := range []string{"accId", "clientId", "signType", "sign", "version", "bizContent"} {
		if _, ok := env[key].(string); !ok {
			t.Errorf("field %s = %v, want a string", key, env[key])
		}
	}

	var biz map[string]string
	if err := json.Unmarshal([]byte(env["bizContent"].(string)), &biz); err != nil {
		t.Fatalf("bizContent is not a JSON object of strings: %v", err)
	}
	if biz["cardBrand"] != "VISA" || biz["amount"] != "9.99" {
		t.Errorf("bizContent = %v", biz)
	}
	if _, ok := biz["refundId"]; ok {
		t.Error("empty refundId was sent, want it left out")
	}
}

func TestBuildNotification_Rejections(t *testing.T) {
	missing := paidFields()
	missing.Status = ""
	if _, err := BuildNotification(testAccID, testClientID, SignSHA256, testSalt, missing); err == nil {
		t.Error("BuildNotification without status succeeded")
	}

	clash := paidFields()
	clash.Extra = map[string]string{"amount": "1"}
	if _, err := BuildNotification(testAccID, testClientID, SignSHA256, testSalt, clash); err == nil {
		t.Error("BuildNotification with an extra amount succeeded")
	}

	if _, err := BuildNotification(testAccID, testClientID, "SHA512", testSalt, paidFields()); err == nil {
		t.Error("BuildNotification with sign type SHA512 succeeded")
	}
}
