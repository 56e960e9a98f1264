package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"telegram-bot-webhook/bot/telegramtest"
	"telegram-bot-webhook/payments"
	"telegram-bot-webhook/payments/pingpongtest"
	"telegram-bot-webhook/store"
)

// crashDeadline bounds every wait of the crash test.
const crashDeadline = 60 * time.Second

// buildBinary builds the program into a temporary directory and returns the
// path of the executable.
func buildBinary(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "telegram-bot-webhook")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	start := time.Now()
	cmd := exec.CommandContext(ctx, "go", "build", "-o", path, ".")
	output, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go build failed: %v\n%s", err, output)
	}
	t.Logf("built the binary in %s", time.Since(start).Round(time.Millisecond))
	return path
}

// freePort returns a loopback TCP port that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := listener.Addr().(*net.TCPAddr).Port
	if err := listener.Close(); err != nil {
		t.Fatal(err)
	}
	return port
}

// process is one run of the binary.
type process struct {
	t      *testing.T
	name   string
	cmd    *exec.Cmd
	output *syncBuffer
	// exited is closed when the process has exited and err is set.
	exited chan struct{}
	err    error
}

// startProcess starts the binary with exactly the environment env, in dir,
// and registers a cleanup that kills it if it still runs. Its output is
// printed when the test fails.
func startProcess(t *testing.T, name, binary, dir string, env map[string]string) *process {
	t.Helper()
	p := &process{t: t, name: name, output: &syncBuffer{}, exited: make(chan struct{})}
	p.cmd = exec.Command(binary)
	p.cmd.Dir = dir
	for key, value := range env {
		p.cmd.Env = append(p.cmd.Env, key+"="+value)
	}
	p.cmd.Stdout = p.output
	p.cmd.Stderr = p.output
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		p.kill()
		if t.Failed() {
			t.Logf("output of %s (%v):\n%s", name, p.err, p.output.String())
		}
	})
	return p
}

// kill sends SIGKILL unless the process has exited, and waits for the exit.
func (p *process) kill() {
	select {
	case <-p.exited:
		return
	default:
	}
	if err := p.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		p.t.Errorf("kill %s: %v", p.name, err)
	}
	<-p.exited
}

// stop sends SIGTERM and waits for a clean exit.
func (p *process) stop() {
	p.t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		p.t.Fatalf("signal %s: %v", p.name, err)
	}
	select {
	case <-p.exited:
		if p.err != nil {
			p.t.Errorf("%s exited with %v after SIGTERM", p.name, p.err)
		}
	case <-time.After(crashDeadline):
		p.t.Errorf("%s did not exit within %s of SIGTERM", p.name, crashDeadline)
	}
}

