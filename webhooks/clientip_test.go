package webhooks

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"telegram-bot-webhook/payments"
	"telegram-bot-webhook/store"
)

// pingPongProductionIPs are the published production notification sources.
var pingPongProductionIPs = []string{"3.125.243.2", "3.126.196.22", "18.195.199.34"}

func TestPingPongAllowlist_AllowedClients(t *testing.T) {
	tests := []struct {
		name, remoteAddr string
		allowed          []string
	}{
		{"production address", "3.126.196.22:443", pingPongProductionIPs},
		{"sandbox address", "52.76.198.228:443", []string{"52.76.198.228"}},
		{"inside a CIDR range", "198.51.100.77:1000", []string{"198.51.100.0/24"}},
		{"IPv6 address", "[2001:db8::5]:1000", []string{"2001:db8::/64"}},
		{"entries with spaces", "3.125.243.2:443", []string{" 3.125.243.2 ", ""}},
		{"empty list", "192.0.2.99:1000", nil},
		{"only empty entries", "192.0.2.99:1000", []string{"", " "}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			processor := &fakeProcessor{result: payments.Result{Outcome: store.OutcomeApplied}}
			server, _ := newTestServer(t, Options{
				Notifications:      processor,
				PingPongAllowedIPs: tt.allowed,
			})
			req := notificationRequest(sampleNotification)
			req.RemoteAddr = tt.remoteAddr

			got := serve(server, req)

			if got.Code != http.StatusOK {
				t.Errorf("status = %d, want 200; body %s", got.Code, got.Body)
			}
			if n := processor.callCount(); n != 1 {
				t.Errorf("processor called %d times, want 1", n)
			}
		})
	}
}

func TestPingPongAllowlist_OtherClientRejected(t *testing.T) {
	processor := &fakeProcessor{result: payments.Result{Outcome: store.OutcomeApplied}}
	server, logs := newTestServer(t, Options{
		Notifications:      processor,
		PingPongAllowedIPs: append([]string{"52.76.198.228"}, pingPongProductionIPs...),
	})
	req := notificationRequest(sampleNotification)
	req.RemoteAddr = "203.0.113.50:40000"

	got := serve(server, req)

	wantJSONError(t, got, http.StatusForbidden, "ip_not_allowed")
	if n := processor.callCount(); n != 0 {
		t.Errorf("processor called %d times, want 0", n)
	}
	record := logs.one(t, "PingPong notification rejected")
	want := map[string]any{
		"level":      "WARN",
		"reason":     "client IP not allowed",
		"remote_ip":  "203.0.113.50",
		"request_id": got.Header().Get("X-Request-Id"),
	}
	for field, value := range want {
		if record[field] != value {
			t.Errorf("%s = %v, want %v", field, record[field], value)
		}
	}
}

func TestPingPongAllowlist_TelegramAndHealthUnaffected(t *testing.T) {
	server, _ := newTestServer(t, Options{
		PingPongAllowedIPs: pingPongProductionIPs,
		Telegram:           &fakeTelegram{accept: true},
		TelegramSecret:     telegramTestSecret,
	})

	if got := serve(server, telegramRequest(`{"update_id":1}`, telegramTestSecret)); got.Code != http.StatusOK {
		t.Errorf("Telegram status = %d, want 200", got.Code)
	}
	health := httptest.NewRequest(http.MethodGet, HealthPath, nil)
	if got := serve(server, health); got.Code != http.StatusOK {
		t.Errorf("health status = %d, want 200", got.Code)
	}
}

func TestNew_InvalidAddressLists(t *testing.T) {
	tests := []struct {
		name  string
		opts  Options
		wants []string
	}{
		{
			"allowlist host name",
			Options{PingPongAllowedIPs: []string{"3.125.243.2", "pingpongx.com"}},
			[]string{`"pingpongx.com"`, "PingPong allowed IPs"},
		},
		{
			"allowlist bad prefix",
			Options{PingPongAllowedIPs: []string{"3.125.243.0/33"}},
			[]string{`"3.125.243.0/33"`},
		},
		{
			"proxy with port",
			Options{TrustedProxies: []string{"10.0.0.1:8080"}},
			[]string{`"10.0.0.1:8080"`, "trusted proxies"},
		},
		{
			"every bad entry reported",
			Options{PingPongAllowedIPs: []string{"a"}, TrustedProxies: []string{"b"}},
			[]string{`"a"`, `"b"`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.Notifications = &fakeProcessor{}

			_, err := New(tt.opts)

			if err == nil {
				t.Fatal("New = nil error, want an invalid entry error")
			}
			for _, want := range tt.wants {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error = %v, want it to contain %s", err, want)
				}
			}
		})
	}
}

// clientIPCase is one request and the client IP the server must see.
type clientIPCase struct {
	name, remoteAddr, forwardedFor, realIP string
	want                                   string
}

