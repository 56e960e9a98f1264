package tools

import (
	"strings"
	"testing"
)

// publishedBizContent and publishedSign are the signed prePay request from
// PingPong's sandbox documentation, signed with testSalt.
const (
	publishedBizContent = `{"captureDelayHours":"0","amount":"1000","currency":"USD",` +
		`"merchantTransactionId":"PMT-PR5GFUNZQP1695182276082",` +
		`"payResultUrl":"https://test-acquirerpay.pingpongx.com/qa/result.html",` +
		`"payCancelUrl":"https://test-acquirerpay.pingpongx.com/qa/result.html",` +
		`"shopperIP":"222.126.52.23","customer":{"identificationId":"211",` +
		`"lastName":"LeBronbb","email":"test@pingpongx.com","phone":"9157030054"}}`
	publishedSign = "28178F3C0B0AF10343F715211B9C7791AB4CF091EB4580505E053318E8F37B85"
)

func TestJSONStyle_Encode(t *testing.T) {
	tree, err := decodeJSONTree(`{"b":"<é/𝄞>","a":[1.50,true,null,{"d":"x","c":"\n"}]}`)
	if err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name  string
		style jsonStyle
		want  string
	}{
		{"plain", jsonStyle{}, `{"b":"<é/𝄞>","a":[1.50,true,null,{"d":"x","c":"\n"}]}`},
		{"sorted", jsonStyle{sortKeys: true}, `{"a":[1.50,true,null,{"c":"\n","d":"x"}],"b":"<é/𝄞>"}`},
		{"spaced", jsonStyle{spaced: true}, `{"b": "<é/𝄞>", "a": [1.50, true, null, {"d": "x", "c": "\n"}]}`},
		{"unicode", jsonStyle{escapeUnicode: true}, `{"b":"<\u00e9/\ud834\udd1e>","a":[1.50,true,null,{"d":"x","c":"\n"}]}`},
		{"html", jsonStyle{escapeHTML: true}, `{"b":"\u003cé/𝄞\u003e","a":[1.50,true,null,{"d":"x","c":"\n"}]}`},
		{"slash", jsonStyle{escapeSlash: true}, `{"b":"<é\/𝄞>","a":[1.50,true,null,{"d":"x","c":"\n"}]}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.style.encode(tree); got != tc.want {
				t.Errorf("encode = %s\nwant     %s", got, tc.want)
			}
		})
	}
}

func TestDecodeJSONTree_RejectsTrailingData(t *testing.T) {
	if _, err := decodeJSONTree(`{"a":"1"} {}`); err == nil {
		t.Fatal("no error for trailing data")
	}
}

func TestDetectJSONStyle(t *testing.T) {
	text := `{"b": "caf\u00e9 \u003c a\/b", "a": "\\u00e9"}`
	tree, err := decodeJSONTree(text)
	if err != nil {
		t.Fatal(err)
	}

	got := detectJSONStyle(text, tree)

	want := jsonStyle{spaced: true, escapeUnicode: true, escapeHTML: true, escapeSlash: true}
	if got != want {
		t.Errorf("style = %+v, want %+v", got, want)
	}
}

func TestHasNonASCIIEscape_IgnoresEscapedBackslash(t *testing.T) {
	if hasNonASCIIEscape(`{"a":"\\u00e9"}`) {
		t.Error(`"\\u00e9" is a backslash followed by text, not an escape`)
	}
	if hasNonASCIIEscape(`{"a":"\u003c"}`) {
		t.Error(`\u003c is ASCII`)
	}
	if !hasNonASCIIEscape(`{"a":"\u00E9"}`) {
		t.Error(`\u00E9 not found`)
	}
}

func TestVerify_PublishedVectorSlashesEscaped(t *testing.T) {
	members := sampleMembers(strings.ReplaceAll(publishedBizContent, "/", `\/`))
	body := encodeBody(t, members, publishedSign)

	r := runVerify(t, testSettings("", ""), body)

	wantInvalid(t, r)
	assertContains(t, r.out, `bizContent was decoded and re-encoded after signing: the sender `+
		`signed it differing in / escaped as \/`)
}

func TestVerify_PublishedVectorSignMatches(t *testing.T) {
	body := encodeBody(t, sampleMembers(publishedBizContent), publishedSign)

	r := runVerify(t, testSettings("", ""), body)

	// The vector is a prePay request, so its bizContent lacks notifyType.
	if r.err == nil || !strings.Contains(r.err.Error(), "signature valid, but the body is not a notification") {
		t.Fatalf("error = %v", r.err)
	}
	assertContains(t, r.out, "signature valid, but")
}
