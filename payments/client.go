package payments

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Paths of the PingPong Checkout v4 calls, relative to the API base URL.
const (
	PathPrePay = "/v4/payment/prePay"
	PathQuery  = "/v4/payment/query"
	PathRefund = "/v4/payment/refund"
)

// Result codes in the code field of a PingPong response. Any code other than
// the first three is an error: 1xxxxx configuration or validation, 2xxxxx
// risk rejection, 3xxxxx declined by the bank.
const (
	CodeTransactionSucceeded  = "000000"
	CodeRequestSucceeded      = "001000"
	CodeProcessing            = "002000"
	CodeInvalidSignature      = "104000"
	CodeDuplicatedTransaction = "107000"
)

// Outcomes passed to ClientConfig.Observe.
const (
	CallOK             = "ok"
	CallAPIError       = "api_error"
	CallHTTPError      = "http_error"
	CallBadSignature   = "bad_signature"
	CallMalformed      = "malformed"
	CallTransportError = "transport_error"
)

// DefaultTimeout bounds one API call when ClientConfig.Timeout is zero.
const DefaultTimeout = 15 * time.Second

// maxResponseBytes bounds the response body the client reads.
const maxResponseBytes = 1 << 20

// ErrInvalidRequest is wrapped by every error about a request the client
// rejects before sending it.
var ErrInvalidRequest = errors.New("invalid request")

// ClientConfig holds the settings of a Client.
type ClientConfig struct {
	// BaseURL is the API origin, such as
	// "https://sandbox-acquirer-payment.pingpongx.com".
	BaseURL  string
	ClientID string
	AccID    string
	// Salt is the secret key that signs requests and verifies responses.
	Salt string
	// SignType is SignSHA256 or SignMD5.
	SignType string
	// Timeout bounds each call, DefaultTimeout when zero.
	Timeout time.Duration
	// HTTPClient sends the requests. When nil, the client uses one that does
	// not follow redirects.
	HTTPClient *http.Client
	// Observe, when set, is called after each request sent, with the call
	// name ("prePay", "query" or "refund"), one of the Call* outcomes and the
	// duration. A request rejected before sending is not reported.
	Observe func(call, outcome string, d time.Duration)
}

// String describes the configuration with the salt redacted.
func (c ClientConfig) String() string {
	return fmt.Sprintf("{BaseURL:%s ClientID:%s AccID:%s Salt:[REDACTED] SignType:%s Timeout:%s}",
		c.BaseURL, c.ClientID, c.AccID, c.SignType, c.Timeout)
}

// Client calls the PingPong Checkout v4 API. It signs every request and
// verifies the signature of every response before it reads the response's
// code. It is safe for concurrent use.
type Client struct {
	baseURL  string
	clientID string
	accID    string
	salt     string
	signType string
	timeout  time.Duration
	http     *http.Client
	observe  func(call, outcome string, d time.Duration)
}

// NewClient validates the configuration and returns a Client. BaseURL must
// be an absolute http or https URL without query or fragment, the ids and
// salt must be set, and SignType must be SignSHA256 or SignMD5.
func NewClient(cfg ClientConfig) (*Client, error) {
	base, err := validateBaseURL(cfg.BaseURL)
	if err != nil {
		return nil, err
	}

	var problems []string
	if strings.TrimSpace(cfg.ClientID) == "" {
		problems = append(problems, "client id is empty")
	}
	if strings.TrimSpace(cfg.AccID) == "" {
		problems = append(problems, "acc id is empty")
	}
	if cfg.Salt == "" {
		problems = append(problems, "salt is empty")
	}
	if cfg.SignType != SignSHA256 && cfg.SignType != SignMD5 {
		problems = append(problems, fmt.Sprintf("sign type %q is unknown, use %s or %s",
			cfg.SignType, SignSHA256, SignMD5))
	}
	if cfg.Timeout < 0 {
		problems = append(problems, fmt.Sprintf("timeout %s is negative", cfg.Timeout))
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("payments: create client: %s", strings.Join(problems, "; "))
	}

	c := &Client{
		baseURL:  base,
		clientID: cfg.ClientID,
		accID:    cfg.AccID,
		salt:     cfg.Salt,
		signType: cfg.SignType,
		timeout:  cfg.Timeout,
		http:     cfg.HTTPClient,
		observe:  cfg.Observe,
	}
	if c.timeout == 0 {
		c.timeout = DefaultTimeout
	}
	if c.http == nil {
		c.http = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		}}
	}
	return c, nil
}

// String describes the client without its salt.
func (c *Client) String() string {
	return fmt.Sprintf("pingpong client %s accId %s", c.baseURL, c.accID)
}

func validateBaseURL(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("payments: create client: base URL %q is not an absolute http(s) URL, "+
			"use one such as https://sandbox-acquirer-payment.pingpongx.com", raw)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "", fmt.Errorf("payments: create client: base URL %q must have no query, fragment "+
			"or user info", raw)
	}
	return strings.TrimRight(raw, "/"), nil
}

// APIError is a signed PingPong response whose code reports an error.
type APIError struct {
	// Call is "prePay", "query" or "refund".
	Call        string
	Code        string
	Description string
}