// waitHealthy waits until /health returns 200.
func (p *process) waitHealthy(baseURL string) {
	p.t.Helper()
	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(crashDeadline)
	for time.Now().Before(deadline) {
		resp, err := client.Get(baseURL + "/health")
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case <-p.exited:
			p.t.Fatalf("%s exited before serving: %v\n%s", p.name, p.err, p.output.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
	p.t.Fatalf("%s did not become healthy within %s", p.name, crashDeadline)
}

// postNotification posts a notification body and reports whether it was
// acknowledged with a 2xx. A connection error counts as not acknowledged.
func postNotification(client *http.Client, url string, body []byte) bool {
	resp, err := client.Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		return false
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	return resp.StatusCode >= 200 && resp.StatusCode < 300
}

// crashBody is one notification delivery of the crash test.
type crashBody struct {
	orderID string
	body    []byte
}

// TestCrash_KillMidStreamLosesNothing kills the program with SIGKILL while
// it receives a stream of payment notifications and sends the buyers'
// messages. It then restarts the program on the same database and resends
// what was not acknowledged, as PingPong would. Every payment must be
// applied once, and every buyer must get the paid message.
func TestCrash_KillMidStreamLosesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("skipped in -short mode: builds the binary and runs it twice")
	}
	binary := buildBinary(t)

	dir := t.TempDir()
	configPath := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(configPath, []byte(testCatalog), 0o600); err != nil {
		t.Fatal(err)
	}
	telegram := telegramtest.NewServer(t, testToken)
	pingpong := pingpongtest.NewServer(t, pingpongtest.Config{})
	port := freePort(t)
	baseURL := "http://127.0.0.1:" + strconv.Itoa(port)
	dbPath := filepath.Join(dir, "data", "bot.db")

	// The orders are created through payments.Service.CreateOrder, the call
	// behind the bot's Buy button, before the binary starts: that stores
	// each order and creates its checkout at the PingPong fake, as a
	// purchase through the bot does, in far less time. The purchase dialog
	// itself is covered by TestApp_PurchaseToDelivery.
	buyers := testBuyers(20, 6001)
	orders := createOrders(t, dbPath, pingpong, baseURL, buyers, 3)

	cfg := pingpong.Config()
	env := map[string]string{
		"CONFIG_FILE":             configPath,
		"TELEGRAM_BOT_TOKEN":      testToken,
		"TELEGRAM_API_ENDPOINT":   telegram.Endpoint(),
		"PUBLIC_BASE_URL":         baseURL,
		"WEBHOOK_LISTEN":          "127.0.0.1",
		"WEBHOOK_PORT":            strconv.Itoa(port),
		"PINGPONG_API_BASE":       pingpong.URL,
		"PINGPONG_CLIENT_ID":      cfg.ClientID,
		"PINGPONG_ACC_ID":         cfg.AccID,
		"PINGPONG_WEBHOOK_SECRET": cfg.Salt,
		"DATABASE_PATH":           dbPath,
		"LOG_DIR":                 filepath.Join(dir, "logs"),
		"LOG_LEVEL":               "debug",
		"OUTBOX_POLL_INTERVAL":    "100ms",
		"OUTBOX_GLOBAL_RATE":      "30",
		"OUTBOX_CHAT_RATE":        "30",
	}

	bodies := crashBodies(t, pingpong, orders)
	first := startProcess(t, "first run", binary, dir, env)
	first.waitHealthy(baseURL)

	acknowledged, inFlightAtKill := postUntilKilled(bodies, baseURL+payments.NotificationPath, first, len(bodies)/3)
	t.Logf("%d of %d notifications acknowledged before the kill, %d requests in flight at the kill",
		countTrue(acknowledged), len(bodies), inFlightAtKill)

	pendingPaid := checkAfterKill(t, dbPath, bodies, acknowledged)
	receivedBeforeKill := make(map[string]int)
	for _, order := range orders {
		receivedBeforeKill[order.ID] = countOrderMessages(telegram.Messages(order.Buyer.ID), order.ID, paidMarker)
	}

	second := startProcess(t, "second run", binary, dir, env)
	second.waitHealthy(baseURL)
	resendUnacknowledged(t, bodies, acknowledged, baseURL+payments.NotificationPath)

	waitForCondition(t, telegram, crashDeadline, "a paid message for every order", func() bool {
		for _, order := range orders {
			if countOrderMessages(telegram.Messages(order.Buyer.ID), order.ID, paidMarker) == 0 {
				return false
			}
		}
		return true
	})
	st := openStoreAt(t, dbPath)
	waitForCondition(t, telegram, crashDeadline, "an empty outbox", func() bool {
		return countOutbox(t, st, store.OutboxPending) == 0
	})
	second.stop()
	for _, step := range []string{"Stopped polling", "Outbox sender stopped", "Reconciler stopped", "Database closed"} {
		if !strings.Contains(second.output.String(), step) {
			t.Errorf("shutdown after SIGTERM did not log %q", step)
		}
	}

	assertAppliedOnce(t, st, orders)
	assertPaidMessagesAfterCrash(t, telegram, orders, pendingPaid, receivedBeforeKill)
}

