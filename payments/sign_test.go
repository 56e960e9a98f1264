package payments

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
)

// The signed prePay request published in PingPong's sandbox documentation,
// with the public sandbox salt of store A.
const (
	vectorSalt       = "F78BC96A55548B2319EE68E0"
	vectorAccID      = "2018092714313010016291"
	vectorClientID   = "2018092714313010016"
	vectorSign       = "28178F3C0B0AF10343F715211B9C7791AB4CF091EB4580505E053318E8F37B85"
	vectorBizContent = `{"captureDelayHours":"0","amount":"1000","currency":"USD",` +
		`"merchantTransactionId":"PMT-PR5GFUNZQP1695182276082",` +
		`"payResultUrl":"https://test-acquirerpay.pingpongx.com/qa/result.html",` +
		`"payCancelUrl":"https://test-acquirerpay.pingpongx.com/qa/result.html",` +
		`"shopperIP":"222.126.52.23","customer":{"identificationId":"211",` +
		`"lastName":"LeBronbb","email":"test@pingpongx.com","phone":"9157030054"}}`
	// vectorMD5Sign is the vector's fields with signType MD5, signed by an
	// independent implementation.
	vectorMD5Sign = "8DBC658C2ECCCFBBC0D95D44304F09A9"
)

func vectorFields() map[string]string {
	return map[string]string{
		"accId":      vectorAccID,
		"clientId":   vectorClientID,
		"signType":   SignSHA256,
		"sign":       vectorSign,
		"version":    "1.0",
		"bizContent": vectorBizContent,
	}
}

func TestSign_PublishedVector(t *testing.T) {
	got, err := Sign(vectorFields(), vectorSalt, SignSHA256)
	if err != nil {
		t.Fatalf("Sign: %v", err)
	}
	if got != vectorSign {
		t.Errorf("Sign = %s, want %s", got, vectorSign)
	}
}

func TestVerifySignature_PublishedVector(t *testing.T) {
	if err := VerifySignature(vectorFields(), vectorSalt); err != nil {
		t.Errorf("VerifySignature: %v", err)
	}
}

func TestSigningString_SortsSkipsSign(t *testing.T) {
	fields := map[string]string{"b": "2", "a": "1", "sign": "X", "B": "0", "a_": "3"}
	want := "B=0&a=1&a_=3&b=2"
	if got := SigningString(fields); got != want {
		t.Errorf("SigningString = %q, want %q", got, want)
	}
}

func TestSigningString_SkipsBlankValues(t *testing.T) {
	fields := map[string]string{
		"a":     "1",
		"empty": "",
		"space": "   ",
		"tabs":  "\t\r\n",
		"ideo":  "\u3000",
		"nbsp":  "\u00a0",
		"z":     " padded ",
	}
	// U+00A0 is not whitespace for Java, so it is signed; surrounding spaces
	// of a non-blank value are kept.
	want := "a=1&nbsp=\u00a0&z= padded "
	if got := SigningString(fields); got != want {
		t.Errorf("SigningString = %q, want %q", got, want)
	}
}

func TestSigningString_KeepsValuesVerbatim(t *testing.T) {
	fields := map[string]string{"bizContent": `{"a":"\u4e2d","b":"x&y=z"}`}
	want := `bizContent={"a":"\u4e2d","b":"x&y=z"}`
	if got := SigningString(fields); got != want {
		t.Errorf("SigningString = %q, want %q", got, want)
	}
}

func TestSign_MD5Vector(t *testing.T) {
	fields := vectorFields()
	fields["signType"] = SignMD5
	got, err := Sign(fields, vectorSalt, SignMD5)
	if err != nil {
		t.Fatalf("Sign: %v", err)
	}
	if got != vectorMD5Sign {
		t.Errorf("Sign = %s, want %s", got, vectorMD5Sign)
	}

	fields["sign"] = got
	if err := VerifySignature(fields, vectorSalt); err != nil {
		t.Errorf("VerifySignature: %v", err)
	}
}

func TestSign_MatchesDigestOfSaltAndString(t *testing.T) {
	fields := map[string]string{"x": "1", "y": "two", "empty": ""}
	data := []byte("salt" + "x=1&y=two")

	sha := sha256.Sum256(data)
	md := md5.Sum(data)
	cases := map[string]string{
		SignSHA256: strings.ToUpper(hex.EncodeToString(sha[:])),
		SignMD5:    strings.ToUpper(hex.EncodeToString(md[:])),
	}
	for signType, want := range cases {
		got, err := Sign(fields, "salt", signType)
		if err != nil {
			t.Fatalf("Sign %s: %v", signType, err)
		}
		if got != want {
			t.Errorf("Sign %s = %s, want %s", signType, got, want)
		}
	}
}

