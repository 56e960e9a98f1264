package config

import (
	"context"
	"encoding"
	"encoding/json"
	"fmt"
	"log/slog"
)

// redactingHandler passes records to another slog.Handler after replacing
// every secret in the message, in attribute keys and in attribute values.
type redactingHandler struct {
	inner    slog.Handler
	redactor *Redactor
}

// NewRedactingHandler wraps inner so no secret known to redactor reaches it.
// It redacts the message, string values, error values (as their Error()
// text), the results of slog.LogValuer, groups at any depth, attributes
// added with WithAttrs and group names. Any other value whose printed, JSON
// or text form contains a secret is replaced by its redacted printed form.
// Numbers, booleans, times and durations pass unchanged.
func NewRedactingHandler(inner slog.Handler, redactor *Redactor) slog.Handler {
	return &redactingHandler{inner: inner, redactor: redactor}
}

// Enabled reports whether the wrapped handler handles level.
func (h *redactingHandler) Enabled(ctx context.Context, level slog.Level) bool {
	return h.inner.Enabled(ctx, level)
}

// Handle redacts the record and passes it on.
func (h *redactingHandler) Handle(ctx context.Context, record slog.Record) error {
	out := slog.NewRecord(record.Time, record.Level, h.redactor.Redact(record.Message), record.PC)
	record.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(h.attr(a))
		return true
	})
	return h.inner.Handle(ctx, out)
}

// WithAttrs redacts attrs once and adds them to the wrapped handler.
func (h *redactingHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	redacted := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		redacted[i] = h.attr(a)
	}
	return &redactingHandler{inner: h.inner.WithAttrs(redacted), redactor: h.redactor}
}

// WithGroup opens a group on the wrapped handler.
func (h *redactingHandler) WithGroup(name string) slog.Handler {
	return &redactingHandler{inner: h.inner.WithGroup(h.redactor.Redact(name)), redactor: h.redactor}
}

func (h *redactingHandler) attr(a slog.Attr) slog.Attr {
	return slog.Attr{Key: h.redactor.Redact(a.Key), Value: h.value(a.Value.Resolve())}
}

func (h *redactingHandler) value(v slog.Value) slog.Value {
	switch v.Kind() {
	case slog.KindString:
		return slog.StringValue(h.redactor.Redact(v.String()))
	case slog.KindGroup:
		members := v.Group()
		redacted := make([]slog.Attr, len(members))
		for i, member := range members {
			redacted[i] = h.attr(member)
		}
		return slog.GroupValue(redacted...)
	case slog.KindAny:
		return h.anyValue(v.Any())
	default:
		return v
	}
}

// anyValue redacts a value of a type slog does not know. An error becomes
// its redacted Error() text, which is also what the text and JSON handlers
// print for it.
func (h *redactingHandler) anyValue(value any) slog.Value {
	if err, ok := value.(error); ok {
		return slog.StringValue(h.redactor.Redact(err.Error()))
	}
	if raw, ok := value.([]byte); ok {
		text := string(raw)
		if redacted := h.redactor.Redact(text); redacted != text {
			return slog.StringValue(redacted)
		}
		return slog.AnyValue(value)
	}

	for _, form := range printedForms(value) {
		if h.redactor.Redact(form) != form {
			return slog.StringValue(h.redactor.Redact(fmt.Sprintf("%+v", value)))
		}
	}
	return slog.AnyValue(value)
}

// printedForms returns the forms in which the text or JSON handler may
// print value. A marshaler that panics, such as a method called on a nil
// pointer, contributes no form.
func printedForms(value any) (forms []string) {
	defer func() { _ = recover() }()
	forms = []string{fmt.Sprintf("%+v", value)}
	if marshaler, ok := value.(encoding.TextMarshaler); ok {
		if text, err := marshaler.MarshalText(); err == nil {
			forms = append(forms, string(text))
		}
	}
	if encoded, err := json.Marshal(value); err == nil {
		forms = append(forms, string(encoded))
	}
	return forms
}
