package tools

import (
	"fmt"
	"strings"

	"telegram-bot-webhook/payments"
)

// diagnosis is the result of examining a body whose signature does not
// verify or that the server rejects.
type diagnosis struct {
	signType string
	// declared is signType when it is SHA256 or MD5, else "".
	declared string
	received string
	// expected is the sign the server computes, "" when signType is unknown.
	expected string
	// signedText is the text the server signs, salt left out.
	signedText string
	// problems are reasons the server rejects the body whatever its sign.
	problems []string
	// match is the closest variant whose sign equals the received one, nil
	// when none does.
	match *variantMatch
	// tested counts the variants tried.
	tested int
	// rules and bizForms are the field rules and bizContent forms tried.
	rules    []fieldRule
	bizForms int
}

// variantMatch is a variant whose sign equals the received sign, at most
// ignoring case and surrounding whitespace.
type variantMatch struct {
	variant signVariant
	text    string
	// caseDiffers is set when the sign matches only ignoring case.
	caseDiffers bool
	// signSpaced is set when the sign matches only without surrounding
	// whitespace.
	signSpaced bool
	cost       int
}

// diagnose computes the expected sign and searches for the signing mistake.
func diagnose(body *receivedBody, s Settings) *diagnosis {
	d := &diagnosis{
		signType:   body.value("signType"),
		received:   body.value("sign"),
		signedText: signingText(body, fieldsSorted, body.value("bizContent")),
	}
	if d.signType == payments.SignSHA256 || d.signType == payments.SignMD5 {
		d.declared = d.signType
		d.expected = hexDigest(d.declared, s.Salt+d.signedText)
	}
	d.problems = formatProblems(body, s)

	if strings.TrimSpace(d.received) != "" {
		d.rules = fieldRules(body)
		forms := bizForms(body)
		d.bizForms = len(forms)
		d.match, d.tested = findVariant(body, d.rules, forms, s.Salt, d.declared, d.received)
	}
	return d
}

// findVariant tries every variant and returns the matching one with the
// fewest differences from PingPong's rules, and how many it tried.
func findVariant(body *receivedBody, rules []fieldRule, forms []bizForm, salt, declared, received string) (*variantMatch, int) {
	algorithms := []string{payments.SignSHA256, payments.SignMD5}
	if declared == payments.SignMD5 {
		algorithms = []string{payments.SignMD5, payments.SignSHA256}
	}
	trimmed := strings.TrimSpace(received)

	var best *variantMatch
	tested := 0
	for _, rule := range rules {
		for _, biz := range forms {
			text := signingText(body, rule, biz.text)
			for _, algorithm := range algorithms {
				for _, salt := range saltForms(salt) {
					for _, after := range []bool{false, true} {
						v := signVariant{algorithm: algorithm, salt: salt, saltAfter: after, fields: rule, biz: biz}
						tested++
						m := matchVariant(v, text, declared, received, trimmed)
						if m != nil && (best == nil || m.cost < best.cost) {
							best = m
						}
					}
				}
			}
		}
	}
	return best, tested
}

// matchVariant returns the match when the variant's sign equals the
// received one, exactly or ignoring case and surrounding whitespace.
func matchVariant(v signVariant, text, declared, received, trimmed string) *variantMatch {
	sign := v.digest(text)
	m := &variantMatch{variant: v, text: text}
	switch {
	case sign == received:
	case sign == trimmed:
		m.signSpaced = true
	case strings.EqualFold(sign, trimmed):
		m.caseDiffers = true
		m.signSpaced = trimmed != received
	default:
		return nil
	}

	m.cost = len(m.mistakes(declared))
	return m
}

// mistakes lists, one entry each, the ways the match differs from
// PingPong's rules.
func (m *variantMatch) mistakes(declared string) []string {
	var list []string
	v := m.variant
	if v.algorithm != declared {
		list = append(list, "algorithm")
	}
	if v.salt.mistake != "" {
		list = append(list, "salt")
	}
	if v.saltAfter {
		list = append(list, "salt position")
	}
	if v.fields.includesBlank() {
		list = append(list, "blank fields")
	}
	if v.fields.bodyOrder() {
		list = append(list, "field order")
	}
	if v.biz.style != nil {
		list = append(list, "bizContent")
	}
	if m.caseDiffers {
		list = append(list, "case")
	}
	if m.signSpaced {
		list = append(list, "sign whitespace")
	}
	return list
}

// formatProblems lists what makes the server reject the body whatever its
// sign: values that are not strings, repeated keys, missing fields, an
// unknown signType, and ids of another store.
func formatProblems(body *receivedBody, s Settings) []string {
	var problems []string
	for _, key := range body.duplicates {
		problems = append(problems, fmt.Sprintf("field %q appears more than once", key))
	}

	for _, f := range body.fields {
		switch {
		case f.key == "bizContent" && f.kind == "object":
			problems = append(problems, "bizContent is a JSON object, but PingPong sends it as a "+
				"string of JSON text: something between the sender and this server decoded it")
		case f.kind != "string" && f.kind != "null":
			problems = append(problems, fmt.Sprintf("field %q is a JSON %s, but PingPong sends "+
				"every field as a string", f.key, f.kind))
		}
	}

	for _, key := range []string{"sign", "signType", "bizContent", "accId", "clientId"} {
		if f := body.field(key); f == nil || f.kind == "null" || isBlank(f.value) {
			problems = append(problems, fmt.Sprintf("field %q is missing or blank", key))
		}
	}

	signType := body.value("signType")
	if signType != "" && signType != payments.SignSHA256 && signType != payments.SignMD5 {
		problems = append(problems, fmt.Sprintf("signType %q is neither %s nor %s",
			signType, payments.SignSHA256, payments.SignMD5))
	}
	return append(problems, storeMismatch(body, s)...)
}

// storeMismatch reports ids that differ from the configured store.
func storeMismatch(body *receivedBody, s Settings) []string {
	var problems []string
	if accID := body.value("accId"); s.AccID != "" && accID != "" && accID != s.AccID {
		problems = append(problems, fmt.Sprintf("accId %q differs from PINGPONG_ACC_ID %q: the body "+
			"is for another store, which has its own salt, and the server rejects it", accID, s.AccID))
	}
	if clientID := body.value("clientId"); s.ClientID != "" && clientID != "" && clientID != s.ClientID {
		problems = append(problems, fmt.Sprintf("clientId %q differs from PINGPONG_CLIENT_ID %q, "+
			"so the server rejects the body", clientID, s.ClientID))
	}
	return problems
}
