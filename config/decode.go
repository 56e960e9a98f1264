package config

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/viper"
)

// decoder turns the merged viper values into typed settings and records a
// problem for every value it cannot use. YAML gives typed values (int,
// float64, bool, lists), while the environment always gives strings, so every
// value is first rendered as text and then parsed the same way.
type decoder struct {
	v *viper.Viper
	p *problems
}

// scalar returns the value of key as trimmed text. isFloat is true when YAML
// decoded the value as a floating-point number.
func (d decoder) scalar(key string) (text string, isFloat bool, ok bool) {
	switch value := d.v.Get(key).(type) {
	case nil:
		return "", false, true
	case string:
		return strings.TrimSpace(value), false, true
	case int:
		return strconv.Itoa(value), false, true
	case int64:
		return strconv.FormatInt(value, 10), false, true
	case uint64:
		return strconv.FormatUint(value, 10), false, true
	case bool:
		return strconv.FormatBool(value), false, true
	case float64:
		return strconv.FormatFloat(value, 'f', -1, 64), true, true
	default:
		d.p.add(key, "must be a single value, not a list or a section")
		return "", false, false
	}
}

// text returns a string setting. A YAML float is rejected because YAML
// rounds long numbers such as a 22-digit PingPong acc id to float64.
func (d decoder) text(key string) string {
	text, isFloat, ok := d.scalar(key)
	if !ok {
		return ""
	}
	if isFloat {
		d.p.add(key, "is written as a number in the YAML file, which rounds long values: "+
			"put the value in quotes")
		return ""
	}
	return text
}

// integer returns a whole-number setting. what names the expected value in
// the problem, such as "port number", and fix is the correction to suggest.
func (d decoder) integer(key, what, fix string) (int, bool) {
	text, _, ok := d.scalar(key)
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(text)
	if err != nil {
		d.p.add(key, "%q is not a %s: %s", text, what, fix)
		return 0, false
	}
	return n, true
}

// number returns a finite decimal setting such as a rate per second.
func (d decoder) number(key, fix string) (float64, bool) {
	text, _, ok := d.scalar(key)
	if !ok {
		return 0, false
	}
	f, err := strconv.ParseFloat(text, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		d.p.add(key, "%q is not a number: %s", text, fix)
		return 0, false
	}
	return f, true
}

// duration returns a positive duration setting written as a Go duration
// such as "15s" or "10m".
func (d decoder) duration(key string) time.Duration {
	text, _, ok := d.scalar(key)
	if !ok {
		return 0
	}
	value, err := time.ParseDuration(text)
	if err != nil {
		d.p.add(key, "%q is not a duration: use a number with a unit, such as 15s, 2m or 1h", text)
		return 0
	}
	if value <= 0 {
		d.p.add(key, "%q must be greater than zero: use a duration such as 15s, 2m or 1h", text)
		return 0
	}
	return value
}

// choice returns the value of key in the case of allowed, which are all
// lowercase or all uppercase. Unless the value matches one of allowed, it
// records a problem that lists them and quotes the value as written.
func (d decoder) choice(key, what string, allowed ...string) string {
	raw := d.text(key)
	value := strings.ToLower(raw)
	if len(allowed) > 0 && allowed[0] == strings.ToUpper(allowed[0]) {
		value = strings.ToUpper(raw)
	}
	for _, a := range allowed {
		if value == a {
			return value
		}
	}
	d.p.add(key, "%q is not a %s: use %s", raw, what, strings.Join(allowed, " or "))
	return value
}

// required records a "missing" problem when value is empty.
func (d decoder) required(key, value, fix string) bool {
	if value != "" {
		return true
	}
	d.p.add(key, "is missing: %s", fix)
	return false
}
