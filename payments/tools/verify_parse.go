package tools

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"unicode/utf8"
)

// bodyField is one top-level member of a notification body, in body order.
type bodyField struct {
	key string
	// value is the decoded string, or the JSON text of a value that is not
	// a string (an object, a number, a boolean).
	value string
	// kind is "string", "null", "object", "array", "number" or "boolean".
	kind string
}

// receivedBody is a notification body decoded leniently, so that the
// diagnosis can describe what PingPong's strict format would reject.
type receivedBody struct {
	fields     []bodyField
	duplicates []string
}

// value returns the field's value, or "" when the body lacks it.
func (b *receivedBody) value(key string) string {
	for _, f := range b.fields {
		if f.key == key {
			return f.value
		}
	}
	return ""
}

// field returns the field with the key, or nil.
func (b *receivedBody) field(key string) *bodyField {
	for i := range b.fields {
		if b.fields[i].key == key {
			return &b.fields[i]
		}
	}
	return nil
}

// signedFields returns the fields as the signature covers them: null values
// dropped, every other value as text. For a key given twice the last
// value counts.
func (b *receivedBody) signedFields() map[string]string {
	fields := make(map[string]string, len(b.fields))
	for _, f := range b.fields {
		if f.kind != "null" {
			fields[f.key] = f.value
		}
	}
	return fields
}

// parseBody decodes a body that must be one JSON object. Syntax errors name
// the line and column.
func parseBody(body []byte) (*receivedBody, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, errors.New("the body is empty: pass the notification's JSON text")
	}
	if !utf8.Valid(body) {
		return nil, errors.New("the body is not valid UTF-8")
	}

	// Unmarshal checks the whole body first and reports the offset of a
	// syntax error from the start of the body, which the token decoder
	// below does not.
	var raw json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, syntaxError(body, err)
	}

	dec := json.NewDecoder(bytes.NewReader(body))
	tok, err := dec.Token()
	if err != nil {
		return nil, fmt.Errorf("read the body: %w", err)
	}
	if delim, ok := tok.(json.Delim); !ok || delim != '{' {
		return nil, fmt.Errorf("the body is not a JSON object: it starts with %s", describeToken(tok))
	}

	parsed := &receivedBody{}
	seen := map[string]bool{}
	for dec.More() {
		field, err := decodeBodyField(dec)
		if err != nil {
			return nil, err
		}
		if seen[field.key] {
			parsed.duplicates = append(parsed.duplicates, field.key)
		}
		seen[field.key] = true
		parsed.fields = append(parsed.fields, field)
	}

	if _, err := dec.Token(); err != nil {
		return nil, fmt.Errorf("read the body: %w", err)
	}
	return parsed, nil
}

func decodeBodyField(dec *json.Decoder) (bodyField, error) {
	tok, err := dec.Token()
	if err != nil {
		return bodyField{}, fmt.Errorf("read the body: %w", err)
	}
	key, _ := tok.(string)

	var raw json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		return bodyField{}, fmt.Errorf("read field %q: %w", key, err)
	}

	field := bodyField{key: key, value: string(raw)}
	switch raw[0] {
	case '"':
		field.kind = "string"
		if err := json.Unmarshal(raw, &field.value); err != nil {
			return bodyField{}, fmt.Errorf("field %q: %w", key, err)
		}
	case 'n':
		field.kind = "null"
		field.value = ""
	case '{':
		field.kind = "object"
	case '[':
		field.kind = "array"
	case 't', 'f':
		field.kind = "boolean"
	default:
		field.kind = "number"
	}
	return field, nil
}

// syntaxError turns an error of json.Unmarshal into one that names the line
// and column of the offending byte.
func syntaxError(body []byte, err error) error {
	var syntax *json.SyntaxError
	if !errors.As(err, &syntax) {
		return fmt.Errorf("the body is not valid JSON: %w", err)
	}
	if syntax.Offset >= int64(len(body)) {
		return fmt.Errorf("the body is not valid JSON: it ends before the object is closed (%v)", err)
	}

	// Offset counts the bytes read up to and including the offending one.
	index := max(syntax.Offset-1, 0)
	line, column := position(body, index)
	return fmt.Errorf("the body is not valid JSON at line %d, column %d (byte %d): %v",
		line, column, index+1, err)
}

// position converts the index of a byte into a 1-based line and column,
// counting the column in characters.
func position(body []byte, index int64) (line, column int) {
	before := body[:index]
	line = bytes.Count(before, []byte("\n")) + 1
	lineStart := bytes.LastIndexByte(before, '\n') + 1
	column = utf8.RuneCount(before[lineStart:]) + 1
	return line, column
}

func describeToken(tok json.Token) string {
	switch v := tok.(type) {
	case json.Delim:
		return fmt.Sprintf("%q", string(v))
	case string:
		return "a string"
	case nil:
		return "null"
	default:
		return fmt.Sprintf("%v", v)
	}
}
