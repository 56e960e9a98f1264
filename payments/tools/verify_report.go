package tools

import (
	"fmt"
	"io"
	"strings"

	"telegram-bot-webhook/payments"
)

// saltMarker stands for the salt in printed signing texts.
const saltMarker = "<salt>"

// cause is one explanation of a failed verification.
type cause struct {
	// summary is one line, used in the returned error too.
	summary string
	// fix is the change that removes the cause.
	fix string
}

// causes explains the match, or the absence of one, in the order a
// merchant should check them.
func (d *diagnosis) causes(body *receivedBody, s Settings) []cause {
	if strings.TrimSpace(d.received) == "" {
		return []cause{{summary: "the body has no sign",
			fix: "PingPong signs every notification: post the body exactly as PingPong sent it"}}
	}
	if d.match == nil {
		return []cause{wrongSaltCause(body, s)}
	}

	var list []cause
	m := d.match
	v := m.variant
	if v.algorithm != d.declared {
		list = append(list, algorithmCause(v.algorithm, d.signType, s))
	}
	if v.salt.mistake != "" {
		list = append(list, cause{summary: v.salt.mistake,
			fix: "copy the secret key from the PingPong back office again, without whitespace, " +
				"into PINGPONG_WEBHOOK_SECRET and into the sender"})
	}
	if v.saltAfter {
		list = append(list, cause{summary: "the sender put the salt after the fields instead of before them",
			fix: "the sign is the digest of the salt followed by the fields"})
	}
	if v.fields.includesBlank() {
		list = append(list, blankCause(body, v.fields))
	}
	if v.fields.bodyOrder() {
		list = append(list, cause{summary: "the sender joined the fields in body order instead of sorting them by key",
			fix: "sort the fields by key in byte order before joining them"})
	}
	if v.biz.style != nil {
		list = append(list, bizContentCause(v.biz))
	}
	if m.caseDiffers {
		list = append(list, cause{summary: "the sign is in lowercase hex",
			fix: "PingPong writes the sign in uppercase hex and the server compares it exactly: " +
				"the sender must write uppercase"})
	}
	if m.signSpaced {
		list = append(list, cause{summary: "the sign has whitespace around it",
			fix: "the server compares the sign exactly: the sender must not add whitespace"})
	}
	return list
}

func wrongSaltCause(body *receivedBody, s Settings) cause {
	store := body.value("accId")
	if store == "" {
		store = s.AccID
	}
	return cause{
		summary: "wrong salt: no variant of the signing rules gives the received sign with " +
			"PINGPONG_WEBHOOK_SECRET, so the body was signed with another salt or changed after signing",
		fix: fmt.Sprintf("compare PINGPONG_WEBHOOK_SECRET (%s) with the secret key of store %s in "+
			"the PingPong back office. Sandbox and production stores have different keys. If the "+
			"key is right, the body was changed after signing or did not come from PingPong: do not "+
			"act on it, and look up the order in the back office instead",
			describeSecret(s.Salt), store),
	}
}

func algorithmCause(used, signType string, s Settings) cause {
	if signType != payments.SignSHA256 && signType != payments.SignMD5 {
		return cause{
			summary: fmt.Sprintf("the sign is an %s digest, but signType %q names no algorithm", used, signType),
			fix:     fmt.Sprintf("the sender must set signType to %s", used),
		}
	}
	return cause{
		summary: fmt.Sprintf("MD5 and SHA256 mixed up: the sign is an %s digest, but signType says %s",
			used, signType),
		fix: fmt.Sprintf("the server checks the sign with the algorithm signType names, so the sender "+
			"must sign with %s or set signType to %s. PINGPONG_SIGN_TYPE (now %s) sets the algorithm "+
			"of what this program signs: set it to your store's sign type in the PingPong back office",
			signType, used, s.signType()),
	}
}

func blankCause(body *receivedBody, rule fieldRule) cause {
	form := `"key="`
	if rule == fieldsSortedWithNull {
		form = `"key=" for blank and "key=null" for null values`
	}
	return cause{
		summary: fmt.Sprintf("a blank field was included: the sender signed %s as %s",
			strings.Join(blankFields(body), ", "), form),
		fix: "leave fields whose value is null or blank out of the signed text",
	}
}

