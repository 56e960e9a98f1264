package config

import (
	"errors"
	"io/fs"
	"net"
	"net/url"
	"os"
	"regexp"
	"strings"
)

// hostLabelPattern is one DNS label of a host name.
var hostLabelPattern = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$`)

const portFix = "use 1-65535"

func (d decoder) server(mode string) ServerConfig {
	s := ServerConfig{
		Listen:        d.text("server.listen"),
		PublicBaseURL: d.text("server.public_base_url"),
		SSLCertPath:   d.text("server.ssl_cert_path"),
		SSLKeyPath:    d.text("server.ssl_key_path"),
	}

	if d.required("server.listen", s.Listen,
		"use 0.0.0.0 for every interface or 127.0.0.1 for this machine only") &&
		net.ParseIP(s.Listen) == nil && !isHostName(s.Listen) {
		d.p.add("server.listen", "%q is not an IP address or host name: "+
			"use 0.0.0.0 for every interface or 127.0.0.1 for this machine only", s.Listen)
	}

	if port, ok := d.integer("server.port", "port number", portFix); ok {
		if port < 1 || port > 65535 {
			d.p.add("server.port", "%d is not a port number: %s", port, portFix)
		}
		s.Port = port
	}

	s.PublicBaseURL = d.publicBaseURL(s.PublicBaseURL, mode)
	d.checkTLSFiles(s.SSLCertPath, s.SSLKeyPath)
	d.network(&s)
	return s
}

// isHostName reports whether name is a DNS host name such as "localhost" or
// "bot.example.com".
func isHostName(name string) bool {
	name = strings.TrimSuffix(name, ".")
	if name == "" || len(name) > 253 {
		return false
	}
	for _, part := range strings.Split(name, ".") {
		if !hostLabelPattern.MatchString(part) {
			return false
		}
	}
	return true
}

// publicBaseURL checks the public origin and returns it without a trailing
// slash. Webhook mode needs it because Telegram only delivers to https.
func (d decoder) publicBaseURL(raw, mode string) string {
	const key = "server.public_base_url"
	const example = "such as https://bot.example.com"
	if raw == "" {
		if mode == ModeWebhook {
			d.p.add(key, "is missing: webhook mode needs the public https origin that "+
				"Telegram and PingPong reach, %s", example)
		}
		return ""
	}

	origin, problem := parseOrigin(raw, false)
	if problem != "" {
		d.p.add(key, "%q %s: use the scheme and host only, %s", raw, problem, example)
		return ""
	}
	if mode == ModeWebhook && !strings.HasPrefix(origin, "https://") {
		d.p.add(key, "%q is not https: Telegram delivers webhooks to https URLs only, "+
			"so use an https origin, %s", raw, example)
	}
	return origin
}

// parseOrigin checks that raw is an absolute http or https URL without user
// info, query or fragment, and returns it without trailing slashes. A path is
// accepted only when allowPath is true. problem is "" when raw is valid.
func parseOrigin(raw string, allowPath bool) (origin, problem string) {
	trimmed := strings.TrimRight(raw, "/")
	u, err := url.Parse(trimmed)
	switch {
	case err != nil:
		return "", "is not a URL"
	case u.Scheme != "http" && u.Scheme != "https":
		return "", "is not an http or https URL"
	case u.Host == "" || u.Hostname() == "":
		return "", "has no host"
	case u.User != nil:
		return "", "must not contain a user name or password"
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.Contains(trimmed, "#"):
		return "", "must not contain a query or fragment"
	case !allowPath && u.Path != "":
		return "", "must not contain a path"
	}
	return trimmed, ""
}

// checkTLSFiles requires both TLS files or neither, and checks that each can
// be opened for reading.
func (d decoder) checkTLSFiles(certPath, keyPath string) {
	switch {
	case certPath != "" && keyPath == "":
		d.p.add("server.ssl_key_path", "is missing while %s is set: set both to serve https, "+
			"or neither to serve plain http", label("server.ssl_cert_path"))
		return
	case certPath == "" && keyPath != "":
		d.p.add("server.ssl_cert_path", "is missing while %s is set: set both to serve https, "+
			"or neither to serve plain http", label("server.ssl_key_path"))
		return
	}
	d.checkReadable("server.ssl_cert_path", certPath)
	d.checkReadable("server.ssl_key_path", keyPath)
}

func (d decoder) checkReadable(key, path string) {
	if path == "" {
		return
	}
	f, err := os.Open(path)
	if err != nil {
		reason := err
		var pathErr *fs.PathError
		if errors.As(err, &pathErr) {
			reason = pathErr.Err
		}
		d.p.add(key, "%q cannot be read (%v): check the path and the file permissions", path, reason)
		return
	}
	defer f.Close()

	info, err := f.Stat()
	if err == nil && info.IsDir() {
		d.p.add(key, "%q is a directory: set the path of the PEM file", path)
	}
}
