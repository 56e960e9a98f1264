// Package pingpongtest runs a fake PingPong Checkout v4 API on loopback for
// tests. It speaks the documented wire format: signed JSON envelopes on
// POST /v4/payment/prePay, /v4/payment/query and /v4/payment/refund, and it
// builds signed notifications for recorded checkouts.
package pingpongtest

import (
	"bytes"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"telegram-bot-webhook/payments"
)

// PingPong's public sandbox store A, the default configuration.
const (
	SandboxClientID = "2018092714313010016"
	SandboxAccID    = "2018092714313010016291"
	SandboxSalt     = "F78BC96A55548B2319EE68E0"
)

// Error codes the fake returns. PingPong documents the classes (1xxxxx
// validation, 108000-108003 refund rejected) but not these exact values,
// except payments.CodeInvalidSignature.
const (
	CodeInvalidParameter    = "101000"
	CodeMerchantMismatch    = "102000"
	CodeTransactionNotFound = "103000"
	CodeRefundRejected      = "108000"
)

// Config holds the store the fake serves. Empty fields take the sandbox
// store A values and SHA256.
type Config struct {
	ClientID string
	AccID    string
	Salt     string
	SignType string
}

// Checkout is a recorded prePay order with its current state.
type Checkout struct {
	MerchantTransactionID string
	TransactionID         string
	Token                 string
	PaymentURL            string
	Amount                string
	Currency              string
	ShopperIP             string
	NotificationURL       string
	PayResultURL          string
	PayCancelURL          string
	Language              string
	Remark                string
	// TimeExpire is the unix-seconds string sent, if any.
	TimeExpire string
	// Status is the status a query returns, payments.StatusInit at first.
	Status            string
	ResultCode        string
	ResultDescription string
	// BizContent is the raw bizContent of the first prePay request, and Biz
	// its decoded form, with numbers as json.Number.
	BizContent string
	Biz        map[string]any

	transactionTime time.Time
	refundedMinor   int64
}

// Refund is a recorded refund request.
type Refund struct {
	MerchantTransactionID string
	MerchantRefundID      string
	RefundID              string
	Amount                string
	Currency              string
	NotificationURL       string
	Remark                string
	Status                string
	BizContent            string
	Biz                   map[string]any
}

type apiFailure struct {
	code        string
	description string
}

// Server is a fake PingPong API. Its methods are safe for concurrent use.
type Server struct {
	// URL is the base URL of the fake, such as "http://127.0.0.1:41234".
	URL string

	t   testing.TB
	cfg Config
	srv *httptest.Server

	mu           sync.Mutex
	checkouts    []*Checkout
	byOrderID    map[string]*Checkout
	refunds      []*Refund
	requests     map[string]int
	apiFailures  map[string][]apiFailure
	httpFailures map[string][]int
	wrongSign    bool
	refundStatus string
	sequence     int
}

// NewServer starts a fake PingPong API on loopback and closes it when the
// test ends.
func NewServer(t testing.TB, cfg Config) *Server {
	t.Helper()
	if cfg.ClientID == "" {
		cfg.ClientID = SandboxClientID
	}
	if cfg.AccID == "" {
		cfg.AccID = SandboxAccID
	}
	if cfg.Salt == "" {
		cfg.Salt = SandboxSalt
	}
	if cfg.SignType == "" {
		cfg.SignType = payments.SignSHA256
	}

	s := &Server{
		t:            t,
		cfg:          cfg,
		byOrderID:    map[string]*Checkout{},
		requests:     map[string]int{},
		apiFailures:  map[string][]apiFailure{},
		httpFailures: map[string][]int{},
		refundStatus: payments.StatusSuccess,
	}

	mux := http.NewServeMux()
	mux.HandleFunc(payments.PathPrePay, s.api(payments.PathPrePay, s.prePay))
	mux.HandleFunc(payments.PathQuery, s.api(payments.PathQuery, s.query))
	mux.HandleFunc(payments.PathRefund, s.api(payments.PathRefund, s.refund))
	mux.HandleFunc("GET /checkout/{token}", s.checkoutPage)

	// The handlers read s.URL, so it is set before the server starts.
	s.srv = httptest.NewUnstartedServer(mux)
	s.URL = "http://" + s.srv.Listener.Addr().String()
	s.srv.Start()
	t.Cleanup(s.srv.Close)
	return s
}

// Config returns the store settings in use, defaults applied.
func (s *Server) Config() Config {
	return s.cfg
}

// ClientConfig returns a client configuration that talks to this fake.
func (s *Server) ClientConfig() payments.ClientConfig {
	return payments.ClientConfig{
		BaseURL:  s.URL,
		ClientID: s.cfg.ClientID,
		AccID:    s.cfg.AccID,
		Salt:     s.cfg.Salt,
		SignType: s.cfg.SignType,
	}
}

// FailNext makes the next verified request to path return a signed
// response with the code and description. Calls queue up.
func (s *Server) FailNext(path, code, description string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.apiFailures[path] = append(s.apiFailures[path], apiFailure{code, description})
}

// FailNextHTTP makes the next request to path return the HTTP status with a
// plain-text body. Calls queue up.
func (s *Server) FailNextHTTP(path string, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.httpFailures[path] = append(s.httpFailures[path], status)
}

// SignResponsesWrong makes every later response carry a signature made with
// another salt, or restores correct signatures.
func (s *Server) SignResponsesWrong(wrong bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.wrongSign = wrong
}

