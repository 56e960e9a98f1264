package tools

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"telegram-bot-webhook/payments"
)

// signedSample returns the sample notification signed the way PingPong
// signs it.
func signedSample(t *testing.T) []byte {
	t.Helper()
	members := sampleMembers(sampleBizContent)
	return encodeBody(t, members, sha256Hex(testSalt+joinMembers(members)))
}

func wantInvalid(t *testing.T, r verifyResult) {
	t.Helper()
	if !errors.Is(r.err, payments.ErrBadSignature) {
		t.Fatalf("error = %v, want ErrBadSignature; output:\n%s", r.err, r.out)
	}
	assertContains(t, r.out, "signature invalid")
}

func TestVerify_ValidBody(t *testing.T) {
	r := runVerify(t, testSettings("", ""), signedSample(t))

	if r.err != nil {
		t.Fatalf("Verify: %v\n%s", r.err, r.out)
	}
	assertContains(t, r.out, "signature valid (SHA256)")
	assertContains(t, r.out, "notifyType: RECHARGE")
	assertContains(t, r.out, "status:     SUCCESS")
	assertContains(t, r.out, "order:      ORD-1")
	assertContains(t, r.out, "amount:     9.99 USD")
	if strings.Contains(r.out, "warning") {
		t.Errorf("unexpected warning:\n%s", r.out)
	}
}

func TestVerify_ValidBodyBuiltByPayments(t *testing.T) {
	body, err := payments.BuildNotification(testAccID, testClientID, payments.SignMD5, testSalt,
		payments.NotificationFields{
			NotifyType: payments.NotifyRefund, Status: payments.StatusSuccess, Amount: "1000",
			Currency: "JPY", MerchantTransactionID: "ORD-2", RefundID: "R-9",
		})
	if err != nil {
		t.Fatal(err)
	}

	r := runVerify(t, testSettings("", ""), body)

	if r.err != nil {
		t.Fatalf("Verify: %v\n%s", r.err, r.out)
	}
	assertContains(t, r.out, "signature valid (MD5)")
	assertContains(t, r.out, "notifyType: REFUND")
	assertContains(t, r.out, "amount:     1000 JPY")
	assertContains(t, r.out, "refundId:   R-9")
}

