package payments

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"
)

// ErrMalformed is wrapped by every error about a PingPong message that is not
// the documented JSON shape: not an object, a value of the wrong type, a
// missing field or trailing data.
var ErrMalformed = errors.New("malformed message")

// EnvelopeVersion is the version field of every request.
const EnvelopeVersion = "1.0"

// Envelope is the flat JSON object that carries every PingPong request,
// response and notification. Values are the decoded JSON strings exactly as
// received, and bizContent stays the raw JSON text it was sent as, because
// the signature covers those strings.
type Envelope map[string]string

// requestFields are the envelope fields every request and notification has.
var requestFields = []string{"sign", "signType", "bizContent", "accId", "clientId"}

// ParseEnvelope decodes a request or notification body. The body must be one
// JSON object whose values are strings or null. A null value is dropped,
// because PingPong skips it when signing. Duplicate keys, other value types, trailing
// data, invalid UTF-8 and a missing or blank sign, signType, bizContent, accId
// or clientId all return an error wrapping ErrMalformed. The signature is not
// checked here; call Verify.
func ParseEnvelope(body []byte) (Envelope, error) {
	env, err := decodeFlatObject(body)
	if err != nil {
		return nil, err
	}

	if err := env.requireFields(requestFields...); err != nil {
		return nil, err
	}
	return env, nil
}

// Verify checks the envelope's signature with the salt. See VerifySignature.
func (e Envelope) Verify(salt string) error {
	return VerifySignature(e, salt)
}

// SetSign computes the signature of the envelope with the salt and the type
// in its signType field, and stores it in the sign field.
func (e Envelope) SetSign(salt string) error {
	sign, err := Sign(e, salt, e["signType"])
	if err != nil {
		return err
	}

	e["sign"] = sign
	return nil
}

// BuildEnvelope builds a signed request or notification envelope. biz is
// marshalled to JSON for bizContent without HTML escaping. It must marshal to
// a JSON object: a struct, a map or a json.RawMessage, which is used verbatim.
func BuildEnvelope(accID, clientID, signType, salt string, biz any) (Envelope, error) {
	if accID == "" || clientID == "" {
		return nil, fmt.Errorf("payments: build envelope: accId %q and clientId %q must both be set",
			accID, clientID)
	}

	bizContent, err := marshalBizContent(biz)
	if err != nil {
		return nil, err
	}

	env := Envelope{
		"accId":      accID,
		"clientId":   clientID,
		"signType":   signType,
		"version":    EnvelopeVersion,
		"bizContent": bizContent,
	}
	if err := env.SetSign(salt); err != nil {
		return nil, fmt.Errorf("payments: build envelope: %w", err)
	}
	return env, nil
}

// JSON encodes the envelope as a JSON object with keys in byte order and
// without HTML escaping.
func (e Envelope) JSON() ([]byte, error) {
	return marshalJSON(map[string]string(e))
}

func (e Envelope) requireFields(keys ...string) error {
	for _, key := range keys {
		if isBlank(e[key]) {
			return fmt.Errorf("payments: parse envelope: %w: field %q is missing or blank",
				ErrMalformed, key)
		}
	}
	return nil
}

// decodeFlatObject decodes a JSON object whose values are strings or null,
// keeping each string exactly as JSON-unescaped. It reads the object token by
// token so that duplicate keys, which a map decode would silently merge, are
// rejected.
func decodeFlatObject(body []byte) (Envelope, error) {
	if !utf8.Valid(body) {
		return nil, fmt.Errorf("payments: parse envelope: %w: body is not valid UTF-8", ErrMalformed)
	}

	dec := json.NewDecoder(bytes.NewReader(body))
	tok, err := dec.Token()
	if err != nil {
		return nil, fmt.Errorf("payments: parse envelope: %w: body is not JSON: %v", ErrMalformed, err)
	}
	if delim, ok := tok.(json.Delim); !ok || delim != '{' {
		return nil, fmt.Errorf("payments: parse envelope: %w: body is not a JSON object", ErrMalformed)
	}

	env := Envelope{}
	seen := map[string]bool{}
	for dec.More() {
		key, value, err := decodeMember(dec)
		if err != nil {
			return nil, err
		}
		if seen[key] {
			return nil, fmt.Errorf("payments: parse envelope: %w: duplicate field %q", ErrMalformed, key)
		}
		seen[key] = true

		if value != nil {
			env[key] = *value
		}
	}

	if _, err := dec.Token(); err != nil {
		return nil, fmt.Errorf("payments: parse envelope: %w: %v", ErrMalformed, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("payments: parse envelope: %w: data after the JSON object", ErrMalformed)
	}
	return env, nil
}

// decodeMember reads one key and its value. A null value returns a nil
// string pointer.
func decodeMember(dec *json.Decoder) (string, *string, error) {
	tok, err := dec.Token()
	if err != nil {
		return "", nil, fmt.Errorf("payments: parse envelope: %w: %v", ErrMalformed, err)
	}
	key, ok := tok.(string)
	if !ok {
		return "", nil, fmt.Errorf("payments: parse envelope: %w: unexpected %v", ErrMalformed, tok)
	}

	var raw json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		return "", nil, fmt.Errorf("payments: parse envelope: %w: field %q: %v", ErrMalformed, key, err)
	}

	switch raw[0] {
	case 'n':
		return key, nil, nil
	case '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", nil, fmt.Errorf("payments: parse envelope: %w: field %q: %v", ErrMalformed, key, err)
		}
		return key, &s, nil
	default:
		return "", nil, fmt.Errorf("payments: parse envelope: %w: field %q is a JSON %s, want a string",
			ErrMalformed, key, jsonKind(raw))
	}
}

func jsonKind(raw json.RawMessage) string {
	switch raw[0] {
	case '{':
		return "object"
	case '[':
		return "array"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	case '"':
		return "string"
	default:
		return "number"
	}
}

func marshalBizContent(biz any) (string, error) {
	var text []byte
	if raw, ok := biz.(json.RawMessage); ok {
		text = bytes.TrimSpace(raw)
		if !json.Valid(text) {
			return "", fmt.Errorf("payments: build envelope: bizContent is not valid JSON")
		}
	} else {
		var err error
		text, err = marshalJSON(biz)
		if err != nil {
			return "", fmt.Errorf("payments: build envelope: encode bizContent: %w", err)
		}
	}

	if len(text) == 0 || text[0] != '{' {
		return "", fmt.Errorf("payments: build envelope: bizContent must be a JSON object, got %.40s", text)
	}
	return string(text), nil
}

// marshalJSON encodes v without HTML escaping, so URLs in bizContent keep
// their "&" instead of "\u0026", and without a trailing newline.
func marshalJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
