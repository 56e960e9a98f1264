package tools

import (
	"strings"
	"testing"
)

func TestVerify_SignedTextAndSignsShown(t *testing.T) {
	members := sampleMembers(sampleBizContent)
	received := sha256Hex("ANOTHER-SALT-0123456789" + joinMembers(members))
	body := encodeBody(t, members, received)

	r := runVerify(t, testSettings("", ""), body)

	wantInvalid(t, r)
	assertContains(t, r.out, "signed text:   <salt>"+joinMembers(members)+"\n")
	assertContains(t, r.out, "received sign: "+received+"\n")
}

func TestVerify_ExpectedSignShownAsPrefix(t *testing.T) {
	members := sampleMembers(sampleBizContent)
	expected := sha256Hex(testSalt + joinMembers(members))
	body := encodeBody(t, members, sha256Hex("ANOTHER-SALT-0123456789"+joinMembers(members)))

	r := runVerify(t, testSettings("", ""), body)

	wantInvalid(t, r)
	assertContains(t, r.out, "expected sign: "+expected[:8]+"…\n")
	assertContains(t, r.out, "The rest is hidden")
	if strings.Contains(r.out, expected[:9]) {
		t.Errorf("output shows more than 8 characters of the expected sign %s:\n%s", expected, r.out)
	}
	if strings.Contains(r.err.Error(), expected[:9]) {
		t.Errorf("error shows more than 8 characters of the expected sign: %v", r.err)
	}
}

func TestVerify_MD5ExpectedSignShownAsPrefix(t *testing.T) {
	members := sampleMembers(sampleBizContent)
	members[3].value = "MD5"
	expected := md5Hex(testSalt + joinMembers(members))
	body := encodeBody(t, members, md5Hex("ANOTHER-SALT-0123456789"+joinMembers(members)))

	r := runVerify(t, testSettings("", ""), body)

	wantInvalid(t, r)
	assertContains(t, r.out, "expected sign: "+expected[:8]+"…\n")
	if strings.Contains(r.out, expected[:9]) {
		t.Errorf("output shows more than 8 characters of the expected sign %s:\n%s", expected, r.out)
	}
}

func TestVerify_SaltFingerprintShown(t *testing.T) {
	members := sampleMembers(sampleBizContent)
	body := encodeBody(t, members, sha256Hex("ANOTHER-SALT-0123456789"+joinMembers(members)))

	r := runVerify(t, testSettings("", ""), body)

	wantInvalid(t, r)
	assertContains(t, r.out, "salt:          PINGPONG_WEBHOOK_SECRET, 24 characters, SHA-256 fingerprint "+
		fingerprint(testSalt)+"\n")
	assertContains(t, r.out, "`read -rs SALT; printf %s \"$SALT\" | sha256sum | cut -c1-8`")
}

func TestVerify_SaltEndsNotShown(t *testing.T) {
	// A salt whose ends appear nowhere else in the report, so even two of
	// its characters would be found.
	const salt = "Qz%Wk2P9w4Rz8Ty5Lm3Nb6^zQ"
	s := testSettings("", "")
	members := sampleMembers(sampleBizContent)
	bodies := map[string][]byte{
		"wrong salt":        encodeBody(t, members, sha256Hex("ANOTHER-SALT-0123456789"+joinMembers(members))),
		"salt with newline": encodeBody(t, members, sha256Hex(salt+"\n"+joinMembers(members))),
		"valid":             encodeBody(t, members, sha256Hex(salt+joinMembers(members))),
	}
	for name, body := range bodies {
		for _, configured := range []string{salt, salt + "\n", " " + salt} {
			s.Salt = configured
			r := runVerify(t, s, body)

			for _, piece := range []string{salt[:2], salt[len(salt)-2:]} {
				if strings.Contains(r.out, piece) {
					t.Errorf("%s, salt %q: output contains %q of the salt:\n%s", name, configured, piece, r.out)
				}
				if r.err != nil && strings.Contains(r.err.Error(), piece) {
					t.Errorf("%s, salt %q: error contains %q of the salt: %v", name, configured, piece, r.err)
				}
			}
		}
	}
}

func TestVerify_ConfiguredSaltHasTrailingNewline(t *testing.T) {
	s := testSettings("", "")
	s.Salt = testSalt + "\n"

	r := runVerify(t, s, signedSample(t))

	wantInvalid(t, r)
	assertContains(t, r.out, "PINGPONG_WEBHOOK_SECRET has whitespace at its start or end")
	assertContains(t, r.out, "25 characters, SHA-256 fingerprint "+fingerprint(s.Salt)+
		`, with whitespace at its end: \n, fingerprint without that whitespace `+fingerprint(testSalt))
}

func TestVerify_ShortSaltNotShown(t *testing.T) {
	s := testSettings("", "")
	s.Salt = "abc123"
	members := sampleMembers(sampleBizContent)
	body := encodeBody(t, members, sha256Hex("other"+joinMembers(members)))

	r := runVerify(t, s, body)

	wantInvalid(t, r)
	assertContains(t, r.out, "6 characters, too short to show a fingerprint")
	if strings.Contains(r.out, fingerprint(s.Salt)) {
		t.Errorf("output contains the fingerprint of a short salt:\n%s", r.out)
	}
}
