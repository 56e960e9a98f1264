package tools

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// postTimeout bounds the whole request, response body included.
const postTimeout = 30 * time.Second

// maxResponseSize is how much of the response body is printed.
const maxResponseSize = 64 << 10

// checkURL checks that raw is an absolute http or https URL.
func checkURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("simulate: invalid --url %q: want an http or https URL such as "+
			"http://127.0.0.1:8000/webhook/pingpong", raw)
	}
	return nil
}

// serverResponse is what the server returned for a posted notification.
type serverResponse struct {
	status int
	body   string
	// outcome is the X-Notification-Outcome header, "" when the server
	// does not send it.
	outcome string
}

// post sends the body as PingPong does and writes the response status, body
// and outcome to stdout. It returns an error only when no response arrived.
func post(ctx context.Context, target string, body []byte, stdout io.Writer) (serverResponse, error) {
	ctx, cancel := context.WithTimeout(ctx, postTimeout)
	defer cancel()

	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return serverResponse{}, fmt.Errorf("simulate: build the request to %s: %w", target, err)
	}
	req.Header.Set("Content-Type", "application/json")

	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return serverResponse{}, requestError(target, err)
	}
	defer resp.Body.Close()

	answer, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseSize))
	if err != nil {
		return serverResponse{}, fmt.Errorf("simulate: read the response from %s: %w", target, err)
	}
	result := serverResponse{
		status:  resp.StatusCode,
		body:    string(answer),
		outcome: strings.TrimSpace(resp.Header.Get(outcomeHeader)),
	}

	p := &linePrinter{w: stdout}
	p.printf("HTTP %s\n%s\n", resp.Status, strings.TrimRight(result.body, "\n"))
	if result.outcome != "" {
		p.printf("Outcome: %s\n", result.outcome)
	}
	if p.err != nil {
		return result, fmt.Errorf("simulate: write the output: %w", p.err)
	}
	return result, nil
}

// requestError explains a failed request, naming how to start the server
// when nothing listens at the URL.
func requestError(target string, err error) error {
	if errors.Is(err, syscall.ECONNREFUSED) {
		return fmt.Errorf("simulate: the server is not running at %s (connection refused): start it "+
			"by running the binary without arguments (go run . in the source folder), check "+
			"WEBHOOK_PORT, or pass --url", target)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("simulate: no response from %s within %s: %w", target, postTimeout, err)
	}
	return fmt.Errorf("simulate: post to %s: %w", target, err)
}

// responseError returns an error for a response PingPong would not count
// as an acknowledgement.
func responseError(status int, body string) error {
	switch {
	case status == http.StatusUnauthorized:
		return fmt.Errorf("simulate: the server rejected the signature (HTTP %d): it runs with "+
			"another PINGPONG_WEBHOOK_SECRET than this command", status)
	case status < 200 || status > 299:
		return fmt.Errorf("simulate: the server responded with HTTP %d, so PingPong would send the "+
			"notification again: see the response above and the server log", status)
	case strings.TrimSpace(body) == "FAIL":
		return errors.New("simulate: the server responded with FAIL, so PingPong would send the " +
			"notification again: see the server log")
	}
	return nil
}
