package config

import (
	"testing"
)

func TestLoad_NetworkSettings(t *testing.T) {
	dir := workDirWithYAML(t, minimalYAML)
	cfg := mustLoad(t, dir, withToken(map[string]string{
		"PINGPONG_ALLOWED_IPS": "3.125.243.2, 52.76.198.0/24",
		"TRUSTED_PROXIES":      "10.0.0.1",
		"METRICS_LISTEN":       "127.0.0.1:9090",
		"RATE_LIMIT":           "5.5",
		"RATE_BURST":           "7",
	}))
	if got := cfg.Server.PingPongAllowedIPs; len(got) != 2 || got[1] != "52.76.198.0/24" {
		t.Errorf("allowed IPs = %v", got)
	}
	if got := cfg.Server.TrustedProxies; len(got) != 1 || got[0] != "10.0.0.1" {
		t.Errorf("trusted proxies = %v", got)
	}
	if cfg.Server.MetricsListen != "127.0.0.1:9090" {
		t.Errorf("metrics listen = %q", cfg.Server.MetricsListen)
	}
	if cfg.Server.RateLimit != 5.5 || cfg.Server.RateBurst != 7 {
		t.Errorf("rate = %v burst %d, want 5.5 and 7", cfg.Server.RateLimit, cfg.Server.RateBurst)
	}
}

func TestLoad_NetworkSettingsInvalid(t *testing.T) {
	dir := workDirWithYAML(t, minimalYAML)
	problems := loadProblems(t, dir, withToken(map[string]string{
		"PINGPONG_ALLOWED_IPS": "3.125.243.2,not-an-ip",
		"METRICS_LISTEN":       "9090",
		"RATE_LIMIT":           "0",
		"RATE_BURST":           "0",
	}))
	assertProblem(t, problems, `server.pingpong_allowed_ips (PINGPONG_ALLOWED_IPS) "not-an-ip" is not an IP address or CIDR range`)
	assertProblem(t, problems, `server.metrics_listen (METRICS_LISTEN) "9090" is not a host:port address`)
	assertProblem(t, problems, "server.rate_limit (RATE_LIMIT) 0 is not positive")
	assertProblem(t, problems, "server.rate_burst (RATE_BURST) 0 is too small")
}