// crashBodies returns a SUCCESS notification for every order, plus a second
// copy for every third order, shuffled. Half of the copies are the same
// bytes, as PingPong resends them, and half carry a new requestId.
func crashBodies(t *testing.T, pingpong *pingpongtest.Server, orders []testOrder) []crashBody {
	t.Helper()
	seed := uint64(time.Now().UnixNano())
	t.Logf("notification order seed %d", seed)
	random := rand.New(rand.NewPCG(seed, seed))

	var bodies []crashBody
	for i, order := range orders {
		body := pingpong.PaymentNotification(order.ID, payments.StatusSuccess)
		bodies = append(bodies, crashBody{orderID: order.ID, body: body})
		switch i % 6 {
		case 0:
			bodies = append(bodies, crashBody{orderID: order.ID, body: body})
		case 3:
			again := pingpong.PaymentNotification(order.ID, payments.StatusSuccess)
			bodies = append(bodies, crashBody{orderID: order.ID, body: again})
		}
	}
	random.Shuffle(len(bodies), func(i, j int) { bodies[i], bodies[j] = bodies[j], bodies[i] })
	return bodies
}

// postUntilKilled posts every body from several goroutines and kills the
// process as soon as killAfter bodies were acknowledged, while the other
// goroutines have requests in flight. It returns which bodies got a 2xx
// and how many requests were in flight when the kill was sent.
func postUntilKilled(bodies []crashBody, url string, p *process, killAfter int) ([]bool, int64) {
	const workers = 6
	client := newNotificationClient()
	acknowledged := make([]bool, len(bodies))
	var (
		next, acks, inFlight atomic.Int64
		inFlightAtKill       int64
		killOnce             sync.Once
		wg                   sync.WaitGroup
	)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(bodies) {
					return
				}
				inFlight.Add(1)
				ok := postNotification(client, url, bodies[i].body)
				inFlight.Add(-1)
				acknowledged[i] = ok
				if ok && acks.Add(1) >= int64(killAfter) {
					killOnce.Do(func() {
						inFlightAtKill = inFlight.Load()
						p.kill()
					})
				}
			}
		}()
	}
	wg.Wait()
	// Fewer acknowledgements than killAfter would mean the first run failed
	// on its own; kill it anyway so the restart finds the port free.
	killOnce.Do(p.kill)
	return acknowledged, inFlightAtKill
}

// checkAfterKill checks, with the process dead, that every acknowledged
// notification was committed: its order is paid. It returns the orders
// whose paid message was still pending in the outbox, the only messages
// the restart sends.
func checkAfterKill(t *testing.T, dbPath string, bodies []crashBody, acknowledged []bool) map[string]bool {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := st.Close(); err != nil {
			t.Errorf("close the store after the kill: %v", err)
		}
	}()

	acknowledgedOrders := make(map[string]bool)
	for i, b := range bodies {
		acknowledgedOrders[b.orderID] = acknowledgedOrders[b.orderID] || acknowledged[i]
	}
	lost, unacknowledgedPaid := 0, 0
	for orderID, wasAcknowledged := range acknowledgedOrders {
		order, err := st.GetOrder(ctx, orderID)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case wasAcknowledged && order.Status != store.StatusPaid:
			lost++
			t.Errorf("order %s is %s after the kill, but its SUCCESS notification was acknowledged",
				orderID, order.Status)
		case !wasAcknowledged && order.Status == store.StatusPaid:
			unacknowledgedPaid++
		}
	}
	if lost > 0 {
		// Acknowledged notifications are not resent, so these orders can
		// never be paid and the waits below would only time out.
		t.FailNow()
	}
	t.Logf("%d orders were paid at the kill without an acknowledged notification", unacknowledgedPaid)

	pending, err := st.ListMessagesByStatus(ctx, store.OutboxPending, len(bodies)+1)
	if err != nil {
		t.Fatal(err)
	}
	pendingPaid := make(map[string]bool)
	for _, m := range pending {
		if m.Kind == store.MessagePaid {
			pendingPaid[m.MerchantTransactionID] = true
		}
	}
	t.Logf("%d paid messages pending in the outbox after the kill", len(pendingPaid))
	return pendingPaid
}

