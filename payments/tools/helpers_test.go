package tools

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"telegram-bot-webhook/store"
)

// testSalt is PingPong's published sandbox salt, long enough to be masked.
const (
	testSalt     = "F78BC96A55548B2319EE68E0"
	testAccID    = "2018092714313010016291"
	testClientID = "2018092714313010016"
)

// member is one top-level field of a hand-built body, in body order.
type member struct {
	key   string
	value string
}

// sampleBizContent is the bizContent of a paid notification, compact, in
// the order a Java sender writes it.
const sampleBizContent = `{"notifyType":"RECHARGE","status":"SUCCESS","amount":"9.99","currency":"USD",` +
	`"merchantTransactionId":"ORD-1","transactionId":"TX1","requestId":"REQ1"}`

// sampleMembers returns the fields of a notification in sorted order,
// without sign.
func sampleMembers(bizContent string) []member {
	return []member{
		{"accId", testAccID},
		{"bizContent", bizContent},
		{"clientId", testClientID},
		{"signType", "SHA256"},
		{"version", "1.0"},
	}
}

// joinMembers joins the members as key=value pairs with "&", in the given
// order, skipping none.
func joinMembers(members []member) string {
	pairs := make([]string, 0, len(members))
	for _, m := range members {
		pairs = append(pairs, m.key+"="+m.value)
	}
	return strings.Join(pairs, "&")
}

func sha256Hex(data string) string {
	sum := sha256.Sum256([]byte(data))
	return strings.ToUpper(hex.EncodeToString(sum[:]))
}

// fingerprint returns what `printf %s "$SALT" | sha256sum | cut -c1-8`
// prints for the secret.
func fingerprint(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])[:8]
}

func md5Hex(data string) string {
	sum := md5.Sum([]byte(data))
	return strings.ToUpper(hex.EncodeToString(sum[:]))
}

// encodeBody writes the members, then sign, as a JSON object in order.
func encodeBody(t *testing.T, members []member, sign string) []byte {
	t.Helper()
	all := append(append([]member(nil), members...), member{"sign", sign})

	var b bytes.Buffer
	b.WriteByte('{')
	for i, m := range all {
		if i > 0 {
			b.WriteByte(',')
		}
		key, err := json.Marshal(m.key)
		if err != nil {
			t.Fatal(err)
		}
		value, err := json.Marshal(m.value)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(key)
		b.WriteByte(':')
		b.Write(value)
	}
	b.WriteByte('}')
	return b.Bytes()
}

func testSettings(dbPath, url string) Settings {
	return Settings{
		AccID:        testAccID,
		ClientID:     testClientID,
		Salt:         testSalt,
		SignType:     "SHA256",
		DatabasePath: dbPath,
		LocalURL:     url,
	}
}

// verifyResult is the outcome of one Verify call.
type verifyResult struct {
	out string
	err error
}

// runVerify verifies the body read from stdin and checks that neither the
// salt nor its first or last 4 characters appear in the output or the
// error.
func runVerify(t *testing.T, s Settings, body []byte) verifyResult {
	t.Helper()
	var out bytes.Buffer
	err := Verify(context.Background(), s, nil, bytes.NewReader(body), &out)
	assertNoSalt(t, s.Salt, out.String(), err)
	return verifyResult{out: out.String(), err: err}
}

func assertNoSalt(t *testing.T, salt, out string, err error) {
	t.Helper()
	trimmed := strings.TrimSpace(salt)
	if trimmed == "" {
		return
	}
	pieces := []string{trimmed}
	if len(trimmed) >= 8 {
		pieces = append(pieces, trimmed[:4], trimmed[len(trimmed)-4:])
	}
	for _, piece := range pieces {
		if strings.Contains(out, piece) {
			t.Errorf("output contains %q of the salt:\n%s", piece, out)
		}
		if err != nil && strings.Contains(err.Error(), piece) {
			t.Errorf("error contains %q of the salt: %v", piece, err)
		}
	}
}

func assertContains(t *testing.T, text, want string) {
	t.Helper()
	if !strings.Contains(text, want) {
		t.Errorf("missing %q in:\n%s", want, text)
	}
}

// orderStore creates a database in a temporary folder and returns its path
// and the open store, closed when the test ends.
func orderStore(t *testing.T) (string, *store.Store) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "bot.db")
	st, err := store.Open(path)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return path, st
}

func createOrder(t *testing.T, st *store.Store, id string, amountMinor int64, currency, transactionID string) *store.Order {
	t.Helper()
	order := &store.Order{
		MerchantTransactionID: id,
		UserID:                42,
		ChatID:                42,
		SKU:                   "ebook",
		ProductName:           "E-book",
		AmountMinor:           amountMinor,
		Currency:              currency,
		Status:                store.StatusPending,
		TransactionID:         transactionID,
		ExpiresAt:             time.Now().Add(48 * time.Hour),
	}
	if err := st.CreateOrder(context.Background(), order); err != nil {
		t.Fatalf("create order: %v", err)
	}
	return order
}

// received is one request the recording server got.
type received struct {
	method      string
	contentType string
	body        []byte
}

// recordingServer starts a loopback server that responds to every request
// with status and answer, and sends each request on the returned channel.
func recordingServer(t *testing.T, status int, answer string) (string, <-chan received) {
	t.Helper()
	requests := make(chan received, 8)
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		requests <- received{method: r.Method, contentType: r.Header.Get("Content-Type"), body: body}
		w.WriteHeader(status)
		_, _ = io.WriteString(w, answer)
	}))
	t.Cleanup(server.Close)
	return server.URL + "/webhook/pingpong", requests
}

// nextRequest returns the request the server got, failing the test when
// there is none: Simulate returns only after the response, so it is
// already on the channel.
func nextRequest(t *testing.T, requests <-chan received) received {
	t.Helper()
	select {
	case r := <-requests:
		return r
	default:
		t.Fatal("the server got no request")
		return received{}
	}
}

// simulateResult is the outcome of one Simulate call.
type simulateResult struct {
	stdout string
	stderr string
	err    error
}

func runSimulate(t *testing.T, s Settings, args ...string) simulateResult {
	t.Helper()
	var stdout, stderr bytes.Buffer
	err := Simulate(context.Background(), s, args, &stdout, &stderr)
	assertNoSalt(t, s.Salt, stdout.String()+stderr.String(), err)
	return simulateResult{stdout: stdout.String(), stderr: stderr.String(), err: err}
}