// SetStatus sets the status a query returns for a recorded checkout and
// clears its failure reason. An unknown id fails the test.
func (s *Server) SetStatus(merchantTransactionID, status string) {
	s.setStatus(merchantTransactionID, status, "", "")
}

// SetFailure sets a recorded checkout to FAILED with the reason a query
// returns. An unknown id fails the test.
func (s *Server) SetFailure(merchantTransactionID, code, description string) {
	s.setStatus(merchantTransactionID, payments.StatusFailed, code, description)
}

func (s *Server) setStatus(merchantTransactionID, status, code, description string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.byOrderID[merchantTransactionID]
	if !ok {
		s.t.Errorf("pingpongtest: no checkout for order %q", merchantTransactionID)
		return
	}
	c.Status = status
	c.ResultCode = code
	c.ResultDescription = description
	c.transactionTime = time.Now()
}

// SetRefundStatus sets the status later refund requests get: SUCCESS (the
// default), PROCESSING or FAILED.
func (s *Server) SetRefundStatus(status string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refundStatus = status
}

// Checkouts returns the recorded checkouts in creation order. A prePay
// resent with the same merchantTransactionId does not add one.
func (s *Server) Checkouts() []Checkout {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Checkout, 0, len(s.checkouts))
	for _, c := range s.checkouts {
		out = append(out, *c)
	}
	return out
}

// Checkout returns the recorded checkout with the order id.
func (s *Server) Checkout(merchantTransactionID string) (Checkout, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.byOrderID[merchantTransactionID]
	if !ok {
		return Checkout{}, false
	}
	return *c, true
}

// Refunds returns the recorded refunds in creation order.
func (s *Server) Refunds() []Refund {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Refund, 0, len(s.refunds))
	for _, r := range s.refunds {
		out = append(out, *r)
	}
	return out
}

// Requests returns how many requests reached path, failed ones included.
func (s *Server) Requests(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests[path]
}

// reply is the code, description and bizContent of a response.
type reply struct {
	code        string
	description string
	biz         any
}

func fail(code, description string) reply {
	return reply{code: code, description: description}
}

// api wraps a call handler with what every call shares: counting, injected
// failures, envelope parsing, signature and store checks, and the signed
// response.
func (s *Server) api(path string, handle func(env payments.Envelope, biz map[string]any) reply) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.requests[path]++
		status, _ := popFront(s.httpFailures, path)
		s.mu.Unlock()

		if r.Method != http.MethodPost {
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		if status != 0 {
			http.Error(w, "pingpongtest: injected failure", status)
			return
		}
		if mediaType, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mediaType != "application/json" {
			http.Error(w, "unsupported media type", http.StatusUnsupportedMediaType)
			return
		}

		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			http.Error(w, "read body", http.StatusBadRequest)
			return
		}
		s.writeReply(w, s.dispatch(path, body, handle))
	}
}

func (s *Server) dispatch(path string, body []byte, handle func(payments.Envelope, map[string]any) reply) reply {
	env, err := payments.ParseEnvelope(body)
	if err != nil {
		return fail(CodeInvalidParameter, err.Error())
	}
	if err := env.Verify(s.cfg.Salt); err != nil {
		return fail(payments.CodeInvalidSignature, "invalid signature")
	}
	if env["accId"] != s.cfg.AccID || env["clientId"] != s.cfg.ClientID {
		return fail(CodeMerchantMismatch, "accId or clientId does not match the store")
	}
	if env["version"] != payments.EnvelopeVersion {
		return fail(CodeInvalidParameter, "version must be 1.0")
	}

	s.mu.Lock()
	failure, injected := popFront(s.apiFailures, path)
	s.mu.Unlock()
	if injected {
		return fail(failure.code, failure.description)
	}

	dec := json.NewDecoder(bytes.NewReader([]byte(env["bizContent"])))
	dec.UseNumber()
	var biz map[string]any
	if err := dec.Decode(&biz); err != nil || biz == nil || dec.More() {
		return fail(CodeInvalidParameter, "bizContent is not a JSON object")
	}
	return handle(env, biz)
}

func (s *Server) writeReply(w http.ResponseWriter, rep reply) {
	env := payments.Envelope{
		"accId":       s.cfg.AccID,
		"clientId":    s.cfg.ClientID,
		"signType":    s.cfg.SignType,
		"code":        rep.code,
		"description": rep.description,
	}
	if rep.biz != nil {
		bizContent, err := json.Marshal(rep.biz)
		if err != nil {
			s.t.Errorf("pingpongtest: encode bizContent: %v", err)
			http.Error(w, "encode", http.StatusInternalServerError)
			return
		}
		env["bizContent"] = string(bizContent)
	}

	s.mu.Lock()
	salt := s.cfg.Salt
	if s.wrongSign {
		salt += "-wrong"
	}
	s.mu.Unlock()

	if err := env.SetSign(salt); err != nil {
		s.t.Errorf("pingpongtest: sign response: %v", err)
		http.Error(w, "sign", http.StatusInternalServerError)
		return
	}
	body, err := env.JSON()
	if err != nil {
		s.t.Errorf("pingpongtest: encode response: %v", err)
		http.Error(w, "encode", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	_, _ = w.Write(body)
}

// popFront removes and returns the first queued item for path.
func popFront[T any](queues map[string][]T, path string) (T, bool) {
	q := queues[path]
	if len(q) == 0 {
		var zero T
		return zero, false
	}
	queues[path] = q[1:]
	return q[0], true
}
