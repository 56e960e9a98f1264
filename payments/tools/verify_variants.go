package tools

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"sort"
	"strings"

	"telegram-bot-webhook/payments"
)

// A signing mistake is found by computing the sign of the body in many
// variants, each differing from PingPong's rules in one or a few ways, and
// keeping the variant with the fewest differences whose sign equals the one
// received. Every variant is a combination of the choices below.

// fieldRule is a sender's choice of the fields to sign and their order.
type fieldRule int

const (
	// fieldsSorted skips null and blank fields and sorts the rest by key,
	// as PingPong does.
	fieldsSorted fieldRule = iota
	// fieldsSortedWithBlank keeps blank fields, and null ones as "key=".
	fieldsSortedWithBlank
	// fieldsSortedWithNull keeps blank fields, and null ones as "key=null",
	// the way Java's String.valueOf writes null.
	fieldsSortedWithNull
	// fieldsBodyOrder skips null and blank fields but keeps the body order.
	fieldsBodyOrder
	// fieldsBodyOrderWithBlank keeps the body order and blank fields.
	fieldsBodyOrderWithBlank
)

func (r fieldRule) includesBlank() bool {
	return r == fieldsSortedWithBlank || r == fieldsSortedWithNull || r == fieldsBodyOrderWithBlank
}

func (r fieldRule) bodyOrder() bool {
	return r == fieldsBodyOrder || r == fieldsBodyOrderWithBlank
}

// saltForm is the salt a sender may have used instead of the configured one.
type saltForm struct {
	salt string
	// mistake is "" for the configured salt.
	mistake string
}

// bizForm is the bizContent text a sender may have signed.
type bizForm struct {
	text string
	// style is nil for the text as received.
	style *jsonStyle
	// differences name how text differs from the received one.
	differences []string
}

// signVariant is one way of computing the sign.
type signVariant struct {
	algorithm string
	salt      saltForm
	saltAfter bool
	fields    fieldRule
	biz       bizForm
}

// text returns the string the variant hashes, with the salt left out.
func (v signVariant) text(body *receivedBody) string {
	return signingText(body, v.fields, v.biz.text)
}

// digest returns the uppercase hex sign of the variant.
func (v signVariant) digest(text string) string {
	data := v.salt.salt + text
	if v.saltAfter {
		data = text + v.salt.salt
	}
	return hexDigest(v.algorithm, data)
}

func hexDigest(algorithm, data string) string {
	if algorithm == payments.SignMD5 {
		sum := md5.Sum([]byte(data))
		return strings.ToUpper(hex.EncodeToString(sum[:]))
	}
	sum := sha256.Sum256([]byte(data))
	return strings.ToUpper(hex.EncodeToString(sum[:]))
}

// signingText builds the text a sender following the rule signs, with
// bizContent replaced by bizText. fieldsSorted gives exactly
// payments.SigningString.
func signingText(body *receivedBody, rule fieldRule, bizText string) string {
	fields := body.signedFields()
	if _, ok := fields["bizContent"]; ok {
		fields["bizContent"] = bizText
	}
	if rule == fieldsSorted {
		return payments.SigningString(fields)
	}

	var pairs []string
	for _, f := range orderedFields(body, rule.bodyOrder()) {
		if f.key == "sign" {
			continue
		}
		value := f.value
		if f.key == "bizContent" {
			value = bizText
		}
		switch {
		case f.kind == "null" && rule == fieldsSortedWithNull:
			value = "null"
		case (f.kind == "null" || isBlank(value)) && !rule.includesBlank():
			continue
		}
		pairs = append(pairs, f.key+"="+value)
	}
	return strings.Join(pairs, "&")
}

// orderedFields returns the body's fields in body order, or sorted by key.
// A key given twice counts once, with its last value.
func orderedFields(body *receivedBody, bodyOrder bool) []bodyField {
	last := map[string]int{}
	for i, f := range body.fields {
		last[f.key] = i
	}
	var fields []bodyField
	for i, f := range body.fields {
		if last[f.key] == i {
			fields = append(fields, f)
		}
	}
	if !bodyOrder {
		sort.SliceStable(fields, func(i, j int) bool { return fields[i].key < fields[j].key })
	}
	return fields
}

// isBlank reports whether payments.SigningString skips the value as blank.
func isBlank(value string) bool {
	return payments.SigningString(map[string]string{"k": value}) == ""
}

// fieldRules returns the rules that give a text different from PingPong's
// for this body: blank rules only when a field is null or blank, and
// body-order rules only when the body is not sorted.
func fieldRules(body *receivedBody) []fieldRule {
	rules := []fieldRule{fieldsSorted}
	hasBlank := len(blankFields(body)) > 0
	sorted := sort.SliceIsSorted(body.fields, func(i, j int) bool {
		return body.fields[i].key < body.fields[j].key
	})
	if hasBlank {
		rules = append(rules, fieldsSortedWithBlank, fieldsSortedWithNull)
	}
	if !sorted {
		rules = append(rules, fieldsBodyOrder)
	}
	if !sorted && hasBlank {
		rules = append(rules, fieldsBodyOrderWithBlank)
	}
	return rules
}

// blankFields returns the keys of the null and blank fields, which PingPong
// leaves out of the signed text.
func blankFields(body *receivedBody) []string {
	var keys []string
	for _, f := range body.fields {
		if f.key != "sign" && (f.kind == "null" || isBlank(f.value)) {
			keys = append(keys, f.key)
		}
	}
	return keys
}

// saltForms returns the configured salt and the forms a sender's copy of it
// commonly takes: trimmed, or with a newline or space around it.
func saltForms(salt string) []saltForm {
	forms := []saltForm{{salt: salt}}
	if trimmed := strings.TrimSpace(salt); trimmed != salt && trimmed != "" {
		forms = append(forms, saltForm{salt: trimmed,
			mistake: "PINGPONG_WEBHOOK_SECRET has whitespace at its start or end that the sender's salt lacks"})
	}
	for _, extra := range []struct{ before, after, name string }{
		{"", "\n", "a trailing newline"},
		{"", "\r\n", "a trailing CR LF"},
		{"", " ", "a trailing space"},
		{" ", "", "a leading space"},
	} {
		forms = append(forms, saltForm{salt: extra.before + salt + extra.after,
			mistake: "the sender's salt has " + extra.name + " that PINGPONG_WEBHOOK_SECRET lacks"})
	}
	return forms
}

// bizForms returns bizContent as received, then every distinct re-encoding
// of it, fewest differences first. A bizContent that is not JSON has only
// the received form.
func bizForms(body *receivedBody) []bizForm {
	received := body.value("bizContent")
	forms := []bizForm{{text: received}}
	tree, err := decodeJSONTree(received)
	if err != nil {
		return forms
	}

	receivedStyle := detectJSONStyle(received, tree)
	seen := map[string]bool{received: true}
	var encoded []bizForm
	for _, style := range allJSONStyles() {
		text := style.encode(tree)
		if seen[text] {
			continue
		}
		seen[text] = true
		s := style
		encoded = append(encoded, bizForm{text: text, style: &s, differences: style.differences(receivedStyle)})
	}
	sort.SliceStable(encoded, func(i, j int) bool {
		return len(encoded[i].differences) < len(encoded[j].differences)
	})
	return append(forms, encoded...)
}
