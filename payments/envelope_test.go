package payments

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// vectorBody is the published prePay request as it travels on the wire.
func vectorBody(t *testing.T) []byte {
	t.Helper()
	body, err := json.Marshal(vectorFields())
	if err != nil {
		t.Fatal(err)
	}
	return body
}

func TestParseEnvelope_PublishedVector(t *testing.T) {
	env, err := ParseEnvelope(vectorBody(t))
	if err != nil {
		t.Fatalf("ParseEnvelope: %v", err)
	}
	if env["bizContent"] != vectorBizContent {
		t.Errorf("bizContent = %q, want %q", env["bizContent"], vectorBizContent)
	}
	if err := env.Verify(vectorSalt); err != nil {
		t.Errorf("Verify: %v", err)
	}
}

func TestParseEnvelope_Malformed(t *testing.T) {
	valid := `"sign":"S","signType":"SHA256","bizContent":"{}","accId":"A","clientId":"C"`
	cases := []struct {
		name    string
		body    string
		mention string
	}{
		{"empty body", ``, "not JSON"},
		{"array", `[]`, "not a JSON object"},
		{"string", `"x"`, "not a JSON object"},
		{"unterminated", `{` + valid, ""},
		{"trailing comma", `{` + valid + `,}`, ""},
		{"missing colon", `{"sign" "S"}`, `"sign"`},
		{"missing comma", `{"sign":"S" "accId":"A"}`, ""},
		{"number value", `{` + valid + `,"amount":100}`, `"amount"`},
		{"boolean value", `{` + valid + `,"flag":true}`, `"flag"`},
		{"object value", `{` + valid + `,"card":{"a":"b"}}`, `"card"`},
		{"array value", `{` + valid + `,"list":["a"]}`, `"list"`},
		{"object bizContent", `{"sign":"S","signType":"SHA256","bizContent":{},"accId":"A","clientId":"C"}`, `"bizContent"`},
		{"duplicate key", `{` + valid + `,"accId":"B"}`, `duplicate field "accId"`},
		{"duplicate null key", `{` + valid + `,"x":null,"x":"1"}`, `duplicate field "x"`},
		{"trailing garbage", `{` + valid + `} x`, "after the JSON object"},
		{"second object", `{` + valid + `}{}`, "after the JSON object"},
		{"invalid UTF-8", `{` + valid + `,"remark":"` + "\xff" + `"}`, "UTF-8"},
		{"missing sign", `{"signType":"SHA256","bizContent":"{}","accId":"A","clientId":"C"}`, `"sign"`},
		{"missing signType", `{"sign":"S","bizContent":"{}","accId":"A","clientId":"C"}`, `"signType"`},
		{"missing bizContent", `{"sign":"S","signType":"SHA256","accId":"A","clientId":"C"}`, `"bizContent"`},
		{"missing accId", `{"sign":"S","signType":"SHA256","bizContent":"{}","clientId":"C"}`, `"accId"`},
		{"missing clientId", `{"sign":"S","signType":"SHA256","bizContent":"{}","accId":"A"}`, `"clientId"`},
		{"null sign", `{"sign":null,"signType":"SHA256","bizContent":"{}","accId":"A","clientId":"C"}`, `"sign"`},
		{"blank accId", `{"sign":"S","signType":"SHA256","bizContent":"{}","accId":" ","clientId":"C"}`, `"accId"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseEnvelope([]byte(tc.body))
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("ParseEnvelope = %v, want ErrMalformed", err)
			}
			if !strings.Contains(err.Error(), tc.mention) {
				t.Errorf("error %q does not mention %s", err, tc.mention)
			}
		})
	}
}

func TestParseEnvelope_NullDroppedWhitespaceAllowed(t *testing.T) {
	body := " \n{ \"sign\" : \"S\",\t\"signType\":\"SHA256\", \"bizContent\": \"{}\"," +
		" \"accId\":\"A\", \"clientId\":\"C\", \"remark\": null }\n "
	env, err := ParseEnvelope([]byte(body))
	if err != nil {
		t.Fatalf("ParseEnvelope: %v", err)
	}
	if _, ok := env["remark"]; ok {
		t.Errorf("null remark kept as %q, want it dropped", env["remark"])
	}
	if env["accId"] != "A" {
		t.Errorf("accId = %q, want A", env["accId"])
	}
}

// TestParseEnvelope_UnicodeEscapes checks which escapes are decoded. An
// escape in the envelope string is decoded once, so bizContent keeps the
// escapes of its own JSON text, such as \u4e2d, as six characters. That text
// is what PingPong signs.
func TestParseEnvelope_UnicodeEscapes(t *testing.T) {
	body := `{"sign":"S","signType":"SHA256","accId":"A","clientId":"C",` +
		`"remark":"\u4e2d\u6587",` +
		`"bizContent":"{\"name\":\"\\u4e2d\",\"note\":\"\u4e2d\",\"url\":\"a\u0026b\"}"}`
	env, err := ParseEnvelope([]byte(body))
	if err != nil {
		t.Fatalf("ParseEnvelope: %v", err)
	}

	if env["remark"] != "中文" {
		t.Errorf("remark = %q, want 中文", env["remark"])
	}
	wantBiz := `{"name":"\u4e2d","note":"中","url":"a&b"}`
	if env["bizContent"] != wantBiz {
		t.Errorf("bizContent = %q, want %q", env["bizContent"], wantBiz)
	}

	want := "accId=A&bizContent=" + wantBiz + "&clientId=C&remark=中文&signType=SHA256"
	if got := SigningString(env); got != want {
		t.Errorf("SigningString = %q, want %q", got, want)
	}
}

func TestParseEnvelope_SignedEscapedBodyVerifies(t *testing.T) {
	fields := map[string]string{
		"accId": "A", "clientId": "C", "signType": SignSHA256, "version": "1.0",
		"bizContent": `{"name":"\u4e2d","amount":"1"}`,
	}
	sign, err := Sign(fields, "salt", SignSHA256)
	if err != nil {
		t.Fatal(err)
	}

	// The body escapes every character it may, as a sender is free to.
	body := `{"accId":"\u0041","clientId":"C","signType":"SHA256","version":"1.0",` +
		`"bizContent":"{\"name\":\"\\u4e2d\",\"amount\":\"\u0031\"}","sign":"` + sign + `"}`
	env, err := ParseEnvelope([]byte(body))
	if err != nil {
		t.Fatalf("ParseEnvelope: %v", err)
	}
	if err := env.Verify("salt"); err != nil {
		t.Errorf("Verify: %v", err)
	}
}

func TestBuildEnvelope_RoundTrip(t *testing.T) {
	biz := map[string]any{
		"amount":          "9.99",
		"notificationUrl": "https://shop.example/webhook?a=1&b=<2>",
		"name":            "中",
	}
	env, err := BuildEnvelope("ACC", "CLI", SignMD5, "salt", biz)
	if err != nil {
		t.Fatalf("BuildEnvelope: %v", err)
	}
	if env["version"] != EnvelopeVersion {
		t.Errorf("version = %q, want %q", env["version"], EnvelopeVersion)
	}
	wantBiz := `{"amount":"9.99","name":"中","notificationUrl":"https://shop.example/webhook?a=1&b=<2>"}`
	if env["bizContent"] != wantBiz {
		t.Errorf("bizContent = %s, want %s", env["bizContent"], wantBiz)
	}

	body, err := env.JSON()
	if err != nil {
		t.Fatalf("JSON: %v", err)
	}
	if strings.Contains(string(body), `\u0026`) || strings.HasSuffix(string(body), "\n") {
		t.Errorf("body %s has HTML escapes or a trailing newline", body)
	}

	parsed, err := ParseEnvelope(body)
	if err != nil {
		t.Fatalf("ParseEnvelope: %v", err)
	}
	if err := parsed.Verify("salt"); err != nil {
		t.Errorf("Verify: %v", err)
	}
	if parsed["signType"] != SignMD5 || parsed["accId"] != "ACC" || parsed["clientId"] != "CLI" {
		t.Errorf("envelope = %v, want MD5, ACC, CLI", parsed)
	}
}

func TestBuildEnvelope_RawBizContentVerbatim(t *testing.T) {
	raw := json.RawMessage(` {"b":"1", "a":"\u4e2d"} `)
	env, err := BuildEnvelope("ACC", "CLI", SignSHA256, "salt", raw)
	if err != nil {
		t.Fatalf("BuildEnvelope: %v", err)
	}
	if want := `{"b":"1", "a":"\u4e2d"}`; env["bizContent"] != want {
		t.Errorf("bizContent = %q, want %q", env["bizContent"], want)
	}
}

func TestBuildEnvelope_Rejections(t *testing.T) {
	cases := []struct {
		name     string
		accID    string
		signType string
		salt     string
		biz      any
	}{
		{"not an object", "ACC", SignSHA256, "salt", []string{"a"}},
		{"string", "ACC", SignSHA256, "salt", "text"},
		{"invalid raw", "ACC", SignSHA256, "salt", json.RawMessage(`{"a":`)},
		{"unmarshalable", "ACC", SignSHA256, "salt", map[string]any{"f": func() {}}},
		{"no accId", "", SignSHA256, "salt", map[string]string{}},
		{"unknown sign type", "ACC", "SHA1", "salt", map[string]string{}},
		{"empty salt", "ACC", SignSHA256, "", map[string]string{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := BuildEnvelope(tc.accID, "CLI", tc.signType, tc.salt, tc.biz); err == nil {
				t.Error("BuildEnvelope succeeded, want an error")
			}
		})
	}
}

func TestEnvelope_SetSignReplacesSign(t *testing.T) {
	env := Envelope(vectorFields())
	env["sign"] = "OLD"
	if err := env.SetSign(vectorSalt); err != nil {
		t.Fatalf("SetSign: %v", err)
	}
	if env["sign"] != vectorSign {
		t.Errorf("sign = %s, want %s", env["sign"], vectorSign)
	}
}
