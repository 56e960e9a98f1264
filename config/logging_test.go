package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe for the concurrent test.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func openTestLogs(t *testing.T, cfg LogConfig, secrets []string) (*Logs, *syncBuffer) {
	t.Helper()
	stdout := &syncBuffer{}
	logs, err := OpenLogs(cfg, secrets, stdout)
	if err != nil {
		t.Fatalf("OpenLogs: %v", err)
	}
	t.Cleanup(func() {
		if err := logs.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return logs, stdout
}

func readLog(t *testing.T, dir, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func TestOpenLogs_WritesBothFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "nested", "logs")
	logs, stdout := openTestLogs(t, LogConfig{Dir: dir, Level: "info", Format: LogFormatText}, nil)

	logs.Server.Info("Server line", "order_id", 1)
	logs.Bot.Info("Bot line", "chat_id", 2)
	logs.App.Info("App line")
	logs.Bot.Debug("Hidden debug line")

	server := readLog(t, dir, ServerLogFile)
	bot := readLog(t, dir, BotLogFile)
	checks := []struct {
		name, text, want string
		present          bool
	}{
		{"server has its line", server, `msg="Server line" component=server order_id=1`, true},
		{"server has the app line", server, `msg="App line" component=app`, true},
		{"server lacks the bot line", server, "Bot line", false},
		{"bot has its line", bot, `msg="Bot line" component=bot chat_id=2`, true},
		{"bot has the app line", bot, `msg="App line" component=app`, true},
		{"bot lacks the server line", bot, "Server line", false},
		{"bot lacks debug at info level", bot, "Hidden debug line", false},
		{"stdout has the server line", stdout.String(), "Server line", true},
		{"stdout has the bot line", stdout.String(), "Bot line", true},
	}
	for _, c := range checks {
		if strings.Contains(c.text, c.want) != c.present {
			t.Errorf("%s: %q present = %v, want %v in:\n%s", c.name, c.want, !c.present, c.present, c.text)
		}
	}
	if got := strings.Count(stdout.String(), "App line"); got != 1 {
		t.Errorf("stdout has the app line %d times, want once", got)
	}
}

func TestOpenLogs_RotationConfig(t *testing.T) {
	dir := t.TempDir()
	logs, _ := openTestLogs(t, LogConfig{Dir: dir, MaxSizeMB: 7, MaxBackups: 3}, nil)

	for _, file := range []struct {
		name string
		got  string
	}{{ServerLogFile, logs.serverFile.Filename}, {BotLogFile, logs.botFile.Filename}} {
		if file.got != filepath.Join(dir, file.name) {
			t.Errorf("file name = %q, want %q", file.got, filepath.Join(dir, file.name))
		}
	}
	for _, f := range []struct {
		name string
		size int
		kept int
		zip  bool
	}{
		{ServerLogFile, logs.serverFile.MaxSize, logs.serverFile.MaxBackups, logs.serverFile.Compress},
		{BotLogFile, logs.botFile.MaxSize, logs.botFile.MaxBackups, logs.botFile.Compress},
	} {
		if f.size != 7 || f.kept != 3 || !f.zip {
			t.Errorf("%s: MaxSize %d, MaxBackups %d, Compress %v; want 7, 3, true", f.name, f.size, f.kept, f.zip)
		}
	}
}

func TestOpenLogs_RotationDefaults(t *testing.T) {
	logs, _ := openTestLogs(t, LogConfig{Dir: t.TempDir()}, nil)

	if logs.serverFile.MaxSize != 20 || logs.serverFile.MaxBackups != 5 {
		t.Errorf("defaults: MaxSize %d, MaxBackups %d; want 20, 5",
			logs.serverFile.MaxSize, logs.serverFile.MaxBackups)
	}
}

func TestOpenLogs_RotatesAtMaxSize(t *testing.T) {
	dir := t.TempDir()
	logs, _ := openTestLogs(t, LogConfig{Dir: dir, MaxSizeMB: 1, MaxBackups: 2}, nil)
	line := strings.Repeat("x", 64*1024)

	for range 20 {
		logs.Bot.Info("Filler", "data", line)
	}

	// Compression runs in lumberjack's own goroutine, so wait until the
	// rotated file is compressed before the temporary directory is removed.
	deadline := time.Now().Add(10 * time.Second)
	for {
		compressed, plain := rotatedBotLogs(t, dir)
		if compressed > 0 && plain == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 10s: %d compressed and %d uncompressed rotated bot logs, want at least 1 and 0",
				compressed, plain)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// rotatedBotLogs counts rotated bot logs, such as
// bot-2025-01-02T03-04-05.000.log.gz.
func rotatedBotLogs(t *testing.T, dir string) (compressed, plain int) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		switch name := e.Name(); {
		case !strings.HasPrefix(name, "bot-"):
		case strings.HasSuffix(name, ".gz"):
			compressed++
		default:
			plain++
		}
	}
	return compressed, plain
}