func TestVerify_ValidBodyOfAnotherStoreFails(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(*Settings)
		want   string
	}{
		{"accId", func(s *Settings) { s.AccID = "2018092714313010016999" },
			`accId "` + testAccID + `" differs from PINGPONG_ACC_ID "2018092714313010016999"`},
		{"clientId", func(s *Settings) { s.ClientID = "2018092714313010099" },
			`clientId "` + testClientID + `" differs from PINGPONG_CLIENT_ID "2018092714313010099"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := testSettings("", "")
			tc.change(&s)

			r := runVerify(t, s, signedSample(t))

			if r.err == nil {
				t.Fatalf("Verify returned nil for a body the server rejects; output:\n%s", r.out)
			}
			if errors.Is(r.err, payments.ErrBadSignature) {
				t.Errorf("error = %v, want one that is not ErrBadSignature", r.err)
			}
			assertContains(t, r.err.Error(), "signature valid, but the server rejects the body")
			assertContains(t, r.err.Error(), tc.want)
			assertContains(t, r.out, "signature valid (SHA256)")
			assertContains(t, r.out, "The server rejects this body although its signature is valid:\n")
			assertContains(t, r.out, tc.want)
		})
	}
}

func TestVerify_WrongSalt(t *testing.T) {
	members := sampleMembers(sampleBizContent)
	body := encodeBody(t, members, sha256Hex("ANOTHER-SALT-0123456789"+joinMembers(members)))

	r := runVerify(t, testSettings("", ""), body)

	wantInvalid(t, r)
	assertContains(t, r.out, "Likely cause: wrong salt")
	assertContains(t, r.out, "PINGPONG_WEBHOOK_SECRET (24 characters, SHA-256 fingerprint "+
		fingerprint(testSalt)+")")
	assertContains(t, r.out, "store "+testAccID)
	assertContains(t, r.err.Error(), "wrong salt")
}

func TestVerify_WrongSaltFixCoversAlteredBody(t *testing.T) {
	members := sampleMembers(sampleBizContent)
	sign := sha256Hex(testSalt + joinMembers(members))
	altered := sampleMembers(strings.Replace(sampleBizContent, `"9.99"`, `"99.99"`, 1))
	body := encodeBody(t, altered, sign)

	r := runVerify(t, testSettings("", ""), body)

	wantInvalid(t, r)
	assertContains(t, r.out, "Likely cause: wrong salt")
	assertContains(t, r.out, "If the key is right, the body was changed after signing or did not come "+
		"from PingPong: do not act on it")
}

func TestVerify_MD5SignWithSHA256Type(t *testing.T) {
	members := sampleMembers(sampleBizContent)
	body := encodeBody(t, members, md5Hex(testSalt+joinMembers(members)))

	r := runVerify(t, testSettings("", ""), body)

	wantInvalid(t, r)
	assertContains(t, r.out, "MD5 and SHA256 mixed up: the sign is an MD5 digest, but signType says SHA256")
	assertContains(t, r.out, "PINGPONG_SIGN_TYPE (now SHA256)")
}

func TestVerify_SHA256SignWithMD5Type(t *testing.T) {
	members := sampleMembers(sampleBizContent)
	members[3].value = "MD5"
	body := encodeBody(t, members, sha256Hex(testSalt+joinMembers(members)))

	r := runVerify(t, testSettings("", ""), body)

	wantInvalid(t, r)
	assertContains(t, r.out, "the sign is an SHA256 digest, but signType says MD5")
}

func TestVerify_BizContentUnicodeEscaped(t *testing.T) {
	signedBiz := `{"notifyType":"RECHARGE","status":"SUCCESS","amount":"9.99","currency":"EUR",` +
		`"merchantTransactionId":"ORD-1","remark":"Café ☕ 𝄞"}`
	receivedBiz := `{"notifyType":"RECHARGE","status":"SUCCESS","amount":"9.99","currency":"EUR",` +
		`"merchantTransactionId":"ORD-1","remark":"Caf\u00e9 \u2615 \ud834\udd1e"}`
	sign := sha256Hex(testSalt + joinMembers(sampleMembers(signedBiz)))
	body := encodeBody(t, sampleMembers(receivedBiz), sign)

	r := runVerify(t, testSettings("", ""), body)

	wantInvalid(t, r)
	assertContains(t, r.out, "bizContent was decoded and re-encoded")
	assertContains(t, r.out, `non-ASCII characters escaped as \uXXXX`)
	assertContains(t, r.out, "The sender signed: <salt>"+joinMembers(sampleMembers(signedBiz))+"\n")
}

func TestVerify_BizContentSpacedAndSorted(t *testing.T) {
	// Python's json.dumps(sort_keys=True) output re-encoded by a compact
	// JavaScript sender.
	signedBiz := `{"amount": "9.99", "currency": "USD", "merchantTransactionId": "ORD-1", ` +
		`"notifyType": "RECHARGE", "status": "SUCCESS"}`
	receivedBiz := `{"notifyType":"RECHARGE","status":"SUCCESS","amount":"9.99","currency":"USD",` +
		`"merchantTransactionId":"ORD-1"}`
	sign := sha256Hex(testSalt + joinMembers(sampleMembers(signedBiz)))
	body := encodeBody(t, sampleMembers(receivedBiz), sign)

	r := runVerify(t, testSettings("", ""), body)

	wantInvalid(t, r)
	assertContains(t, r.out, "bizContent was decoded and re-encoded after signing: "+
		"the sender signed it differing in key order, spaces between tokens")
}

func TestVerify_BizContentAsObject(t *testing.T) {
	members := sampleMembers(sampleBizContent)
	sign := sha256Hex(testSalt + joinMembers(members))
	body := []byte(`{"accId":"` + testAccID + `","bizContent":{"notifyType": "RECHARGE", ` +
		`"status": "SUCCESS", "amount": "9.99", "currency": "USD", "merchantTransactionId": "ORD-1", ` +
		`"transactionId": "TX1", "requestId": "REQ1"},"clientId":"` + testClientID +
		`","signType":"SHA256","version":"1.0","sign":"` + sign + `"}`)

	r := runVerify(t, testSettings("", ""), body)

	wantInvalid(t, r)
	assertContains(t, r.out, "bizContent is a JSON object, but PingPong sends it as a string")
	assertContains(t, r.out, "bizContent was decoded and re-encoded after signing: "+
		"the sender signed it differing in spaces between tokens")
}

func TestVerify_BlankFieldIncluded(t *testing.T) {
	members := append(sampleMembers(sampleBizContent), member{"remark", ""})
	sorted := []member{members[0], members[1], members[2], {"remark", ""}, members[3], members[4]}
	body := encodeBody(t, members, sha256Hex(testSalt+joinMembers(sorted)))

	r := runVerify(t, testSettings("", ""), body)

	wantInvalid(t, r)
	assertContains(t, r.out, `a blank field was included: the sender signed remark as "key="`)
}

func TestVerify_NullFieldIncludedAsNull(t *testing.T) {
	members := sampleMembers(sampleBizContent)
	text := joinMembers([]member{members[0], members[1], members[2], {"remark", "null"}, members[3], members[4]})
	body := encodeBody(t, members, sha256Hex(testSalt+text))
	body = bytes.Replace(body, []byte(`,"sign"`), []byte(`,"remark":null,"sign"`), 1)

	r := runVerify(t, testSettings("", ""), body)

	wantInvalid(t, r)
	assertContains(t, r.out, `a blank field was included: the sender signed remark as "key=" `+
		`for blank and "key=null" for null values`)
}

func TestVerify_UnsortedFields(t *testing.T) {
	sorted := sampleMembers(sampleBizContent)
	bodyOrder := []member{sorted[3], sorted[0], sorted[2], sorted[4], sorted[1]}
	body := encodeBody(t, bodyOrder, sha256Hex(testSalt+joinMembers(bodyOrder)))

	r := runVerify(t, testSettings("", ""), body)

	wantInvalid(t, r)
	assertContains(t, r.out, "the sender joined the fields in body order instead of sorting them by key")
	assertContains(t, r.out, "The sender signed: <salt>signType=SHA256&accId=")
}

func TestVerify_LowercaseSign(t *testing.T) {
	members := sampleMembers(sampleBizContent)
	body := encodeBody(t, members, strings.ToLower(sha256Hex(testSalt+joinMembers(members))))

	r := runVerify(t, testSettings("", ""), body)

	wantInvalid(t, r)
	assertContains(t, r.out, "Likely cause: the sign is in lowercase hex.")
	if strings.Contains(r.out, "Also:") {
		t.Errorf("more than one cause named:\n%s", r.out)
	}
}

func TestVerify_LowercaseMD5Sign(t *testing.T) {
	members := sampleMembers(sampleBizContent)
	body := encodeBody(t, members, strings.ToLower(md5Hex(testSalt+joinMembers(members))))

	r := runVerify(t, testSettings("", ""), body)

	wantInvalid(t, r)
	assertContains(t, r.out, "MD5 and SHA256 mixed up")
	assertContains(t, r.out, "Also: the sign is in lowercase hex.")
}

func TestVerify_SaltAppended(t *testing.T) {
	members := sampleMembers(sampleBizContent)
	body := encodeBody(t, members, sha256Hex(joinMembers(members)+testSalt))

	r := runVerify(t, testSettings("", ""), body)

	wantInvalid(t, r)
	assertContains(t, r.out, "the sender put the salt after the fields instead of before them")
	assertContains(t, r.out, "The sender signed: "+joinMembers(members)+"<salt>\n")
}

func TestVerify_SenderSaltHasTrailingNewline(t *testing.T) {
	members := sampleMembers(sampleBizContent)
	body := encodeBody(t, members, sha256Hex(testSalt+"\n"+joinMembers(members)))

	r := runVerify(t, testSettings("", ""), body)

	wantInvalid(t, r)
	assertContains(t, r.out, "the sender's salt has a trailing newline that PINGPONG_WEBHOOK_SECRET lacks")
}

func TestVerify_UnknownSignType(t *testing.T) {
	members := sampleMembers(sampleBizContent)
	members[3].value = "SHA-256"
	body := encodeBody(t, members, sha256Hex(testSalt+joinMembers(members)))

	r := runVerify(t, testSettings("", ""), body)

	wantInvalid(t, r)
	assertContains(t, r.out, `signType "SHA-256" is neither SHA256 nor MD5`)
	assertContains(t, r.out, `the sign is an SHA256 digest, but signType "SHA-256" names no algorithm`)
}

func TestVerify_MissingSign(t *testing.T) {
	body := []byte(`{"accId":"` + testAccID + `","bizContent":"{}","clientId":"` + testClientID +
		`","signType":"SHA256"}`)

	r := runVerify(t, testSettings("", ""), body)

	wantInvalid(t, r)
	assertContains(t, r.out, "Likely cause: the body has no sign.")
}

func TestVerify_SignMatchesButFieldMissing(t *testing.T) {
	members := sampleMembers(sampleBizContent)[1:] // no accId
	body := encodeBody(t, members, sha256Hex(testSalt+joinMembers(members)))

	r := runVerify(t, testSettings("", ""), body)

	if !errors.Is(r.err, payments.ErrMalformed) {
		t.Fatalf("error = %v, want ErrMalformed", r.err)
	}
	assertContains(t, r.out, "sign matches (signType SHA256), but the server rejects the body")
	assertContains(t, r.out, `field "accId" is missing or blank`)
}

func TestVerify_StdinDashAndFile(t *testing.T) {
	body := signedSample(t)
	path := filepath.Join(t.TempDir(), "notification.json")
	if err := os.WriteFile(path, body, 0o600); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name  string
		args  []string
		stdin []byte
	}{
		{"stdin", nil, body},
		{"dash", []string{"-"}, body},
		{"file", []string{path}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			err := Verify(context.Background(), testSettings("", ""), tc.args, bytes.NewReader(tc.stdin), &out)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			assertContains(t, out.String(), "signature valid (SHA256)")
		})
	}
}

