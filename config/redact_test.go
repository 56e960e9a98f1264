package config

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"testing"
)

func TestRedactString(t *testing.T) {
	cases := []struct {
		name    string
		text    string
		secrets []string
		want    string
	}{
		{"no secrets", "token 123:abc", nil, "token 123:abc"},
		{"empty secret ignored", "abc", []string{""}, "abc"},
		{"every occurrence", "a SECRET b SECRET", []string{"SECRET"}, "a [redacted] b [redacted]"},
		{"several secrets", "x ONE y TWO", []string{"ONE", "TWO"}, "x [redacted] y [redacted]"},
		{"longer secret wins", "key ABCDEF", []string{"ABC", "ABCDEF"}, "key [redacted]"},
		{"query escaped form", "u=123%3Aabc", []string{"123:abc"}, "u=[redacted]"},
		{"path escaped form", "/bot1%2F2/getMe", []string{"1/2"}, "/bot[redacted]/getMe"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := RedactString(c.text, c.secrets); got != c.want {
				t.Errorf("RedactString(%q) = %q, want %q", c.text, got, c.want)
			}
		})
	}
}

func TestRedactor_NilAndEmpty(t *testing.T) {
	var nilRedactor *Redactor
	if got := nilRedactor.Redact("text"); got != "text" {
		t.Errorf("nil Redactor changed text to %q", got)
	}
	if got := NewRedactor(nil).Redact("text"); got != "text" {
		t.Errorf("empty Redactor changed text to %q", got)
	}
}

func TestRedactor_ErrorKeepsChain(t *testing.T) {
	redactor := NewRedactor([]string{testToken})
	cause := context.DeadlineExceeded
	err := fmt.Errorf("call https://api.telegram.org/bot%s/getMe: %w", testToken, cause)

	redacted := redactor.Error(err)

	if strings.Contains(redacted.Error(), testToken) {
		t.Errorf("redacted error %q contains the token", redacted)
	}
	if !strings.Contains(redacted.Error(), "/bot[redacted]/getMe") {
		t.Errorf("redacted error %q lost its context", redacted)
	}
	if !errors.Is(redacted, context.DeadlineExceeded) {
		t.Error("redacted error no longer matches its cause")
	}
	if redactor.Error(nil) != nil {
		t.Error("Error(nil) is not nil")
	}
	plain := errors.New("no secret here")
	if redactor.Error(plain) != plain {
		t.Error("an error without secrets was wrapped")
	}
}

// secretValuer returns a group holding the secret from LogValue.
type secretValuer struct{}

func (secretValuer) LogValue() slog.Value {
	return slog.GroupValue(slog.String("inner", "valuer "+testSalt))
}

// secretStruct prints the secret through fmt and JSON.
type secretStruct struct {
	URL string
}

func TestRedactingHandler_RedactsEverywhere(t *testing.T) {
	for _, format := range []string{LogFormatText, LogFormatJSON} {
		t.Run(format, func(t *testing.T) {
			var out bytes.Buffer
			var inner slog.Handler = slog.NewTextHandler(&out, nil)
			if format == LogFormatJSON {
				inner = slog.NewJSONHandler(&out, nil)
			}
			logger := slog.New(NewRedactingHandler(inner, NewRedactor([]string{testToken, testSalt})))
			apiURL, err := url.Parse("https://api.telegram.org/bot" + testToken + "/getMe")
			if err != nil {
				t.Fatal(err)
			}

			logger.With("with_attr", "w "+testSalt).WithGroup("grp").Info(
				"Message with "+testToken,
				"attr", "a "+testToken,
				"error", fmt.Errorf("wrapped: %w", errors.New("e "+testSalt)),
				slog.Group("group", slog.String("nested", "n "+testToken),
					slog.Group("deeper", slog.String("leaf", testSalt))),
				"valuer", secretValuer{},
				"url", apiURL,
				"struct", secretStruct{URL: testToken},
				"bytes", []byte("b "+testToken),
				"count", 3,
			)

			text := out.String()
			if strings.Contains(text, testToken) || strings.Contains(text, testSalt) {
				t.Fatalf("output contains a secret:\n%s", text)
			}
			if got := strings.Count(text, RedactedValue); got != 10 {
				t.Errorf("output has %d redactions, want 10:\n%s", got, text)
			}
			if !strings.Contains(text, "3") {
				t.Errorf("non-secret attribute lost:\n%s", text)
			}
		})
	}
}

func TestRedactingHandler_KeepsValuesWithoutSecrets(t *testing.T) {
	var out bytes.Buffer
	logger := slog.New(NewRedactingHandler(slog.NewJSONHandler(&out, nil), NewRedactor([]string{testToken})))

	logger.Info("Plain", "struct", secretStruct{URL: "https://example.com"}, "order_id", 7)

	want := `"struct":{"URL":"https://example.com"},"order_id":7`
	if !strings.Contains(out.String(), want) {
		t.Errorf("output %s does not contain %s", out.String(), want)
	}
}

func TestRedactingHandler_Enabled(t *testing.T) {
	inner := slog.NewTextHandler(&bytes.Buffer{}, &slog.HandlerOptions{Level: slog.LevelWarn})
	handler := NewRedactingHandler(inner, NewRedactor(nil))

	if handler.Enabled(context.Background(), slog.LevelInfo) {
		t.Error("info enabled under a warn handler")
	}
	if !handler.Enabled(context.Background(), slog.LevelError) {
		t.Error("error disabled under a warn handler")
	}
}