func TestOpenLogs_RedactsSecrets(t *testing.T) {
	dir := t.TempDir()
	logs, stdout := openTestLogs(t, LogConfig{Dir: dir}, []string{testToken, testSalt})

	logs.Bot.Error("Sending failed for "+testToken,
		"url", "https://api.telegram.org/bot"+testToken+"/sendMessage",
		"error", errors.New("sign with "+testSalt+" failed"),
		slog.Group("request", slog.String("salt", testSalt)))
	logs.Server.Warn("Plain", "salt", testSalt)

	for name, text := range map[string]string{
		"stdout":      stdout.String(),
		ServerLogFile: readLog(t, dir, ServerLogFile),
		BotLogFile:    readLog(t, dir, BotLogFile),
	} {
		if strings.Contains(text, testToken) || strings.Contains(text, testSalt) {
			t.Errorf("%s contains a secret:\n%s", name, text)
		}
	}
	bot := readLog(t, dir, BotLogFile)
	for _, want := range []string{
		`msg="Sending failed for [redacted]"`,
		"url=https://api.telegram.org/bot[redacted]/sendMessage",
		`error="sign with [redacted] failed"`,
		"request.salt=[redacted]",
	} {
		if !strings.Contains(bot, want) {
			t.Errorf("bot log lacks %q:\n%s", want, bot)
		}
	}
}

func TestOpenLogs_BotAPIErrorRedacted(t *testing.T) {
	dir := t.TempDir()
	logs, _ := openTestLogs(t, LogConfig{Dir: dir, Format: LogFormatJSON}, []string{testToken})

	// A closed listener on loopback makes the request fail the way an
	// unreachable Bot API does, with the URL and token in the error.
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	address := listener.Addr().String()
	if err := listener.Close(); err != nil {
		t.Fatal(err)
	}
	apiURL := fmt.Sprintf("http://%s/bot%s/getMe", address, testToken)
	resp, err := http.Get(apiURL)
	if err == nil {
		resp.Body.Close()
		t.Fatal("request to a closed port succeeded")
	}
	if !strings.Contains(err.Error(), testToken) {
		t.Fatalf("client error %q does not contain the token, so the test proves nothing", err)
	}

	logs.Bot.Error("Bot API request failed", "error", err)

	bot := readLog(t, dir, BotLogFile)
	if strings.Contains(bot, testToken) {
		t.Fatalf("bot log contains the token:\n%s", bot)
	}
	var record map[string]any
	if err := json.Unmarshal([]byte(strings.TrimSpace(bot)), &record); err != nil {
		t.Fatalf("bot log is not one JSON record: %v\n%s", err, bot)
	}
	if message, _ := record["error"].(string); !strings.Contains(message, "/bot[redacted]/getMe") {
		t.Errorf("error field = %q, want the redacted URL", message)
	}
	if record["component"] != "bot" {
		t.Errorf("component = %v, want bot", record["component"])
	}
}

func TestOpenLogs_InvalidSettings(t *testing.T) {
	dir := t.TempDir()
	blocker := writeFile(t, dir, "file", "not a directory")
	cases := map[string]LogConfig{
		"level":         {Dir: dir, Level: "verbose"},
		"format":        {Dir: dir, Format: "xml"},
		"empty dir":     {},
		"dir is a file": {Dir: blocker},
	}
	for name, cfg := range cases {
		t.Run(name, func(t *testing.T) {
			logs, err := OpenLogs(cfg, nil, nil)
			if err == nil {
				logs.Close()
				t.Fatal("OpenLogs succeeded")
			}
			if !strings.HasPrefix(err.Error(), "config: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
		})
	}
}

func TestOpenLogs_ConcurrentLoggers(t *testing.T) {
	dir := t.TempDir()
	logs, stdout := openTestLogs(t, LogConfig{Dir: dir}, []string{testToken})

	var wg sync.WaitGroup
	for _, logger := range []*slog.Logger{logs.Server, logs.Bot, logs.App} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				logger.Info("Concurrent", "i", i, "token", testToken)
			}
		}()
	}
	wg.Wait()

	if got := strings.Count(stdout.String(), "\n"); got != 150 {
		t.Errorf("stdout has %d lines, want 150", got)
	}
	if got := strings.Count(readLog(t, dir, BotLogFile), "\n"); got != 100 {
		t.Errorf("bot log has %d lines, want 100 (bot and app)", got)
	}
}

func TestOpenLogs_NilStdout(t *testing.T) {
	dir := t.TempDir()
	logs, err := OpenLogs(LogConfig{Dir: dir}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer logs.Close()

	logs.Server.Info("Only in the file")

	if !strings.Contains(readLog(t, dir, ServerLogFile), "Only in the file") {
		t.Error("server log lacks the record")
	}
}
