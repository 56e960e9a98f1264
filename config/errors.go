package config

import (
	"fmt"
	"strings"
)

// ValidationError lists every problem found in the configuration, so one
// start-up attempt reports all of them. No problem contains a secret value.
type ValidationError struct {
	// Problems are full sentences, each naming the key, its environment
	// variable where it has one, and the fix.
	Problems []string
}

// Error returns the problems one per line under a summary line.
func (e *ValidationError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "config: %d invalid setting(s):", len(e.Problems))
	for _, p := range e.Problems {
		b.WriteString("\n  - ")
		b.WriteString(p)
	}
	return b.String()
}

// problems collects validation problems while the configuration is decoded.
// It keeps the first problem of each key only, so a value that failed to
// parse is not also reported as missing or out of range.
type problems struct {
	list   []string
	failed map[string]bool
}

// add records a problem about key, prefixed with the key's label.
func (p *problems) add(key, format string, args ...any) {
	if p.failed[key] {
		return
	}
	if p.failed == nil {
		p.failed = make(map[string]bool)
	}
	p.failed[key] = true
	p.list = append(p.list, label(key)+" "+fmt.Sprintf(format, args...))
}

// addLine records a problem that is not about one key.
func (p *problems) addLine(format string, args ...any) {
	p.list = append(p.list, fmt.Sprintf(format, args...))
}

// has reports whether key already has a problem.
func (p *problems) has(key string) bool {
	return p.failed[key]
}

// err returns nil when nothing was recorded. Every secret is replaced in
// the problems, in case a value was pasted into the wrong setting.
func (p *problems) err(secrets []string) error {
	if len(p.list) == 0 {
		return nil
	}
	redactor := NewRedactor(secrets)
	list := make([]string, len(p.list))
	for i, problem := range p.list {
		list[i] = redactor.Redact(problem)
	}
	return &ValidationError{Problems: list}
}
