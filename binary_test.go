package main

import (
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestBinary_InvalidConfigExitsNonZero(t *testing.T) {
	if testing.Short() {
		t.Skip("skipped in -short mode: builds the binary")
	}
	binary := buildBinary(t)
	dir := t.TempDir()

	cmd := exec.Command(binary)
	cmd.Dir = dir
	cmd.Env = []string{
		"WEBHOOK_PORT=not-a-port",
		"DATABASE_PATH=" + filepath.Join(dir, "bot.db"),
		"LOG_DIR=" + filepath.Join(dir, "logs"),
	}
	output, err := cmd.CombinedOutput()

	var exitErr *exec.ExitError
	if !errors.As(err, &exitErr) || exitErr.ExitCode() != 1 {
		t.Fatalf("exit = %v, want status 1\n%s", err, output)
	}
	for _, want := range []string{"TELEGRAM_BOT_TOKEN", "WEBHOOK_PORT"} {
		if !strings.Contains(string(output), want) {
			t.Errorf("output does not name %s:\n%s", want, output)
		}
	}
}
