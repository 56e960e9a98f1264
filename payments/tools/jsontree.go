package tools

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"unicode/utf8"
)

// jsonNode is a decoded JSON value that keeps the order of object keys and
// the literal text of numbers, so it can be encoded again the way another
// JSON library would have written it.
type jsonNode struct {
	// kind is '{', '[', '"' or 'l' for a literal: a number, true, false or
	// null.
	kind    byte
	text    string // string value, or the literal's text
	members []jsonMember
	items   []*jsonNode
}

type jsonMember struct {
	key   string
	value *jsonNode
}

// decodeJSONTree decodes one JSON value and rejects trailing data.
func decodeJSONTree(text string) (*jsonNode, error) {
	dec := json.NewDecoder(strings.NewReader(text))
	dec.UseNumber()

	node, err := decodeNode(dec)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("data after the JSON value")
	}
	return node, nil
}

func decodeNode(dec *json.Decoder) (*jsonNode, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}

	switch v := tok.(type) {
	case json.Delim:
		if v == '{' {
			return decodeObject(dec)
		}
		if v == '[' {
			return decodeArray(dec)
		}
		return nil, fmt.Errorf("unexpected %q", v)
	case string:
		return &jsonNode{kind: '"', text: v}, nil
	case json.Number:
		return &jsonNode{kind: 'l', text: v.String()}, nil
	case bool:
		return &jsonNode{kind: 'l', text: fmt.Sprint(v)}, nil
	default:
		return &jsonNode{kind: 'l', text: "null"}, nil
	}
}

func decodeObject(dec *json.Decoder) (*jsonNode, error) {
	node := &jsonNode{kind: '{'}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		key, _ := tok.(string)
		value, err := decodeNode(dec)
		if err != nil {
			return nil, err
		}
		node.members = append(node.members, jsonMember{key: key, value: value})
	}
	if _, err := dec.Token(); err != nil {
		return nil, err
	}
	return node, nil
}

func decodeArray(dec *json.Decoder) (*jsonNode, error) {
	node := &jsonNode{kind: '['}
	for dec.More() {
		item, err := decodeNode(dec)
		if err != nil {
			return nil, err
		}
		node.items = append(node.items, item)
	}
	if _, err := dec.Token(); err != nil {
		return nil, err
	}
	return node, nil
}

// jsonStyle is one way a JSON library writes a value. The zero value is
// compact output in the original key order with only the escapes JSON
// requires, as JavaScript's JSON.stringify writes it.
type jsonStyle struct {
	sortKeys      bool // keys in byte order, as Go's encoding/json writes maps
	spaced        bool // ", " and ": " between tokens, as Python's json.dumps
	escapeUnicode bool // non-ASCII as \uXXXX, as Python's and PHP's defaults
	escapeHTML    bool // <, > and & as \u003c, \u003e and \u0026, as Go's default
	escapeSlash   bool // / as \/, as PHP's default
}

// encode writes the node in the style.
func (s jsonStyle) encode(node *jsonNode) string {
	var b strings.Builder
	s.write(&b, node)
	return b.String()
}

func (s jsonStyle) write(b *strings.Builder, node *jsonNode) {
	switch node.kind {
	case '{':
		s.writeObject(b, node.members)
	case '[':
		b.WriteByte('[')
		for i, item := range node.items {
			if i > 0 {
				s.writeComma(b)
			}
			s.write(b, item)
		}
		b.WriteByte(']')
	case '"':
		s.writeString(b, node.text)
	default:
		b.WriteString(node.text)
	}
}

func (s jsonStyle) writeObject(b *strings.Builder, members []jsonMember) {
	if s.sortKeys {
		members = append([]jsonMember(nil), members...)
		sort.SliceStable(members, func(i, j int) bool { return members[i].key < members[j].key })
	}

	b.WriteByte('{')
	for i, m := range members {
		if i > 0 {
			s.writeComma(b)
		}
		s.writeString(b, m.key)
		b.WriteByte(':')
		if s.spaced {
			b.WriteByte(' ')
		}
		s.write(b, m.value)
	}
	b.WriteByte('}')
}

func (s jsonStyle) writeComma(b *strings.Builder) {
	b.WriteByte(',')
	if s.spaced {
		b.WriteByte(' ')
	}
}

