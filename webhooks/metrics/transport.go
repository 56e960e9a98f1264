package metrics

import (
	"net/http"
	"path"
	"time"
)

// telegramTransport times Bot API calls. The method is the last element of
// the request path; the URL itself, which carries the bot token, is never
// recorded.
type telegramTransport struct {
	base    http.RoundTripper
	metrics *Metrics
}

// TelegramTransport wraps base (http.DefaultTransport when nil) so each Bot
// API call is recorded by method, outcome and error code.
func (m *Metrics) TelegramTransport(base http.RoundTripper) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	return &telegramTransport{base: base, metrics: m}
}

func (t *telegramTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	method := path.Base(req.URL.Path)
	start := time.Now()
	resp, err := t.base.RoundTrip(req)
	elapsed := time.Since(start)
	switch {
	case err != nil:
		t.metrics.TelegramCall(method, "network_error", 0, elapsed)
	case resp.StatusCode == http.StatusOK:
		t.metrics.TelegramCall(method, "ok", 0, elapsed)
	default:
		t.metrics.TelegramCall(method, "api_error", resp.StatusCode, elapsed)
	}
	return resp, err
}
