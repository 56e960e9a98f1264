package webhooks

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestMetricsRoute_ServedWhenSet(t *testing.T) {
	handler := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, "shopbot_up 1\n")
	})
	server, _ := newTestServer(t, Options{Metrics: handler})
	recorder := serve(server, httptest.NewRequest(http.MethodGet, MetricsPath, nil))
	if recorder.Code != http.StatusOK || recorder.Body.String() != "shopbot_up 1\n" {
		t.Fatalf("GET /metrics = %d %q", recorder.Code, recorder.Body.String())
	}
}

func TestMetricsRoute_AbsentWhenUnset(t *testing.T) {
	server, _ := newTestServer(t, Options{})
	recorder := serve(server, httptest.NewRequest(http.MethodGet, MetricsPath, nil))
	if recorder.Code != http.StatusNotFound {
		t.Fatalf("GET /metrics = %d, want 404", recorder.Code)
	}
}