func (s jsonStyle) writeString(b *strings.Builder, text string) {
	b.WriteByte('"')
	for _, r := range text {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20:
			fmt.Fprintf(b, `\u%04x`, r)
		case r == '/' && s.escapeSlash:
			b.WriteString(`\/`)
		case (r == '<' || r == '>' || r == '&') && s.escapeHTML:
			fmt.Fprintf(b, `\u%04x`, r)
		case r >= utf8.RuneSelf && s.escapeUnicode:
			writeUnicodeEscape(b, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
}

// writeUnicodeEscape writes r as \uXXXX, or as a UTF-16 surrogate pair
// beyond the Basic Multilingual Plane.
func writeUnicodeEscape(b *strings.Builder, r rune) {
	if r <= 0xFFFF {
		fmt.Fprintf(b, `\u%04x`, r)
		return
	}
	r -= 0x10000
	fmt.Fprintf(b, `\u%04x\u%04x`, 0xD800+(r>>10), 0xDC00+(r&0x3FF))
}

// detectJSONStyle reports the style the JSON text was written in, as far as
// the text shows it: a text without non-ASCII characters, for example, shows
// nothing about escapeUnicode and reports it false.
func detectJSONStyle(text string, node *jsonNode) jsonStyle {
	return jsonStyle{
		sortKeys:      keysSorted(node),
		spaced:        hasSpaceBetweenTokens(text),
		escapeUnicode: hasNonASCIIEscape(text),
		escapeHTML:    containsFold(text, `\u003c`, `\u003e`, `\u0026`),
		escapeSlash:   strings.Contains(text, `\/`),
	}
}

// differences names the aspects in which s differs from other.
func (s jsonStyle) differences(other jsonStyle) []string {
	var diffs []string
	if s.sortKeys != other.sortKeys {
		diffs = append(diffs, "key order")
	}
	if s.spaced != other.spaced {
		diffs = append(diffs, "spaces between tokens")
	}
	if s.escapeUnicode != other.escapeUnicode {
		diffs = append(diffs, `non-ASCII characters escaped as \uXXXX`)
	}
	if s.escapeHTML != other.escapeHTML {
		diffs = append(diffs, `<, > and & escaped as \u003c, \u003e and \u0026`)
	}
	if s.escapeSlash != other.escapeSlash {
		diffs = append(diffs, `/ escaped as \/`)
	}
	return diffs
}

// allJSONStyles returns every combination of the style options.
func allJSONStyles() []jsonStyle {
	styles := make([]jsonStyle, 0, 32)
	for bits := 0; bits < 32; bits++ {
		styles = append(styles, jsonStyle{
			sortKeys:      bits&1 != 0,
			spaced:        bits&2 != 0,
			escapeUnicode: bits&4 != 0,
			escapeHTML:    bits&8 != 0,
			escapeSlash:   bits&16 != 0,
		})
	}
	return styles
}

func keysSorted(node *jsonNode) bool {
	for i := 1; i < len(node.members); i++ {
		if node.members[i-1].key > node.members[i].key {
			return false
		}
	}
	for _, m := range node.members {
		if !keysSorted(m.value) {
			return false
		}
	}
	for _, item := range node.items {
		if !keysSorted(item) {
			return false
		}
	}
	return true
}

// hasSpaceBetweenTokens reports whether the JSON text has whitespace outside
// its strings.
func hasSpaceBetweenTokens(text string) bool {
	inString, escaped := false, false
	for i := 0; i < len(text); i++ {
		c := text[i]
		switch {
		case inString && escaped:
			escaped = false
		case inString && c == '\\':
			escaped = true
		case c == '"':
			inString = !inString
		case !inString && (c == ' ' || c == '\t' || c == '\n' || c == '\r'):
			return true
		}
	}
	return false
}

// hasNonASCIIEscape reports whether the JSON text has a \uXXXX escape of a
// character at or above U+0080.
func hasNonASCIIEscape(text string) bool {
	for i := 0; i+6 <= len(text); i++ {
		if text[i] != '\\' {
			continue
		}
		if text[i+1] != 'u' {
			i++ // skip the escaped character, which may be a backslash
			continue
		}
		var code int
		if _, err := fmt.Sscanf(text[i+2:i+6], "%04x", &code); err == nil && code >= 0x80 {
			return true
		}
	}
	return false
}

func containsFold(text string, subs ...string) bool {
	lower := strings.ToLower(text)
	for _, sub := range subs {
		if strings.Contains(lower, sub) {
			return true
		}
	}
	return false
}