// runClientIPCases sends each case to the PingPong route and checks the
// address that reaches the processor.
func runClientIPCases(t *testing.T, trustedProxies []string, cases []clientIPCase) {
	t.Helper()
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			processor := &fakeProcessor{result: payments.Result{Outcome: store.OutcomeApplied}}
			server, _ := newTestServer(t, Options{
				Notifications:  processor,
				TrustedProxies: trustedProxies,
			})
			req := notificationRequest(sampleNotification)
			req.RemoteAddr = tt.remoteAddr
			if tt.forwardedFor != "" {
				req.Header.Set("X-Forwarded-For", tt.forwardedFor)
			}
			if tt.realIP != "" {
				req.Header.Set("X-Real-Ip", tt.realIP)
			}

			serve(server, req)

			if got := processor.lastCall(t).remoteAddr; got != tt.want {
				t.Errorf("client IP = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestClientIP_NoTrustedProxies(t *testing.T) {
	runClientIPCases(t, nil, []clientIPCase{
		{"public peer", "198.51.100.9:1000", "3.125.243.2", "3.125.243.2", "198.51.100.9"},
		{"loopback peer", "127.0.0.1:1000", "3.125.243.2", "3.125.243.2", "127.0.0.1"},
		{"private peer", "10.0.0.2:1000", "3.125.243.2", "3.125.243.2", "10.0.0.2"},
		{"link-local peer", "169.254.1.1:1000", "3.125.243.2", "", "169.254.1.1"},
	})
}

func TestClientIP_TrustedProxies(t *testing.T) {
	trusted := []string{"10.0.0.0/24", "2001:db8::1"}
	runClientIPCases(t, trusted, []clientIPCase{
		{"forwarded by proxy", "10.0.0.2:1000", "3.125.243.2", "", "3.125.243.2"},
		{"real IP from proxy", "10.0.0.2:1000", "", "3.125.243.2", "3.125.243.2"},
		{"forwarded wins over real IP", "10.0.0.2:1000", "3.125.243.2", "198.51.100.1", "3.125.243.2"},
		{"IPv6 proxy", "[2001:db8::1]:1000", "3.125.243.2", "", "3.125.243.2"},
		{"proxy without headers", "10.0.0.2:1000", "", "", "10.0.0.2"},
		// The proxy appends the address it saw, so a client's own
		// X-Forwarded-For entry stays to the left and is skipped.
		{"spoofed entry before real client", "10.0.0.2:1000", "3.125.243.2, 198.51.100.9", "", "198.51.100.9"},
		{"chain of trusted proxies", "10.0.0.2:1000", "198.51.100.9, 10.0.0.3", "", "198.51.100.9"},
		{"untrusted public peer", "198.51.100.9:1000", "3.125.243.2", "3.125.243.2", "198.51.100.9"},
		{"untrusted loopback peer", "127.0.0.1:1000", "3.125.243.2", "3.125.243.2", "127.0.0.1"},
		{"untrusted private peer", "10.0.1.2:1000", "3.125.243.2", "3.125.243.2", "10.0.1.2"},
		{"garbage header from proxy", "10.0.0.2:1000", "not-an-ip", "", "10.0.0.2"},
	})
}

func TestPingPongAllowlist_SpoofedHeadersIgnored(t *testing.T) {
	tests := []struct {
		name           string
		trustedProxies []string
		remoteAddr     string
	}{
		{"no trusted proxies", nil, "198.51.100.9:1000"},
		{"loopback peer not listed", []string{"10.0.0.1"}, "127.0.0.1:1000"},
		{"private peer not listed", []string{"10.0.0.1"}, "192.168.1.5:1000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			processor := &fakeProcessor{result: payments.Result{Outcome: store.OutcomeApplied}}
			server, _ := newTestServer(t, Options{
				Notifications:      processor,
				PingPongAllowedIPs: pingPongProductionIPs,
				TrustedProxies:     tt.trustedProxies,
			})
			req := notificationRequest(sampleNotification)
			req.RemoteAddr = tt.remoteAddr
			req.Header.Set("X-Forwarded-For", "3.125.243.2")
			req.Header.Set("X-Real-Ip", "3.125.243.2")

			got := serve(server, req)

			wantJSONError(t, got, http.StatusForbidden, "ip_not_allowed")
			if n := processor.callCount(); n != 0 {
				t.Errorf("processor called %d times, want 0", n)
			}
		})
	}
}

func TestPingPongAllowlist_TrustedProxyForwardsPingPong(t *testing.T) {
	processor := &fakeProcessor{result: payments.Result{Outcome: store.OutcomeApplied}}
	server, _ := newTestServer(t, Options{
		Notifications:      processor,
		PingPongAllowedIPs: pingPongProductionIPs,
		TrustedProxies:     []string{"127.0.0.1"},
	})
	req := notificationRequest(sampleNotification)
	req.RemoteAddr = "127.0.0.1:5000"
	req.Header.Set("X-Forwarded-For", "18.195.199.34")

	got := serve(server, req)

	if got.Code != http.StatusOK {
		t.Errorf("status = %d, want 200; body %s", got.Code, got.Body)
	}
	if addr := processor.lastCall(t).remoteAddr; addr != "18.195.199.34" {
		t.Errorf("client IP = %q, want 18.195.199.34", addr)
	}

	// The same proxy relaying a client outside the allowlist is rejected.
	req = notificationRequest(sampleNotification)
	req.RemoteAddr = "127.0.0.1:5000"
	req.Header.Set("X-Forwarded-For", "18.195.199.34, 203.0.113.66")

	got = serve(server, req)

	wantJSONError(t, got, http.StatusForbidden, "ip_not_allowed")
}
