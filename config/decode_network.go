package config

import (
	"net"
	"strings"
)

// network decodes the metrics address, the IP lists and the rate limit.
func (d decoder) network(s *ServerConfig) {
	s.MetricsListen = d.text("server.metrics_listen")
	if s.MetricsListen != "" {
		if _, _, err := net.SplitHostPort(s.MetricsListen); err != nil {
			d.p.add("server.metrics_listen", "%q is not a host:port address: use for example 127.0.0.1:9090",
				s.MetricsListen)
		}
	}
	s.PingPongAllowedIPs = d.ipList("server.pingpong_allowed_ips")
	s.TrustedProxies = d.ipList("server.trusted_proxies")

	const rateFix = "use a number of requests per second greater than 0"
	if limit, ok := d.number("server.rate_limit", rateFix); ok {
		if limit <= 0 {
			d.p.add("server.rate_limit", "%v is not positive: %s", limit, rateFix)
		}
		s.RateLimit = limit
	}
	const burstFix = "use a whole number of requests of 1 or more"
	if burst, ok := d.integer("server.rate_burst", "whole number", burstFix); ok {
		if burst < 1 {
			d.p.add("server.rate_burst", "%d is too small: %s", burst, burstFix)
		}
		s.RateBurst = burst
	}
}

// ipList decodes a comma-separated list of IP addresses and CIDR ranges.
func (d decoder) ipList(key string) []string {
	var list []string
	for _, entry := range strings.Split(d.text(key), ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		_, _, cidrErr := net.ParseCIDR(entry)
		if net.ParseIP(entry) == nil && cidrErr != nil {
			d.p.add(key, "%q is not an IP address or CIDR range: use for example 3.125.243.2 or 10.0.0.0/8", entry)
			continue
		}
		list = append(list, entry)
	}
	return list
}