func bizContentCause(biz bizForm) cause {
	difference := "written differently"
	if len(biz.differences) > 0 {
		difference = "differing in " + strings.Join(biz.differences, ", ")
	}
	return cause{
		summary: "bizContent was decoded and re-encoded after signing: the sender signed it " + difference,
		fix: "pass the body on byte for byte and verify the raw request body; never decode and " +
			"re-encode bizContent before verifying",
	}
}

// print writes the report of an invalid body.
func (d *diagnosis) print(w io.Writer, s Settings, causes []cause) error {
	p := &linePrinter{w: w}
	if d.signMatches() {
		p.printf("sign matches (signType %s), but the server rejects the body\n", d.signType)
	} else {
		p.printf("signature invalid (signType %s)\n", d.signType)
	}
	p.printf("signed text:   %s%s\n", saltMarker, d.signedText)
	if d.expected != "" {
		p.printf("expected sign: %s\n", expectedSignPrefix(d.expected))
		p.printf("               The rest is hidden: the full sign would make this exact body pass\n" +
			"               the server's check, even after someone altered it. Compare the shown\n" +
			"               characters with the start of the sign the sender computed.\n")
	} else {
		p.printf("expected sign: none, because signType %q is neither %s nor %s\n",
			d.signType, payments.SignSHA256, payments.SignMD5)
	}
	p.printf("received sign: %s\n", d.received)
	p.printf("salt:          PINGPONG_WEBHOOK_SECRET, %s\n", describeSecret(s.Salt))
	if hasFingerprint(s.Salt) {
		p.printf("               To compare, run `%s`,\n"+
			"               paste the secret key from the PingPong back office and press Enter.\n",
			fingerprintCommand)
	}

	if len(d.problems) > 0 {
		p.printf("\nThe server rejects this body whatever its sign:\n")
		for _, problem := range d.problems {
			p.printf("  - %s\n", problem)
		}
	}

	for i, c := range causes {
		label := "Likely cause"
		if i > 0 {
			label = "Also"
		}
		p.printf("\n%s: %s.\n", label, c.summary)
		p.printf("  Fix: %s.\n", c.fix)
	}
	if text, ok := d.senderText(); ok {
		p.printf("\nThe sender signed: %s\n", text)
	}

	if d.tested > 0 {
		p.printf("\nTested %d variants: %s.\n", d.tested, strings.Join(d.testedMistakes(), ", "))
	}
	return p.err
}

// shownSignLength is how many hex characters of the expected sign verify
// prints: enough to compare with a sender's computation, far too few to
// sign anything.
const shownSignLength = 8

// expectedSignPrefix returns the first shownSignLength characters of the
// expected sign followed by "…".
func expectedSignPrefix(sign string) string {
	if len(sign) <= shownSignLength {
		return "…"
	}
	return sign[:shownSignLength] + "…"
}

// testedMistakes names the signing mistakes the variants covered.
func (d *diagnosis) testedMistakes() []string {
	list := []string{"SHA256 and MD5", "salt before and after the fields", "salt with whitespace"}
	for _, rule := range d.rules {
		switch rule {
		case fieldsSortedWithBlank:
			list = append(list, "blank and null fields included")
		case fieldsBodyOrder:
			list = append(list, "fields in body order")
		}
	}
	if d.bizForms > 1 {
		list = append(list, fmt.Sprintf("bizContent re-encoded in %d ways", d.bizForms-1))
	}
	return append(list, "sign in another case or with whitespace")
}

// signMatches reports whether the received sign is the one the server
// computes, so only the body's format is wrong.
func (d *diagnosis) signMatches() bool {
	return d.match != nil && d.match.cost == 0
}

// senderText returns the text the sender signed, salt masked, when it
// differs from the one the server signs.
func (d *diagnosis) senderText() (string, bool) {
	if d.match == nil {
		return "", false
	}
	v := d.match.variant
	if d.match.text == d.signedText && v.salt.mistake == "" && !v.saltAfter {
		return "", false
	}
	salt := saltMarker
	if v.salt.mistake != "" {
		salt = "<salt as described above>"
	}
	if v.saltAfter {
		return d.match.text + salt, true
	}
	return salt + d.match.text, true
}

// linePrinter writes formatted text and keeps the first write error.
type linePrinter struct {
	w   io.Writer
	err error
}

func (p *linePrinter) printf(format string, args ...any) {
	if p.err == nil {
		_, p.err = fmt.Fprintf(p.w, format, args...)
	}
}