func TestVerify_MissingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "missing.json")

	err := Verify(context.Background(), testSettings("", ""), []string{path}, nil, &bytes.Buffer{})

	if err == nil || !strings.Contains(err.Error(), "missing.json") {
		t.Fatalf("error = %v, want one naming the file", err)
	}
}

func TestVerify_TooManyArguments(t *testing.T) {
	err := Verify(context.Background(), testSettings("", ""), []string{"a.json", "b.json"}, nil, &bytes.Buffer{})

	if err == nil || !strings.Contains(err.Error(), "at most one file") {
		t.Fatalf("error = %v", err)
	}
}

func TestVerify_MalformedJSONNamesPosition(t *testing.T) {
	body := []byte("{\n  \"accId\": \"1\",\n  \"sign\" \"X\"\n}")

	r := runVerify(t, testSettings("", ""), body)

	if !errors.Is(r.err, payments.ErrMalformed) {
		t.Fatalf("error = %v, want ErrMalformed", r.err)
	}
	assertContains(t, r.err.Error(), "line 3, column 10")
}

func TestVerify_TruncatedJSON(t *testing.T) {
	r := runVerify(t, testSettings("", ""), []byte(`{"accId":"1",`))

	if r.err == nil {
		t.Fatal("no error")
	}
	assertContains(t, r.err.Error(), "ends before the object is closed")
}

func TestVerify_NotAnObject(t *testing.T) {
	r := runVerify(t, testSettings("", ""), []byte(`["sign"]`))

	if r.err == nil {
		t.Fatal("no error")
	}
	assertContains(t, r.err.Error(), "not a JSON object")
}

func TestVerify_EmptyBody(t *testing.T) {
	r := runVerify(t, testSettings("", ""), []byte("  \n"))

	if r.err == nil {
		t.Fatal("no error")
	}
	assertContains(t, r.err.Error(), "the body is empty")
}

func TestVerify_MissingSalt(t *testing.T) {
	s := testSettings("", "")
	s.Salt = ""

	r := runVerify(t, s, signedSample(t))

	if r.err == nil {
		t.Fatal("no error")
	}
	assertContains(t, r.err.Error(), "PINGPONG_WEBHOOK_SECRET is not set")
}

func TestVerify_HelpGoesToStdout(t *testing.T) {
	var out bytes.Buffer
	err := Verify(context.Background(), testSettings("", ""), []string{"-h"}, nil, &out)

	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	assertContains(t, out.String(), "Usage: verify [file]")
}
