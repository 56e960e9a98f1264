package config

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"gopkg.in/natefinch/lumberjack.v2"
)

// Log file names inside LogConfig.Dir.
const (
	ServerLogFile = "webhook.log"
	BotLogFile    = "bot.log"
)

// Defaults OpenLogs applies to zero LogConfig fields.
const (
	defaultLogMaxSizeMB  = 20
	defaultLogMaxBackups = 5
)

// Logs are the application's loggers. Every logger writes each record to
// stdout and to its files, with every secret replaced by "[redacted]".
type Logs struct {
	// Server logs the HTTP server and the webhook handlers to stdout and
	// webhook.log, with component=server.
	Server *slog.Logger
	// Bot logs the Telegram bot to stdout and bot.log, with component=bot.
	Bot *slog.Logger
	// App logs start-up, shutdown and parts both sides share, such as the
	// database, to stdout and to both files, with component=app, so each
	// file shows when the process started and stopped.
	App *slog.Logger
	// Redactor replaces the secrets the loggers redact, for text that is
	// not logged, such as an error sent to an admin chat.
	Redactor *Redactor

	serverFile *lumberjack.Logger
	botFile    *lumberjack.Logger
}

// OpenLogs creates cfg.Dir if missing and opens the rotated log files. Each
// file is rotated at cfg.MaxSizeMB megabytes (20 when 0) and keeps
// cfg.MaxBackups gzip-compressed old files (5 when 0). An empty level
// means info and an empty format means text. stdout may be nil to log to
// the files only. Close the returned Logs when done.
func OpenLogs(cfg LogConfig, secrets []string, stdout io.Writer) (*Logs, error) {
	level, err := parseLevel(cfg.Level)
	if err != nil {
		return nil, err
	}
	format := strings.ToLower(cfg.Format)
	if format == "" {
		format = LogFormatText
	}
	if format != LogFormatText && format != LogFormatJSON {
		return nil, fmt.Errorf("config: open logs: log format %q is not text or json", cfg.Format)
	}
	if cfg.Dir == "" {
		return nil, errors.New("config: open logs: the log directory is empty, set LOG_DIR")
	}
	if err := os.MkdirAll(cfg.Dir, 0o750); err != nil {
		return nil, fmt.Errorf("config: create log directory %s: %w", cfg.Dir, err)
	}

	logs := &Logs{Redactor: NewRedactor(secrets)}
	if logs.serverFile, err = openLogFile(cfg, ServerLogFile); err != nil {
		return nil, err
	}
	if logs.botFile, err = openLogFile(cfg, BotLogFile); err != nil {
		_ = logs.serverFile.Close()
		return nil, err
	}

	var out io.Writer = io.Discard
	if stdout != nil {
		out = &lockedWriter{w: stdout}
	}
	newLogger := func(component string, writers ...io.Writer) *slog.Logger {
		options := &slog.HandlerOptions{Level: level}
		var handler slog.Handler = slog.NewTextHandler(teeWriter(writers), options)
		if format == LogFormatJSON {
			handler = slog.NewJSONHandler(teeWriter(writers), options)
		}
		return slog.New(NewRedactingHandler(handler, logs.Redactor)).With("component", component)
	}
	logs.Server = newLogger("server", out, logs.serverFile)
	logs.Bot = newLogger("bot", out, logs.botFile)
	logs.App = newLogger("app", out, logs.serverFile, logs.botFile)
	return logs, nil
}

// Close closes both log files. Records are written to the files as they are
// logged, so nothing is buffered.
func (l *Logs) Close() error {
	return errors.Join(l.serverFile.Close(), l.botFile.Close())
}

func parseLevel(name string) (slog.Level, error) {
	if name == "" {
		return slog.LevelInfo, nil
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(name)); err != nil {
		return 0, fmt.Errorf("config: open logs: log level %q is not debug, info, warn or error: %w",
			name, err)
	}
	return level, nil
}

// openLogFile opens name in cfg.Dir with rotation. It writes nothing but
// opens the file now, so a directory without write permission fails at
// start-up instead of at the first record.
func openLogFile(cfg LogConfig, name string) (*lumberjack.Logger, error) {
	file := &lumberjack.Logger{
		Filename:   filepath.Join(cfg.Dir, name),
		MaxSize:    cfg.MaxSizeMB,
		MaxBackups: cfg.MaxBackups,
		Compress:   true,
	}
	if file.MaxSize <= 0 {
		file.MaxSize = defaultLogMaxSizeMB
	}
	if file.MaxBackups <= 0 {
		file.MaxBackups = defaultLogMaxBackups
	}
	if _, err := file.Write(nil); err != nil {
		return nil, fmt.Errorf("config: open log file %s: %w", file.Filename, err)
	}
	return file, nil
}

// lockedWriter serialises writes from several handlers to one writer, such
// as stdout shared by the three loggers.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// teeWriter writes to every writer even when one fails, so a closed stdout
// does not stop the log files, and returns the first error.
type teeWriter []io.Writer

func (t teeWriter) Write(p []byte) (int, error) {
	var first error
	for _, w := range t {
		if _, err := w.Write(p); err != nil && first == nil {
			first = err
		}
	}
	if first != nil {
		return 0, first
	}
	return len(p), nil
}