// resendUnacknowledged posts every body that got no 2xx again, as PingPong
// retries it, until it gets one.
func resendUnacknowledged(t *testing.T, bodies []crashBody, acknowledged []bool, url string) {
	t.Helper()
	const maxAttempts = 10
	client := newNotificationClient()
	resent := 0
	for i, b := range bodies {
		if acknowledged[i] {
			continue
		}
		resent++
		d := deliverNotification(client, url, b.body, maxAttempts)
		if !d.acknowledged {
			t.Fatalf("notification for order %s got no 2xx in %d attempts after the restart: %s",
				b.orderID, d.attempts, d.lastError)
		}
	}
	t.Logf("resent %d notifications after the restart", resent)
}

func openStoreAt(t *testing.T, dbPath string) *store.Store {
	t.Helper()
	st, err := store.Open(dbPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

// assertAppliedOnce checks that every order is paid and has exactly one
// stored notification with the applied outcome.
func assertAppliedOnce(t *testing.T, st *store.Store, orders []testOrder) {
	t.Helper()
	ctx := context.Background()
	for _, o := range orders {
		order, err := st.GetOrder(ctx, o.ID)
		if err != nil {
			t.Fatal(err)
		}
		if order.Status != store.StatusPaid {
			t.Errorf("order %s is %s, want paid", o.ID, order.Status)
		}
		notifications, err := st.ListOrderNotifications(ctx, o.ID)
		if err != nil {
			t.Fatal(err)
		}
		applied := 0
		for _, n := range notifications {
			if n.Outcome == store.OutcomeApplied {
				applied++
			}
		}
		if applied != 1 {
			t.Errorf("order %s has %d applied notifications, want 1", o.ID, applied)
		}
	}
}

// assertPaidMessagesAfterCrash checks that every buyer got the paid message
// of each order, and that a message was sent twice only where the crash
// allows it.
//
// The rule: the sender marks a row sent right after Telegram accepted it and
// sends one message at a time, and a restart sends only rows still pending.
// So a paid message may arrive twice only when its row was pending at the
// kill, and at most one message can have been accepted by Telegram without
// being marked sent: the one in flight when the process died.
func assertPaidMessagesAfterCrash(t *testing.T, telegram *telegramtest.Server, orders []testOrder,
	pendingPaid map[string]bool, receivedBeforeKill map[string]int) {
	t.Helper()
	var duplicated []string
	for _, o := range orders {
		count := countOrderMessages(telegram.Messages(o.Buyer.ID), o.ID, paidMarker)
		switch {
		case count == 0:
			t.Errorf("buyer %d got no paid message for order %s", o.Buyer.ID, o.ID)
		case count == 2:
			duplicated = append(duplicated, o.ID)
			if !pendingPaid[o.ID] {
				t.Errorf("order %s: paid message sent twice, but its outbox row was marked sent before the kill", o.ID)
			}
		case count > 2:
			t.Errorf("order %s: paid message sent %d times, want at most 2", o.ID, count)
		}
	}
	if len(duplicated) > 1 {
		t.Errorf("paid messages sent twice for %d orders %v, want at most 1: the sender has one send in flight",
			len(duplicated), duplicated)
	}
	for _, id := range duplicated {
		t.Logf("order %s: paid message sent twice, copies received before the kill: %d", id, receivedBeforeKill[id])
	}
	t.Logf("%d paid messages sent twice after the kill", len(duplicated))
}

func countTrue(values []bool) int {
	count := 0
	for _, v := range values {
		if v {
			count++
		}
	}
	return count
}
