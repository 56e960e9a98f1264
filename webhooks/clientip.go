package webhooks

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
)

// parseIPRanges parses IP addresses and CIDR ranges. A single address
// becomes a /32 or /128 range, and empty entries are skipped. The error
// lists every invalid entry and names the list by field.
func parseIPRanges(field string, values []string) ([]*net.IPNet, error) {
	var ranges []*net.IPNet
	var errs []error
	for _, value := range values {
		value = strings.TrimSpace(value)
		if value == "" {
			continue
		}

		ipRange, err := parseIPRange(value)
		if err != nil {
			errs = append(errs, fmt.Errorf(
				"webhooks: invalid entry %q in %s: use an IP address such as 203.0.113.7 "+
					"or a CIDR range such as 203.0.113.0/24", value, field))
			continue
		}
		ranges = append(ranges, ipRange)
	}
	return ranges, errors.Join(errs...)
}

func parseIPRange(value string) (*net.IPNet, error) {
	if strings.Contains(value, "/") {
		_, ipRange, err := net.ParseCIDR(value)
		return ipRange, err
	}

	ip := net.ParseIP(value)
	if ip == nil {
		return nil, fmt.Errorf("webhooks: invalid IP address %q", value)
	}
	if ip4 := ip.To4(); ip4 != nil {
		return &net.IPNet{IP: ip4, Mask: net.CIDRMask(32, 32)}, nil
	}
	return &net.IPNet{IP: ip, Mask: net.CIDRMask(128, 128)}, nil
}

// containsIP reports whether ip is inside any of ranges. An unparsable ip
// is in none.
func containsIP(ranges []*net.IPNet, ip string) bool {
	parsed := net.ParseIP(ip)
	if parsed == nil {
		return false
	}
	for _, ipRange := range ranges {
		if ipRange.Contains(parsed) {
			return true
		}
	}
	return false
}

// newIPExtractor returns how Echo finds the client IP. Without trusted
// proxies it is the TCP peer. With them, a request whose TCP peer is a
// trusted proxy is attributed to the nearest untrusted address in
// X-Forwarded-For, or to X-Real-IP when X-Forwarded-For is absent. A request
// from any other peer is attributed to the peer itself, so a client cannot
// choose its IP with a header.
func newIPExtractor(trustedProxies []*net.IPNet) echo.IPExtractor {
	if len(trustedProxies) == 0 {
		return echo.ExtractIPDirect()
	}

	// By default Echo trusts loopback, link-local and private addresses,
	// which would let any host on the local network forge the client IP.
	// Only the configured ranges are trusted here.
	options := []echo.TrustOption{
		echo.TrustLoopback(false),
		echo.TrustLinkLocal(false),
		echo.TrustPrivateNet(false),
	}
	for _, ipRange := range trustedProxies {
		options = append(options, echo.TrustIPRange(ipRange))
	}

	fromForwardedFor := echo.ExtractIPFromXFFHeader(options...)
	fromRealIP := echo.ExtractIPFromRealIPHeader(options...)
	return func(req *http.Request) string {
		if len(req.Header.Values(echo.HeaderXForwardedFor)) > 0 {
			return fromForwardedFor(req)
		}
		return fromRealIP(req)
	}
}

// allowPingPongSources rejects notifications from client IPs outside
// PingPongAllowedIPs with 403 before they reach the processor.
func (s *Server) allowPingPongSources(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		clientIP := c.RealIP()
		if containsIP(s.pingPongAllowed, clientIP) {
			return next(c)
		}

		s.requestLogger(c).Warn("PingPong notification rejected",
			"reason", "client IP not allowed",
			"remote_ip", clientIP)
		return newAPIError(http.StatusForbidden, "ip_not_allowed",
			"notifications are accepted only from PingPong's addresses")
	}
}
