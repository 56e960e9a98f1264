package telegramtest

import (
	"fmt"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// allowedTags are the HTML tags the Bot API accepts with parse_mode HTML.
var allowedTags = map[string]bool{
	"b": true, "strong": true, "i": true, "em": true, "u": true, "ins": true,
	"s": true, "strike": true, "del": true, "code": true, "pre": true, "a": true,
	"tg-spoiler": true, "span": true, "blockquote": true,
}

// namedEntities are the only named HTML entities the Bot API decodes.
var namedEntities = map[string]rune{"lt": '<', "gt": '>', "amp": '&', "quot": '"'}

// parseHTML checks text the way the Bot API parses parse_mode HTML and
// returns the length of the visible text in UTF-16 code units, which is what
// the 4096 character limit counts.
func parseHTML(text string) (int, error) {
	var stack []string
	length := 0
	for i := 0; i < len(text); {
		switch text[i] {
		case '<':
			end := strings.IndexByte(text[i:], '>')
			if end < 0 {
				return 0, fmt.Errorf("unclosed start tag at byte offset %d", i)
			}
			tag := text[i+1 : i+end]
			var err error
			stack, err = applyTag(stack, tag, i)
			if err != nil {
				return 0, err
			}
			i += end + 1
		case '&':
			r, size, err := decodeEntity(text[i:], i)
			if err != nil {
				return 0, err
			}
			length += utf16.RuneLen(r)
			i += size
		default:
			r, size := decodeRune(text[i:])
			length += utf16.RuneLen(r)
			i += size
		}
	}
	if len(stack) > 0 {
		return 0, fmt.Errorf("can't find end tag corresponding to start tag \"%s\"", stack[len(stack)-1])
	}
	return length, nil
}

// applyTag pushes a start tag or pops the matching end tag.
func applyTag(stack []string, tag string, offset int) ([]string, error) {
	if closing, ok := strings.CutPrefix(tag, "/"); ok {
		name := strings.ToLower(strings.TrimSpace(closing))
		if len(stack) == 0 || stack[len(stack)-1] != name {
			return nil, fmt.Errorf("unexpected end tag at byte offset %d", offset)
		}
		return stack[:len(stack)-1], nil
	}

	name, attributes, _ := strings.Cut(tag, " ")
	name = strings.ToLower(name)
	if name == "" || !allowedTags[name] {
		return nil, fmt.Errorf("unsupported start tag \"%s\" at byte offset %d", name, offset)
	}
	if name == "a" && !strings.Contains(attributes, "href=") {
		return nil, fmt.Errorf("tag \"a\" must have an attribute \"href\" at byte offset %d", offset)
	}
	if strings.HasSuffix(attributes, "/") {
		return nil, fmt.Errorf("self-closing tag \"%s\" at byte offset %d", name, offset)
	}
	return append(stack, name), nil
}

// decodeEntity decodes the entity at the start of s, which begins with '&'.
func decodeEntity(s string, offset int) (rune, int, error) {
	end := strings.IndexByte(s, ';')
	if end < 2 || end > 10 {
		return 0, 0, fmt.Errorf("character '&' at byte offset %d is reserved and must be escaped as &amp;", offset)
	}
	name := s[1:end]
	if r, ok := namedEntities[name]; ok {
		return r, end + 1, nil
	}

	var code int
	var err error
	switch {
	case strings.HasPrefix(name, "#x") || strings.HasPrefix(name, "#X"):
		_, err = fmt.Sscanf(name[2:], "%x", &code)
	case strings.HasPrefix(name, "#"):
		_, err = fmt.Sscanf(name[1:], "%d", &code)
	default:
		return 0, 0, fmt.Errorf("unsupported HTML entity \"&%s;\" at byte offset %d", name, offset)
	}
	if err != nil || code <= 0 || code > 0x10FFFF {
		return 0, 0, fmt.Errorf("invalid HTML entity \"&%s;\" at byte offset %d", name, offset)
	}
	return rune(code), end + 1, nil
}

// visibleLength returns the length of plain text in UTF-16 code units.
func visibleLength(text string) int {
	length := 0
	for _, r := range text {
		length += utf16.RuneLen(r)
	}
	return length
}

// decodeRune decodes the first rune of s; invalid UTF-8 counts as one
// replacement character.
func decodeRune(s string) (rune, int) {
	r, size := utf8.DecodeRuneInString(s)
	if size == 0 {
		return utf8.RuneError, 1
	}
	return r, size
}