// Error returns a message such as "pingpong prePay: code 104000: invalid
// signature".
func (e *APIError) Error() string {
	return fmt.Sprintf("pingpong %s: code %s: %s", e.Call, e.Code, e.Description)
}

// Temporary reports whether the same request may succeed later. Codes in the
// documented classes 1xxxxx, 2xxxxx and 3xxxxx will not: the request, the
// store settings or the card must change first.
//
// NOTE: PingPong documents no system-error class. Every code outside those
// three classes is treated as temporary, which is a guess.
func (e *APIError) Temporary() bool {
	if e.Code == "" {
		return true
	}
	switch e.Code[0] {
	case '1', '2', '3':
		return false
	default:
		return true
	}
}

// HTTPError is a response with a status outside 200-299.
type HTTPError struct {
	// Call is "prePay", "query" or "refund".
	Call       string
	StatusCode int
	// Body is the start of the response body, with control characters
	// replaced.
	Body string
}

// Error returns a message such as "pingpong query: HTTP 502: bad gateway".
func (e *HTTPError) Error() string {
	return fmt.Sprintf("pingpong %s: HTTP %d: %s", e.Call, e.StatusCode, e.Body)
}

// Temporary reports whether the status is one a retry may clear: 408, 429
// and 5xx.
func (e *HTTPError) Temporary() bool {
	return e.StatusCode == http.StatusRequestTimeout ||
		e.StatusCode == http.StatusTooManyRequests ||
		e.StatusCode >= 500
}

// call signs biz, POSTs it to path and returns the scalar bizContent fields
// of a verified success response.
func (c *Client) call(ctx context.Context, name, path string, biz any) (map[string]string, error) {
	env, err := BuildEnvelope(c.accID, c.clientID, c.signType, c.salt, biz)
	if err != nil {
		return nil, fmt.Errorf("pingpong %s: %w", name, err)
	}

	body, err := env.JSON()
	if err != nil {
		return nil, fmt.Errorf("pingpong %s: encode request: %w", name, err)
	}

	start := time.Now()
	fields, outcome, err := c.roundTrip(ctx, name, path, body)
	if c.observe != nil {
		c.observe(name, outcome, time.Since(start))
	}
	return fields, err
}

func (c *Client) roundTrip(ctx context.Context, name, path string, body []byte) (map[string]string, string, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()

	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.baseURL+path, bytes.NewReader(body))
	if err != nil {
		return nil, CallTransportError, fmt.Errorf("pingpong %s: create request: %w", name, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")

	resp, err := c.http.Do(req)
	if err != nil {
		return nil, CallTransportError, fmt.Errorf("pingpong %s: send request: %w", name, err)
	}
	defer resp.Body.Close()

	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes+1))
	if err != nil {
		return nil, CallTransportError, fmt.Errorf("pingpong %s: read response: %w", name, err)
	}

	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, CallHTTPError, &HTTPError{Call: name, StatusCode: resp.StatusCode, Body: excerpt(data)}
	}
	if len(data) > maxResponseBytes {
		return nil, CallMalformed, fmt.Errorf("pingpong %s: %w: response body exceeds %d bytes",
			name, ErrMalformed, maxResponseBytes)
	}
	return c.decodeResponse(name, data)
}

// decodeResponse verifies the response signature before it reads the code,
// so an unsigned or forged response never counts as success or as a
// PingPong error.
func (c *Client) decodeResponse(name string, data []byte) (map[string]string, string, error) {
	env, err := decodeFlatObject(data)
	if err != nil {
		return nil, CallMalformed, fmt.Errorf("pingpong %s: response: %w", name, err)
	}

	if err := env.Verify(c.salt); err != nil {
		return nil, CallBadSignature, fmt.Errorf("pingpong %s: response rejected%s, check the salt "+
			"and sign type: %w", name, unverifiedCode(env), err)
	}

	code := env["code"]
	if code == "" {
		return nil, CallMalformed, fmt.Errorf("pingpong %s: response: %w: field \"code\" is missing",
			name, ErrMalformed)
	}
	if code != CodeTransactionSucceeded && code != CodeRequestSucceeded && code != CodeProcessing {
		return nil, CallAPIError, &APIError{Call: name, Code: code, Description: env["description"]}
	}

	fields := map[string]string{}
	if bizContent := env["bizContent"]; bizContent != "" {
		fields, err = decodeBizFields(bizContent)
		if err != nil {
			return nil, CallMalformed, fmt.Errorf("pingpong %s: response: %w", name, err)
		}
	}
	return fields, CallOK, nil
}

// unverifiedCode describes the code of a response whose signature failed,
// for diagnosis only: a wrong salt makes PingPong's own error responses fail
// verification too.
func unverifiedCode(env Envelope) string {
	if env["code"] == "" {
		return ""
	}
	return fmt.Sprintf(" (unverified code %s: %s)", excerpt([]byte(env["code"])),
		excerpt([]byte(env["description"])))
}

// excerpt returns up to 200 bytes of data as one line of valid UTF-8.
func excerpt(data []byte) string {
	const limit = 200
	s := strings.ToValidUTF8(string(data), "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	s = strings.TrimSpace(s)

	if len(s) <= limit {
		return s
	}
	cut := limit
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}