func TestSign_UnknownTypeNamesAllowed(t *testing.T) {
	_, err := Sign(vectorFields(), vectorSalt, "sha256")
	if err == nil {
		t.Fatal("Sign with signType sha256 succeeded, want an error")
	}
	for _, part := range []string{`"sha256"`, SignSHA256, SignMD5} {
		if !strings.Contains(err.Error(), part) {
			t.Errorf("error %q does not mention %s", err, part)
		}
	}
}

func TestSign_EmptySaltRejected(t *testing.T) {
	if _, err := Sign(vectorFields(), "", SignSHA256); err == nil {
		t.Error("Sign with an empty salt succeeded, want an error")
	}
	if err := VerifySignature(vectorFields(), ""); err == nil {
		t.Error("VerifySignature with an empty salt succeeded, want an error")
	}
}

func TestVerifySignature_Rejections(t *testing.T) {
	cases := []struct {
		name   string
		change func(map[string]string)
		salt   string
	}{
		{"wrong salt", func(map[string]string) {}, "F78BC96A55548B2319EE68E1"},
		{"amount changed", func(f map[string]string) {
			f["bizContent"] = strings.Replace(f["bizContent"], `"1000"`, `"1001"`, 1)
		}, vectorSalt},
		{"bizContent reformatted", func(f map[string]string) {
			f["bizContent"] = strings.Replace(f["bizContent"], `,"amount"`, `, "amount"`, 1)
		}, vectorSalt},
		{"field added", func(f map[string]string) { f["remark"] = "x" }, vectorSalt},
		{"field removed", func(f map[string]string) { delete(f, "version") }, vectorSalt},
		{"accId changed", func(f map[string]string) { f["accId"] = "2018092714313010016292" }, vectorSalt},
		{"lowercase sign", func(f map[string]string) { f["sign"] = strings.ToLower(vectorSign) }, vectorSalt},
		{"sign truncated", func(f map[string]string) { f["sign"] = vectorSign[:63] }, vectorSalt},
		{"sign missing", func(f map[string]string) { delete(f, "sign") }, vectorSalt},
		{"sign blank", func(f map[string]string) { f["sign"] = " " }, vectorSalt},
		{"signType changed", func(f map[string]string) { f["signType"] = SignMD5 }, vectorSalt},
		{"signType missing", func(f map[string]string) { delete(f, "signType") }, vectorSalt},
		{"signType unknown", func(f map[string]string) { f["signType"] = "RSA" }, vectorSalt},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fields := vectorFields()
			tc.change(fields)
			err := VerifySignature(fields, tc.salt)
			if !errors.Is(err, ErrBadSignature) {
				t.Fatalf("VerifySignature = %v, want ErrBadSignature", err)
			}
			if strings.Contains(err.Error(), tc.salt) {
				t.Errorf("error %q contains the salt", err)
			}
		})
	}
}

func TestVerifySignature_ErrorHidesExpectedSign(t *testing.T) {
	fields := vectorFields()
	fields["bizContent"] = strings.Replace(fields["bizContent"], `"1000"`, `"1"`, 1)
	expected, err := Sign(fields, vectorSalt, SignSHA256)
	if err != nil {
		t.Fatalf("Sign: %v", err)
	}

	err = VerifySignature(fields, vectorSalt)
	if err == nil {
		t.Fatal("VerifySignature of a tampered message succeeded")
	}
	msg := err.Error()
	if strings.Contains(msg, expected) || strings.Contains(strings.ToLower(msg), strings.ToLower(expected)) {
		t.Errorf("error %q contains the expected sign", msg)
	}
	if strings.Contains(msg, vectorSalt) {
		t.Errorf("error %q contains the salt", msg)
	}
	if !strings.Contains(msg, SignSHA256) {
		t.Errorf("error %q does not name the sign type", msg)
	}
}

// TestSign_RoundTripTable signs many field sets and checks that each
// verifies and that changing any single value breaks it.
func TestSign_RoundTripTable(t *testing.T) {
	values := []string{"a", "0", "x y", "&", "=", "a=b&c=d", "中文", `{"k":"v"}`, `\u4e2d`, "\"", "%20"}
	for i, v := range values {
		for _, signType := range []string{SignSHA256, SignMD5} {
			fields := map[string]string{
				"signType": signType,
				"k":        v,
				"other":    values[(i+1)%len(values)],
			}
			sign, err := Sign(fields, "salt-x", signType)
			if err != nil {
				t.Fatalf("Sign(%q, %s): %v", v, signType, err)
			}
			fields["sign"] = sign
			if err := VerifySignature(fields, "salt-x"); err != nil {
				t.Errorf("VerifySignature(%q, %s): %v", v, signType, err)
			}

			fields["k"] = v + "!"
			if err := VerifySignature(fields, "salt-x"); !errors.Is(err, ErrBadSignature) {
				t.Errorf("VerifySignature after changing %q (%s) = %v, want ErrBadSignature", v, signType, err)
			}
		}
	}
}
